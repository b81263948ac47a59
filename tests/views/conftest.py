"""Fixtures shared by the clinician view tests: one team, a questionnaire, a clinician."""

import pytest

from tests import clinic_factories as make


@pytest.fixture
def demo():
    return make.team("Demo clinic")


@pytest.fixture
def questionnaire():
    return make.published_questionnaire()


@pytest.fixture
def clinician(demo):
    return make.user("clinician", team=demo)


@pytest.fixture
def logged_in(client, clinician):
    client.force_login(clinician)
    return client

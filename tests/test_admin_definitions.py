"""The version admin: the linter's report on a draft's page; published versions read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from questionnaires.models import Question
from questionnaires.services.definitions import (
    version_create_from_definition,
    version_publish,
)
from tests.builders import sample_definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 12))
    return client


def test_a_drafts_page_lists_what_the_linter_found(admin_client):
    version = version_create_from_definition(definition=sample_definition())
    sleep = Question.objects.get(step__version=version, key="sleep")
    sleep.show_if = {"q": "relapses", "op": "gte", "value": 1}
    sleep.save()
    page = admin_client.get(f"/admin/questionnaires/questionnaireversion/{version.pk}/change/")
    assert page.status_code == 200
    assert "steps[0].questions[1].show_if: unknown question &#x27;relapses&#x27;" in (
        page.content.decode()
    )


def test_the_list_does_not_run_the_linter_per_row(admin_client, django_assert_max_num_queries):
    for slug in ("one", "two", "three"):
        version_create_from_definition(definition=sample_definition(slug))
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/questionnaires/questionnaireversion/").status_code == 200


def test_a_published_versions_page_is_read_only(admin_client):
    version = version_publish(
        version=version_create_from_definition(definition=sample_definition())
    )
    page = admin_client.get(f"/admin/questionnaires/questionnaireversion/{version.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="title_en"' not in html  # shown, not editable
    assert 'name="_save"' not in html
    assert 'data-testid="preview-as-patient"' in html  # a published version can be walked

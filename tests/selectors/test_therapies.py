"""The stamp of the therapy profiles (selectors.therapies.profiles_revision): it moves with
every save or delete of a row that ends up in a weighing, and only then."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from questionnaires.models import (
    Evidence,
    OutcomeEstimate,
    RuleEvidence,
    Therapy,
    TherapyEvidence,
)
from questionnaires.selectors.therapies import PROFILE_MODELS, profiles_revision
from questionnaires.services.therapies import therapies_load
from tests.therapy_content import write_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(tmp_path):
    therapies_load(path=write_content(tmp_path))


def test_the_stamp_is_one_query_and_stays_put_while_nothing_is_written(loaded):
    with CaptureQueriesContext(connection) as queries:
        first = profiles_revision()
    assert len(queries) == 1
    assert profiles_revision() == first
    Therapy.objects.get(slug="alpha_mab")  # reading changes nothing
    assert profiles_revision() == first


@pytest.mark.parametrize("model", PROFILE_MODELS, ids=lambda model: model.__name__)
def test_a_save_or_a_delete_of_any_profile_row_moves_the_stamp(loaded, model):
    row = model.objects.order_by("pk").last()
    assert row is not None, f"the test content has no {model.__name__}"
    before = profiles_revision()
    row.save()
    saved = profiles_revision()
    assert saved != before
    if model is Evidence:  # a cited source is protected; one nobody cites can be deleted
        for link in (TherapyEvidence, OutcomeEstimate, RuleEvidence):
            link.objects.filter(evidence=row).delete()
    unlinked = profiles_revision()
    row.delete()
    assert profiles_revision() not in (before, saved, unlinked)


def test_a_save_committed_after_a_newer_one_still_moves_the_stamp(loaded):
    """On PostgreSQL a history id is taken before commit: an edit that took id n and
    commits after one that took n + 1 leaves the newest id and date as they were."""
    alpha, beta = Therapy.objects.get(slug="alpha_mab"), Therapy.objects.get(slug="beta_mab")
    alpha.save()
    beta.save()
    historical = Therapy.history.model
    late = historical.objects.filter(id=alpha.pk).order_by("-history_id").first()
    newest = historical.objects.order_by("-history_id").first()
    assert late.history_id < newest.history_id and late.history_date <= newest.history_date
    # Before the late edit commits, its history record is not visible.
    fields = {field.attname: getattr(late, field.attname) for field in historical._meta.fields}
    late.delete()
    before_commit = profiles_revision()
    historical.objects.create(**fields)
    assert profiles_revision() != before_commit

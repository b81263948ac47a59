"""Definition lifecycle: round trip, publish (linter gate), immutability, clone, retire."""

from __future__ import annotations

from dataclasses import replace

import pytest

from questionnaires.models import (
    AuditAction,
    AuditEvent,
    Choice,
    Question,
    QuestionnaireVersion,
    Step,
    VersionLockedError,
    VersionStatus,
)
from questionnaires.selectors.definitions import definition_for_version
from questionnaires.services.definitions import (
    version_clone,
    version_create_from_definition,
    version_publish,
    version_retire,
)
from questionnaires.services.errors import ServiceRefused
from tests.builders import sample_definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    version = version_create_from_definition(definition=sample_definition())
    return version_publish(version=version)


def test_database_round_trip_gives_the_same_definition():
    definition = sample_definition()
    version = version_create_from_definition(definition=definition)
    assert definition_for_version(version) == definition


def test_reading_a_definition_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    small = version_create_from_definition(definition=sample_definition("small"))
    large = version_create_from_definition(definition=sample_definition("large", extra_steps=30))
    with django_assert_max_num_queries(8) as small_queries:
        definition_for_version(small)
    with django_assert_max_num_queries(8) as large_queries:
        definition_for_version(large)
    assert len(small_queries.captured_queries) == len(large_queries.captured_queries)


def test_publish_sets_hash_time_and_audits(published):
    assert published.status == VersionStatus.PUBLISHED
    assert published.published_at is not None
    assert len(published.definition_hash) == 64
    assert AuditEvent.objects.filter(action=AuditAction.VERSION_PUBLISHED).count() == 1


def test_publish_refuses_with_the_full_list_of_linter_problems():
    # A content admin edits a draft into a broken state (the admin writes rows directly).
    version = version_create_from_definition(definition=sample_definition())
    sleep = Question.objects.get(step__version=version, key="sleep")
    sleep.show_if = {"q": "relapses", "op": "gte", "value": 1}
    sleep.text_zh_hans = ""
    sleep.save()
    with pytest.raises(ServiceRefused) as refused:
        version_publish(version=version)
    messages = refused.value.messages
    assert "steps[0].questions[1].show_if: unknown question 'relapses'" in messages
    assert any(m.startswith("steps[0].questions[1].text") and "zh-hans" in m for m in messages)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert not AuditEvent.objects.filter(action=AuditAction.VERSION_PUBLISHED).exists()


def test_import_path_refuses_structural_problems_and_writes_nothing():
    definition = sample_definition()
    broken_step = replace(
        definition.steps[0],
        questions=(
            definition.steps[0].questions[0],
            replace(definition.steps[0].questions[1], show_if={"q": "later", "op": "answered"}),
        ),
    )
    with pytest.raises(ServiceRefused, match="unknown question 'later'"):
        version_create_from_definition(
            definition=replace(definition, steps=(broken_step, *definition.steps[1:]))
        )
    assert not QuestionnaireVersion.objects.exists()


def test_publishing_a_new_version_retires_the_old_one(published):
    draft = version_clone(version=published)
    version_publish(version=draft)
    published.refresh_from_db()
    assert published.status == VersionStatus.RETIRED
    assert published.retired_at is not None
    assert QuestionnaireVersion.objects.filter(status=VersionStatus.PUBLISHED).get() == draft


def test_only_drafts_can_be_published(published):
    with pytest.raises(ServiceRefused, match="Only a draft can be published"):
        version_publish(version=published)


@pytest.mark.parametrize(
    "change",
    [
        lambda v: Step.objects.filter(version=v).first().save(),
        lambda v: Question.objects.filter(step__version=v).first().delete(),
        lambda v: Choice.objects.filter(question__step__version=v).update(value="x"),
        lambda v: Step.objects.filter(version=v).delete(),
        lambda v: Step.objects.create(version=v, key="late", title="Late"),
        lambda v: QuestionnaireVersion.objects.get(pk=v.pk).delete(),
    ],
    ids=[
        "step-save",
        "question-delete",
        "choice-bulk-update",
        "step-bulk-delete",
        "step-add",
        "version-delete",
    ],
)
def test_published_versions_refuse_every_change(published, change):
    before = definition_for_version(published)
    with pytest.raises(VersionLockedError):
        change(published)
    assert definition_for_version(published) == before


def test_published_version_fields_are_frozen(published):
    published.title_en = "Changed"
    with pytest.raises(VersionLockedError):
        published.save()


def test_a_retired_version_cannot_be_published_again(published):
    version_retire(version=published)
    published.refresh_from_db()
    published.status = VersionStatus.PUBLISHED
    with pytest.raises(VersionLockedError):
        published.save()


def test_clone_copies_everything_into_a_new_draft(published):
    clone = version_clone(version=published, actor=None)
    assert clone.status == VersionStatus.DRAFT
    assert clone.number == published.number + 1
    assert clone.cloned_from == published
    assert definition_for_version(clone) == definition_for_version(published)
    # The clone is editable, the original is not.
    step = Step.objects.filter(version=clone).first()
    step.title_en = "Edited in the draft"
    step.save()
    assert definition_for_version(clone) != definition_for_version(published)
    assert AuditEvent.objects.filter(action=AuditAction.VERSION_CLONED).count() == 1


def test_retire_only_published(published):
    version_retire(version=published)
    published.refresh_from_db()
    assert published.status == VersionStatus.RETIRED
    with pytest.raises(ServiceRefused, match="Only a published version can be retired"):
        version_retire(version=published)
    draft = version_clone(version=published)
    with pytest.raises(ServiceRefused):
        version_retire(version=draft)


def test_history_records_every_language():
    version = version_create_from_definition(definition=sample_definition())
    step = Step.objects.filter(version=version).first()
    step.title_zh_hans = "症状（新）"
    step.save()
    latest = step.history.first()
    assert latest.title_zh_hans == "症状（新）"
    assert latest.title_en == "Symptoms"

"""Response services: start, save a step, language, submit; and the frozen result."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from questionnaires.models import Invitation, Response, Result
from questionnaires.patient.walk import storage_key
from questionnaires.services import results
from questionnaires.services.definitions import version_clone, version_publish
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitations import invitation_revoke
from questionnaires.services.responses import (
    ResponseClosed,
    StaleRevision,
    SubmitIncomplete,
    response_save_step,
    response_set_language,
    response_start,
    response_start_preview,
    response_submit,
)
from questionnaires.services.results import result_freeze, snapshot_hash
from tests.factories import clinic_definition, invite, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    return publish(clinic_definition())


@pytest.fixture
def response(version):
    invitation, _token = invite(version)
    return response_start(invitation=invitation)


def save(response, step, values=None, draft=None):
    response.refresh_from_db()
    return response_save_step(
        response=response,
        step=step,
        expected_revision=response.revision,
        values=values,
        draft=draft,
    )


def answer_everything(response, condition="psoriasis"):
    save(response, "about", {"condition": condition, "age": 50})
    if condition == "psoriasis":
        save(response, "skin", {"itch": 3, "flares": False, "flare_count": None})
    save(response, "history", {"treatments": [{"drug": "X", "months": 2}], "last_visit": None})
    save(response, "priorities", {"ranking": ["safety", "effect", "convenience"], "weight": None})
    response.refresh_from_db()
    return response


# --- start ---------------------------------------------------------------------------------


def test_response_stays_pinned_to_the_version_it_started_on(version):
    first_invitation, _token = invite(version)
    started = response_start(invitation=first_invitation)
    newer = version_publish(version=version_clone(version=version))
    started.refresh_from_db()
    assert started.version == version
    second_invitation, _token = invite(version)
    assert response_start(invitation=second_invitation).version == newer


def test_start_is_idempotent(version):
    invitation, _token = invite(version)
    assert response_start(invitation=invitation) == response_start(invitation=invitation)
    assert Response.objects.count() == 1


@pytest.mark.parametrize("problem", ["revoked", "expired"])
def test_unusable_invitation_cannot_start(version, problem):
    invitation, _token = invite(version)
    if problem == "revoked":
        invitation_revoke(invitation=invitation, actor=None)
    else:
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(ServiceRefused):
        response_start(invitation=invitation)
    assert not Response.objects.exists()


def test_condition_preset_only_when_the_questionnaire_offers_it(version):
    invitation, _token = invite(version, disease="vitiligo")
    started = response_start(invitation=invitation)
    assert started.answers == {"condition": "vitiligo"}
    state = started.wizard_state[storage_key(started.pk)]
    assert state["extra_data"]["preset"] == ["condition"]


def test_preview_needs_staff_and_is_marked_as_preview(version):
    staff = get_user_model().objects.create_user("s", password="pw", is_staff=True)
    preview = response_start_preview(version=version, actor=staff, language="zh-hans")
    assert preview.is_preview and preview.invitation is None and preview.language == "zh-hans"
    with pytest.raises(ServiceRefused):
        response_start_preview(version=version, actor=get_user_model()(username="x"))


# --- save a step ---------------------------------------------------------------------------------


def test_saved_values_are_stored_json_safe_and_bump_the_revision(response):
    saved = save(response, "priorities", {"weight": Decimal("80.25"), "ranking": None})
    assert saved.answers == {"weight": "80.25"}
    assert saved.revision == 1
    assert Response.objects.get(pk=response.pk).answers == {"weight": "80.25"}


def test_saving_an_empty_value_clears_the_answer(response):
    save(response, "about", {"condition": "sle", "age": 5})
    assert save(response, "about", {"condition": "sle", "age": None}).answers == {
        "condition": "sle"
    }


def test_stale_revision_saves_nothing(response):
    save(response, "about", {"condition": "sle", "age": 5})
    with pytest.raises(StaleRevision):
        response_save_step(response=response, step="about", expected_revision=0, values={"age": 9})
    assert Response.objects.get(pk=response.pk).answers == {"condition": "sle", "age": 5}


def test_values_for_questions_of_another_step_are_refused(response):
    with pytest.raises(ServiceRefused, match="Not questions of step 'about': itch"):
        save(response, "about", {"itch": 3})
    with pytest.raises(ServiceRefused, match="Unknown step"):
        save(response, "nope", {"itch": 3})


def test_draft_keeps_raw_data_and_changes_no_answer(response):
    saved = save(response, "about", draft={"about-age": ["abc"]})
    assert saved.answers == {}
    assert saved.wizard_state[storage_key(saved.pk)]["step_data"]["about"] == {"about-age": ["abc"]}
    accepted = save(response, "about", {"condition": "sle", "age": 4})
    assert "about" not in accepted.wizard_state[storage_key(saved.pk)]["step_data"]


def test_oversized_draft_is_refused(response):
    with pytest.raises(ServiceRefused):
        save(response, "about", draft={"about-notes": ["x" * 300_000]})
    assert Response.objects.get(pk=response.pk).revision == 0


def test_exactly_one_of_values_and_draft(response):
    with pytest.raises(ServiceRefused):
        save(response, "about")


def test_language_change_keeps_the_revision(response):
    changed = response_set_language(response=response, language="zh-hans")
    assert (changed.language, changed.revision) == ("zh-hans", 0)
    with pytest.raises(ServiceRefused):
        response_set_language(response=response, language="de")


# --- submit ---------------------------------------------------------------------------------


def test_submit_stores_pruned_answers_and_freezes_the_scores(response):
    response = answer_everything(response)
    save(response, "about", {"condition": "sle", "age": 50})  # the skin step disappears
    response.refresh_from_db()
    submitted = response_submit(response=response, expected_revision=response.revision)
    assert submitted.is_submitted
    assert submitted.answers == {
        "condition": "sle",
        "age": 50,
        "treatments": [{"drug": "X", "months": 2}],
        "ranking": ["safety", "effect", "convenience"],
    }
    result = Result.objects.get(response=submitted)
    assert result.scores[0]["status"] == "incomplete"  # itch was answered, then hidden
    assert result.weighing == {}
    assert result.definition_hash == submitted.version.definition_hash


def test_submit_names_the_first_incomplete_step_and_changes_nothing(response):
    save(response, "about", {"condition": "sle", "age": 50})
    response.refresh_from_db()
    with pytest.raises(SubmitIncomplete) as raised:
        response_submit(response=response, expected_revision=response.revision)
    assert raised.value.step == "history"
    assert Response.objects.get(pk=response.pk).status == "in_progress"
    assert not Result.objects.exists()


def test_pending_draft_blocks_submission(response):
    response = answer_everything(response, condition="sle")
    save(response, "history", draft={"history-last_visit-day": ["40"]})
    response.refresh_from_db()
    with pytest.raises(SubmitIncomplete) as raised:
        response_submit(response=response, expected_revision=response.revision)
    assert raised.value.step == "history"


def test_submit_refuses_a_stored_answer_its_kind_does_not_allow(response):
    """Stored answers are checked by the same pure rules as the step form (engine.validation)."""
    response = answer_everything(response)
    Response.objects.filter(pk=response.pk).update(
        answers={**response.answers, "itch": 99}  # a rating runs from 0 to 10
    )
    response.refresh_from_db()
    with pytest.raises(SubmitIncomplete) as raised:
        response_submit(response=response, expected_revision=response.revision)
    assert raised.value.step == "skin"
    assert not Result.objects.exists()


def test_submit_builds_no_form(response, monkeypatch):
    from questionnaires.patient import forms

    def no_forms(*args, **kwargs):
        raise AssertionError("the submit service built a step form")

    monkeypatch.setattr(forms.StepForm, "__init__", no_forms)
    response = answer_everything(response)
    submitted = response_submit(response=response, expected_revision=response.revision)
    assert submitted.is_submitted
    assert submitted.answers["itch"] == 3


def test_submit_twice_gives_one_submission(response):
    response = answer_everything(response)
    first = response_submit(response=response, expected_revision=response.revision)
    again = response_submit(response=response, expected_revision=0)  # stale, but already done
    assert again.submitted_at == first.submitted_at
    assert Result.objects.count() == 1


def test_submit_with_a_stale_revision_is_refused(response):
    response = answer_everything(response)
    with pytest.raises(StaleRevision):
        response_submit(response=response, expected_revision=response.revision - 1)
    assert not Result.objects.exists()


def test_submitted_response_refuses_saves_and_language_changes(response):
    response = answer_everything(response)
    response_submit(response=response, expected_revision=response.revision)
    response.refresh_from_db()
    with pytest.raises(ResponseClosed):
        save(response, "about", {"age": 1})
    with pytest.raises(ResponseClosed):
        response_set_language(response=response, language="zh-hans")


def test_the_summaries_are_requested_after_commit_not_before(
    response, monkeypatch, django_capture_on_commit_callbacks
):
    requested = []
    monkeypatch.setattr(
        results, "summary_render_enqueue", lambda *, result: requested.append(result)
    )
    response = answer_everything(response)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response_submit(response=response, expected_revision=response.revision)
    assert requested == []  # nothing is enqueued while the submit transaction is open
    for callback in callbacks:
        callback()
    assert requested == [Result.objects.get()]


def test_a_failing_summary_request_does_not_undo_or_break_the_submit(
    response, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def failing(*, result):
        raise RuntimeError("queue down")

    monkeypatch.setattr(results, "summary_render_enqueue", failing)
    response = answer_everything(response)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = response_submit(response=response, expected_revision=response.revision)
    assert submitted.is_submitted
    assert Result.objects.filter(response=submitted).exists()
    assert "summary render request failed" in caplog.text


def test_result_is_only_for_submitted_responses_and_never_rewritten(response):
    with pytest.raises(ServiceRefused):
        result_freeze(response=response)
    response = answer_everything(response)
    response_submit(response=response, expected_revision=response.revision)
    response.refresh_from_db()
    result = Result.objects.get()
    assert result_freeze(response=response) == result
    assert Result.objects.count() == 1


def test_snapshot_hash_covers_what_the_result_holds(response):
    response = answer_everything(response)
    response_submit(response=response, expected_revision=response.revision)
    response.refresh_from_db()
    result = Result.objects.get()
    content = {
        "engine_version": result.engine_version,
        "definition_hash": result.definition_hash,
        "profile_versions": result.profile_versions,
        "answers": response.answers,
        "scores": result.scores,
        "weighing": result.weighing,
    }
    assert snapshot_hash(content) == result.snapshot_hash
    content["scores"][0]["score"] = "9"
    assert snapshot_hash(content) != result.snapshot_hash


def test_expired_invitation_in_the_middle_does_not_block_services(response):
    # Expiry is enforced on the link (the views); a response already started keeps working
    # through the services, e.g. for a clinic-side export or an in-flight submit.
    Invitation.objects.filter(pk=response.invitation_id).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    response = answer_everything(response)
    assert response_submit(response=response, expected_revision=response.revision).is_submitted


# --- a step saved from the row as read (the wizard's path: no locked re-read) ---------------


def test_a_step_saved_as_read_is_stored_like_a_locked_save_and_leaves_the_read_row_alone(
    response,
):
    read = Response.objects.get(pk=response.pk)
    before = (dict(read.answers), dict(read.wizard_state), read.revision)
    saved = response_save_step(
        response=read,
        step="about",
        expected_revision=read.revision,
        values={"condition": "sle", "age": 5},
        resume_at="about",
        as_read=True,
    )
    stored = Response.objects.get(pk=response.pk)
    assert (stored.answers, stored.revision) == ({"condition": "sle", "age": 5}, 1)
    state = stored.wizard_state[storage_key(stored.pk)]
    assert state["extra_data"]["accepted"] == ["about"] and state["step"] == "about"
    assert (saved.answers, saved.wizard_state, saved.revision) == (
        stored.answers,
        stored.wizard_state,
        stored.revision,
    )
    assert (read.answers, read.wizard_state, read.revision) == before


def test_a_step_saved_as_read_after_another_save_is_refused_and_writes_nothing(response):
    read = Response.objects.get(pk=response.pk)  # this request's read, at revision 0
    save(response, "about", {"condition": "sle", "age": 5})  # another tab saves first
    with pytest.raises(StaleRevision):
        response_save_step(
            response=read,
            step="about",
            expected_revision=read.revision,
            values={"condition": "psoriasis", "age": 9},
            as_read=True,
        )
    stored = Response.objects.get(pk=response.pk)
    assert (stored.answers, stored.revision) == ({"condition": "sle", "age": 5}, 1)


def test_a_draft_saved_as_read_after_a_submit_is_refused_as_closed(response):
    answer_everything(response)
    read = Response.objects.get(pk=response.pk)
    response_submit(response=read, expected_revision=read.revision)
    with pytest.raises(ResponseClosed):
        response_save_step(
            response=read,
            step="about",
            expected_revision=read.revision,
            draft={"about-age": ["7"]},
            as_read=True,
        )
    stored = Response.objects.get(pk=response.pk)
    assert stored.is_submitted and stored.revision == read.revision + 1

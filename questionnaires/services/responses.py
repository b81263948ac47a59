"""Responses: start, save a step, change language, submit.

Every write locks the response row (``select_for_update``; on SQLite the IMMEDIATE
transaction serialises writers instead) and checks ``Response.revision`` against the
revision the patient's page was rendered with. A mismatch means another tab or
device saved in between: the service raises ``StaleRevision`` and writes nothing, so
two tabs can never silently overwrite each other. Every successful write bumps the
revision. A step saved from the row as the request read it (the wizard) skips the locked
re-read: its UPDATE holds only while the revision is still the one read, which gives the
same guarantee in one statement.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from questionnaires.answers import answers_to_json, value_to_json
from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import Kind
from questionnaires.engine.validation import step_answer_problems
from questionnaires.i18n import language_codes
from questionnaires.models import (
    AuditAction,
    Invitation,
    QuestionnaireVersion,
    Response,
    ResponseStatus,
)
from questionnaires.patient.walk import (
    PRESET_CONDITION_KEY,
    Walk,
    empty_wizard_state,
    storage_key,
    wizard_state_of,
)
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.results import result_create
from questionnaires.services.weighing_input import answers_prepared_from

MAX_DRAFT_CHARACTERS = 200_000  # a generous bound on what one step can hold when typed


class StaleRevision(ServiceRefused):
    """The response changed since the page was rendered (another tab or device)."""

    def __init__(self):
        super().__init__(["These answers were changed in another window or on another device."])


class ResponseClosed(ServiceRefused):
    """The response was submitted: it never changes again."""

    def __init__(self):
        super().__init__(["These answers have been sent and can no longer be changed."])


class SubmitIncomplete(ServiceRefused):
    """A walked step does not validate; ``step`` says which one to send the patient to."""

    def __init__(self, step: str):
        self.step = step
        super().__init__([f"Step '{step}' is not complete."])


def _lock(response: Response) -> Response:
    return (
        Response.objects.select_for_update(of=("self",))
        .select_related("version__questionnaire", "invitation__team")
        .get(pk=response.pk)
    )


def _check_open(locked: Response, expected_revision: int) -> None:
    if locked.is_submitted:
        raise ResponseClosed
    if locked.revision != expected_revision:
        raise StaleRevision


# --- start ---------------------------------------------------------------------------------


@transaction.atomic
def response_start(*, invitation: Invitation, language: str | None = None) -> Response:
    """The invitation's response, created on first start and pinned to the published version.

    Idempotent: starting twice (two tabs, a double click) returns the same response.
    """
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("questionnaire")
        .get(pk=invitation.pk)
    )
    if invitation.is_revoked or invitation.is_expired():
        raise ServiceRefused(["This invitation can no longer be used."])
    existing = (
        Response.objects.select_related("version__questionnaire")
        .filter(invitation=invitation)
        .first()
    )
    if existing is not None:
        return existing
    version = invitation.questionnaire.published_version()
    if version is None:
        raise ServiceRefused(["This questionnaire is not available at the moment."])
    language = language if language in language_codes() else invitation.language
    answers, preset = _preset_answers(version, disease=invitation.disease)
    response = Response.objects.create(
        invitation=invitation, version=version, language=language, answers=answers
    )
    _write_initial_state(response, preset=preset)
    return response


@transaction.atomic
def response_start_preview(
    *, version: QuestionnaireVersion, actor, language: str = "en", disease: str = ""
) -> Response:
    """A throw-away response for a content admin walking any version, drafts included."""
    if not getattr(actor, "is_staff", False):
        raise ServiceRefused(["Only staff can preview questionnaires."])
    language = language if language in language_codes() else "en"
    answers, preset = _preset_answers(version, disease=disease)
    response = Response.objects.create(
        invitation=None, version=version, is_preview=True, language=language, answers=answers
    )
    _write_initial_state(response, preset=preset)
    return response


def _preset_answers(version: QuestionnaireVersion, *, disease: str) -> tuple[dict, list[str]]:
    """The ``condition`` answer an invitation sets, when the questionnaire asks it."""
    if not disease:
        return {}, []
    question = version_definition(version).question_map().get(PRESET_CONDITION_KEY)
    if question is None or question.kind != Kind.SINGLE_CHOICE:
        return {}, []
    if disease not in {choice.value for choice in question.choices}:
        return {}, []
    return {PRESET_CONDITION_KEY: disease}, [PRESET_CONDITION_KEY]


def _write_initial_state(response: Response, *, preset: list[str]) -> None:
    state = empty_wizard_state()
    state["extra_data"]["preset"] = preset
    response.wizard_state = {storage_key(response.pk): state}
    response.save(update_fields=["wizard_state"])


# --- save a step -----------------------------------------------------------------------------


def response_save_step(
    *,
    response: Response,
    step: str,
    expected_revision: int,
    values: Mapping[str, Any] | None = None,
    draft: Mapping[str, list[str]] | None = None,
    resume_at: str | None = None,
    as_read: bool = False,
) -> Response:
    """Save one step, committed before the patient is sent on.

    ``values`` (engine-typed answers by question key, None or "" to clear) means the
    step passed validation: the answers are stored, any draft is dropped and the step
    counts as accepted. ``draft`` (the raw typed data) keeps what was typed on a step
    left without passing validation ("Back", "Save and come back later"); it changes
    no answer. Exactly one of the two is given. ``resume_at`` is where "continue"
    leads next time.

    ``as_read``: ``response`` is the row exactly as this request read it, unchanged in
    memory (the wizard's journey). The new answers are then computed from it and written
    by one UPDATE that holds only while the row still has that revision and is not
    submitted, instead of re-reading the row under a lock first: the same guarantee (no
    save is lost or applied over another; every writer of answers or wizard state bumps
    the revision) in one statement instead of four. The object passed is not changed.
    """
    if (values is None) == (draft is None):
        raise ServiceRefused(["Give either validated values or a draft."])
    if as_read:
        return _save_step_as_read(
            response,
            step=step,
            expected_revision=expected_revision,
            values=values,
            draft=draft,
            resume_at=resume_at,
        )
    with transaction.atomic():
        locked = _lock(response)
        _check_open(locked, expected_revision)
        locked.answers, locked.wizard_state = _saved_step(
            locked, step=step, values=values, draft=draft, resume_at=resume_at
        )
        locked.revision += 1
        locked.save(update_fields=["answers", "wizard_state", "revision", "updated_at"])
    return locked


def _save_step_as_read(
    response: Response,
    *,
    step: str,
    expected_revision: int,
    values: Mapping[str, Any] | None,
    draft: Mapping[str, list[str]] | None,
    resume_at: str | None,
) -> Response:
    _check_open(response, expected_revision)
    answers, wizard_state = _saved_step(
        response, step=step, values=values, draft=draft, resume_at=resume_at
    )
    now = timezone.now()
    written = (
        Response.objects.filter(pk=response.pk, revision=expected_revision)
        .exclude(status=ResponseStatus.SUBMITTED)
        .update(
            answers=answers,
            wizard_state=wizard_state,
            revision=expected_revision + 1,
            updated_at=now,
        )
    )
    if not written:  # another tab or device saved or submitted since this request read it
        stored = Response.objects.filter(pk=response.pk).values_list("status", flat=True).first()
        if stored == ResponseStatus.SUBMITTED:
            raise ResponseClosed
        raise StaleRevision
    saved = copy.copy(response)
    saved.answers, saved.wizard_state = answers, wizard_state
    saved.revision, saved.updated_at = expected_revision + 1, now
    return saved


def _saved_step(
    response: Response,
    *,
    step: str,
    values: Mapping[str, Any] | None,
    draft: Mapping[str, list[str]] | None,
    resume_at: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(answers, wizard state) after saving ``step`` on ``response``, which stays unchanged."""
    definition = version_definition(response.version)
    step_def = next((s for s in definition.steps if s.key == step), None)
    if step_def is None:
        raise ServiceRefused([f"Unknown step '{step}'."])
    state = copy.deepcopy(wizard_state_of(response))
    answers = dict(response.answers or {})
    if values is not None:
        questions = {question.key: question for question in step_def.questions}
        unknown = sorted(set(values) - set(questions))
        if unknown:
            raise ServiceRefused([f"Not questions of step '{step}': {', '.join(unknown)}."])
        for key, value in values.items():
            if is_answered(value):
                answers[key] = value_to_json(questions[key], value)
            else:
                answers.pop(key, None)
        state["step_data"].pop(step, None)
        accepted = state["extra_data"]["accepted"]
        if step not in accepted:
            accepted.append(step)
    else:
        size = sum(len(name) + sum(len(v) for v in items) for name, items in draft.items())
        if size > MAX_DRAFT_CHARACTERS:
            raise ServiceRefused(["This page holds more text than can be saved."])
        state["step_data"][step] = {name: list(items) for name, items in draft.items()}
    if resume_at is not None:
        state["step"] = resume_at
    return answers, {storage_key(response.pk): state}


# --- language --------------------------------------------------------------------------------


@transaction.atomic
def response_set_language(*, response: Response, language: str) -> Response:
    """The language the questionnaire is shown in; answers are coded, so nothing else changes.

    Not a change of answers, so the revision stays: a language switch in one tab does
    not make another tab's page stale. A submitted response keeps its language.
    """
    if language not in language_codes():
        raise ServiceRefused([f"Unknown language '{language}'."])
    locked = _lock(response)
    if locked.is_submitted:
        raise ResponseClosed
    locked.language = language
    locked.save(update_fields=["language", "updated_at"])
    return locked


# --- submit ----------------------------------------------------------------------------------


def response_submit(*, response: Response, expected_revision: int) -> Response:
    """Revalidate every walked step, store the pruned answers, mark submitted, freeze the result.

    Idempotent: when the response is already submitted (a double click, a retry, a
    second tab) it is returned unchanged, so there is exactly one submission and
    one result. Raises ``StaleRevision`` when the answers changed since the patient's
    check page was rendered, and ``SubmitIncomplete`` naming the first step to fix.
    """
    with transaction.atomic():
        locked = _lock(response)
        if locked.is_submitted:
            return locked
        if locked.revision != expected_revision:
            raise StaleRevision
        walk = Walk.for_response(locked)
        if not walk.step_keys:
            raise ServiceRefused(["This questionnaire has no questions to answer."])
        for key in walk.step_keys:
            if not walk.is_complete(key):  # never accepted, a draft pending, or answers missing
                raise SubmitIncomplete(key)
            # The checks the step form applied, on the stored answers (no form is built).
            if step_answer_problems(
                walk.step(key), kept=walk.kept, visibility=walk.visibility, preset=walk.preset
            ):
                raise SubmitIncomplete(key)
        now = timezone.now()
        # ``walk.kept`` is exactly the pruned answers: visible, answered, nothing else.
        locked.answers = answers_to_json(walk.definition, walk.kept)
        locked.status = ResponseStatus.SUBMITTED
        locked.submitted_at = now
        locked.wizard_state = {}  # raw drafts and stale answers have no use any more
        locked.revision += 1
        locked.save(
            update_fields=[
                "answers",
                "status",
                "submitted_at",
                "wizard_state",
                "revision",
                "updated_at",
            ]
        )
        invitation = locked.invitation
        audit_record(
            action=AuditAction.RESPONSE_SUBMITTED,
            team=invitation.team if invitation else None,
            invitation_id=invitation.pk if invitation else None,
            response_id=locked.pk,
            object_repr=f"response {locked.pk}",
            detail={"version_id": locked.version_id, "preview": locked.is_preview},
        )
        # The walk's typed, pruned answers go on to the result: no second conversion or walk.
        result_create(
            response=locked,
            prepared=answers_prepared_from(
                definition=walk.definition,
                visibility=walk.visibility,
                pruned=walk.kept,
                given=walk.kept,
            ),
        )
    return locked

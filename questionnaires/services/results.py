"""Freezing the result of a submitted response: the snapshot every summary reads.

A ``Result`` is written once, inside the submit transaction, and never changes. It
records what produced it (engine version, definition hash, profile versions) and a
hash over everything in it, so a summary re-rendered from it later is provably the
same.

The path (docs/architecture.md "The data path", steps 3–5):

1. The prepared answers (``services.weighing.PreparedAnswers``: typed, walked, pruned,
   scales scored), from the submit or from the stored answers: their scale results.
2. ``_weighing``: the therapy weighing (``services.weighing.weighing_compute``),
   (and ``profile_versions``) here, keeping this module the one place that freezes.
3. After the transaction commits, the summary PDFs are requested
   (``services.summaries.summary_render_enqueue``: the clinician's copy and the
   patient's). A failure there is logged and never reaches the patient's page: the
   documents are then rendered when someone asks for them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.db import transaction

from questionnaires.engine import ENGINE_VERSION
from questionnaires.engine.definition import VersionDef
from questionnaires.engine.scoring import ScaleResult
from questionnaires.engine.snapshot import scale_from_result, scale_to_json
from questionnaires.models import Response, Result
from questionnaires.selectors.definitions import definition_hash, version_definition
from questionnaires.selectors.therapies import ProfilesMissing
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.summaries import summary_render_enqueue
from questionnaires.services.weighing import weighing_compute
from questionnaires.services.weighing_input import PreparedAnswers, answers_prepare
from questionnaires.summary.flags import red_flag_count

logger = logging.getLogger(__name__)


def result_freeze(*, response: Response, prepared: PreparedAnswers | None = None) -> Result:
    """The frozen result of a submitted response (created once; later calls return it).

    ``prepared``: the answers as the submit already typed, walked and scored them
    (``response_submit`` passes them, so one submit converts, walks and scores once);
    otherwise they are prepared here from the stored answers.
    """
    if not response.is_submitted:
        raise ServiceRefused(["Only a submitted response has a result."])
    existing = Result.objects.filter(response=response).first()
    if existing is not None:
        return existing
    return result_create(response=response, prepared=prepared)


def result_create(*, response: Response, prepared: PreparedAnswers | None = None) -> Result:
    """The result of a response submitted in the caller's transaction, which holds its lock.

    ``response_submit`` calls this instead of ``result_freeze``: the response was in
    progress until this transaction, and results are only made for submitted responses, so
    there is none to look up. No savepoint: if the result cannot be stored, the whole submit
    must roll back, never keep a submitted response without its result.
    """
    with transaction.atomic(savepoint=False):
        definition = version_definition(response.version)
        if prepared is None:
            prepared = answers_prepare(definition=definition, answers=response.answers)
        scores = [scale_result_json(scale) for scale in prepared.scales]
        weighing, profile_versions = _weighing(definition, prepared)
        content = {
            "engine_version": ENGINE_VERSION,
            "definition_hash": _definition_hash(response, definition),
            "profile_versions": profile_versions,
            "answers": response.answers,
            "scores": scores,
            "weighing": weighing,
        }
        result = Result.objects.create(
            response=response,
            engine_version=content["engine_version"],
            definition_hash=content["definition_hash"],
            profile_versions=profile_versions,
            scores=scores,
            weighing=weighing,
            snapshot_hash=snapshot_hash(content),
            red_flags=red_flag_count(
                asked=list(definition.question_map()),
                answers=prepared.pruned,
                scores=scores,
                weighing=weighing,
            ),
        )
        transaction.on_commit(lambda: _request_summaries(result))
    return result


def _weighing(definition: VersionDef, prepared: PreparedAnswers) -> tuple[dict, dict]:
    """(weighing, profile versions) from the therapy profiles in force right now."""
    try:
        weighing = (
            weighing_compute(
                definition=definition, answers=prepared.pruned, prepared_answers=prepared
            )
            or {}
        )
    except ProfilesMissing:
        # A questionnaire can be used before any therapy profile is loaded (an imported
        # FHIR form, say): the answers still count, the summary just has no options.
        logger.warning("therapy profiles not loaded; result frozen without weighing")
        weighing = {}
    return weighing, weighing.get("profile_versions", {})


def scale_result_json(result: ScaleResult) -> dict[str, Any]:
    """One scale result as ``Result.scores`` stores it: decimals as exact text, the band's
    label as translated text (``engine.snapshot`` reads it back)."""
    return scale_to_json(scale_from_result(result))


def _definition_hash(response: Response, definition: VersionDef) -> str:
    if response.version.definition_hash:
        return response.version.definition_hash
    # A draft walked in preview has no stored hash: compute it the way publishing does.
    return definition_hash(definition)


def snapshot_hash(content: dict[str, Any]) -> str:
    """SHA-256 over canonical JSON (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _request_summaries(result: Result) -> None:
    """After commit: request the summary PDFs. A failure must not reach the patient's page
    (the submission is already stored); it is logged without patient data."""
    try:
        summary_render_enqueue(result=result)
    except Exception:
        logger.exception("summary render request failed for result %s", result.pk)

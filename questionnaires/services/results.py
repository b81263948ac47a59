"""Freezing the result of a submitted response: the snapshot every summary reads.

A ``Result`` is written once, inside the submit transaction, and never changes. It
records what produced it (engine version, definition hash, profile versions) and a
hash over everything in it, so a summary re-rendered from it later is provably the
same.

The path (DESIGN "The one path data takes", steps 3–5):

1. ``_scores``: scale scores from the pruned answers (``engine.scoring``).
2. ``_weighing``: the therapy weighing (``services.weighing.weighing_compute``),
   (and ``profile_versions``) here, keeping this module the one place that freezes.
3. After the transaction commits, every function in ``RESULT_FROZEN_HOOKS`` is called
   with the new ``Result`` (e.g. the clinician side registers "enqueue the summary
   render"). Nothing is enqueued from here directly. Hooks must not raise; one that
   does is logged and the others still run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from questionnaires.answers import answers_from_json
from questionnaires.engine import ENGINE_VERSION
from questionnaires.engine.definition import VersionDef
from questionnaires.engine.scoring import ScaleResult, score_scales
from questionnaires.engine.visibility import prune_hidden
from questionnaires.models import Response, Result
from questionnaires.services.errors import ServiceRefused
from questionnaires.summary.flags import red_flag_count
from questionnaires.walk import version_definition

logger = logging.getLogger(__name__)

ResultHook = Callable[[Result], None]
RESULT_FROZEN_HOOKS: list[ResultHook] = []


def on_result_frozen(hook: ResultHook) -> ResultHook:
    """Register ``hook(result)`` to run after a result's transaction commits (decorator)."""
    if hook not in RESULT_FROZEN_HOOKS:
        RESULT_FROZEN_HOOKS.append(hook)
    return hook


def result_freeze(*, response: Response) -> Result:
    """The frozen result of a submitted response (created once; later calls return it)."""
    if not response.is_submitted:
        raise ServiceRefused(["Only a submitted response has a result."])
    existing = Result.objects.filter(response=response).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        definition = version_definition(response.version)
        answers = prune_hidden(definition, answers_from_json(definition, response.answers))
        scores = _scores(definition, answers)
        weighing, profile_versions = _weighing(definition, answers)
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
                answers=answers,
                scores=scores,
                weighing=weighing,
            ),
        )
        transaction.on_commit(lambda: _run_hooks(result))
    return result


def _scores(definition: VersionDef, answers: dict[str, Any]) -> list[dict[str, Any]]:
    return [scale_result_json(result) for result in score_scales(definition, answers)]


def _weighing(definition: VersionDef, answers: dict[str, Any]) -> tuple[dict, dict]:
    """(weighing, profile versions) from the therapy profiles in force right now."""
    from questionnaires.services.weighing import ProfilesMissing, weighing_compute

    try:
        weighing = weighing_compute(definition=definition, answers=answers) or {}
    except ProfilesMissing:
        # A questionnaire can be used before any therapy profile is loaded (an imported
        # FHIR form, say): the answers still count, the summary just has no options.
        logger.warning("therapy profiles not loaded; result frozen without weighing")
        weighing = {}
    return weighing, weighing.get("profile_versions", {})


def scale_result_json(result: ScaleResult) -> dict[str, Any]:
    """One scale result as JSON: decimals as exact text, the band's label as translated text."""
    return {
        "key": result.key,
        "score": _decimal_text(result.score),
        "status": result.status,
        "answered": result.answered,
        "missing": result.missing,
        "band_index": result.band_index,
        "band_label": dict(result.band.label) if result.band is not None else None,
        "severity": result.severity,
        "items": [[key, _decimal_text(value)] for key, value in result.item_values],
    }


def _decimal_text(value) -> str | None:
    return None if value is None else format(value, "f")


def _definition_hash(response: Response, definition: VersionDef) -> str:
    if response.version.definition_hash:
        return response.version.definition_hash
    # A draft walked in preview has no stored hash: compute it the way publishing does.
    from questionnaires.services.definitions import definition_hash

    return definition_hash(definition)


def snapshot_hash(content: dict[str, Any]) -> str:
    """SHA-256 over canonical JSON (sorted keys, no whitespace, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _run_hooks(result: Result) -> None:
    for hook in list(RESULT_FROZEN_HOOKS):
        try:
            hook(result)
        except Exception:  # one failing hook must not stop the others or the patient's page
            logger.exception("result hook %s failed for result %s", hook, result.pk)

"""The context of the patient's results (``templates/patient/_results.html``).

Not a view: the confirmation page calls ``patient_results_context_for(result=…)`` and
includes the partial with ``results`` set to what it returns. Everything comes from the
frozen ``Result`` (its weighing snapshot and the response's answers), never from the
live profiles, so the page shows what the patient's result was computed from.

The page follows the Option Grid / IPDAS pattern (issue 10): it informs and never ranks.
The options are shown in the weighing's guideline groups, alphabetically within a group,
with no fit number, no rank and no "best"; an option grid compares a few of them side by
side on the questions patients ask, every figure in one denominator. The fit stays in the
clinician's summary, where the sensitivity analysis makes it honest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from questionnaires.summary import explain

from .grid import (
    grid,
    grid_options,
)
from .groups import (
    GOAL_KEY,
    GRID_MAX_OPTIONS,
    OWN_QUESTIONS_KEY,
    WITHIN_LIMITS,
    alphabetical,
    group_of,
    not_suitable,
    status_quo_id,
)
from .words import (
    condition_name,
    group_option,
)


def patient_results_context_for(*, result, language: str | None = None) -> dict[str, Any] | None:
    """The partial's context for a frozen ``Result`` (None when nothing was weighed)."""
    return patient_results_context(
        weighing=result.weighing,
        answers=result.response.answers,
        language=language or result.response.language,
    )


def patient_results_context(
    *,
    weighing: Mapping[str, Any] | None,
    answers: Mapping[str, Any],
    language: str,
    grid_max: int = GRID_MAX_OPTIONS,
) -> dict[str, Any] | None:
    if not weighing:
        return None
    with translation.override(language):
        return _context(weighing, answers, grid_max=grid_max)


def _by_reason(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group-2 options under each reason they are there for (an option with two reasons
    is under both), alphabetically under each: a reason shared by six options is said
    once, not six times."""
    reasons: dict[str, list[dict[str, Any]]] = {}
    for option in options:
        for reason in option["short_reasons"]:
            reasons.setdefault(reason, []).append(option)
    return [{"text": text, "options": alphabetical(items)} for text, items in reasons.items()]


def _context(
    weighing: Mapping[str, Any], answers: Mapping[str, Any], *, grid_max: int
) -> dict[str, Any]:
    groups = group_of(weighing)
    status_quo = status_quo_id(weighing)
    fits, conflicts = [], []
    for option in weighing["ranked"]:
        item = group_option(weighing, option, status_quo)
        (fits if groups[option["option_id"]] == WITHIN_LIMITS else conflicts).append(item)
    unsuitable = not_suitable(weighing, status_quo)
    grid_ids = grid_options(weighing, groups, status_quo, grid_max)
    evidence = weighing.get("evidence") or {}
    preferences = weighing["preferences"]
    return {
        "language": translation.get_language(),
        "condition": weighing["disease"],
        "condition_name": condition_name(weighing["disease"]),
        "priorities": [explain.criterion_name(key, weighing) for key in weighing["priority"][:3]]
        if preferences.get("ranking_given")
        else [],
        "priorities_sentence": explain.priorities_sentence(weighing),
        "risk_limit": explain.risk_limit_label(preferences.get("mar_serious_harm"))
        if preferences.get("mar_serious_harm")
        else "",
        "grid": grid(weighing, grid_ids, groups),
        "groups": [
            group
            for group in (
                {
                    "key": "fits",
                    "heading": gettext("Options that fit what you said matters"),
                    "options": alphabetical(fits),
                },
                {
                    "key": "conflicts",
                    "heading": gettext(
                        "Options that conflict with something you said, or are for special cases"
                    ),
                    "options": alphabetical(conflicts),
                    "by_reason": _by_reason(alphabetical(conflicts)),
                },
            )
            if group["options"]
        ],
        "not_suitable": unsuitable,
        "not_recommended": [
            {
                "option_id": option_id,
                "name": explain.option_name(weighing, option_id),
                "note": explain.pick(weighing["options"][option_id].get("status_note")),
            }
            for option_id in weighing.get("not_recommended", [])
        ],
        "goal": _text_answer(answers.get(GOAL_KEY)),
        "own_questions": _text_answer(answers.get(OWN_QUESTIONS_KEY)),
        "evidence": {
            "oldest_checked": evidence.get("oldest_checked"),
            "newest_checked": evidence.get("newest_checked"),
            "next_review": evidence.get("next_review"),
            "overdue_count": len(evidence.get("overdue") or []),
        },
        "engine_version": weighing["engine_version"],
    }


def _text_answer(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""

"""The context of the patient's results (``templates/patient/_results.html``).

Not a view: the confirmation page calls ``patient_results_context_for(result=…)`` and
includes the partial with ``results`` set to what it returns. Everything comes from the
frozen ``Result`` (its weighing snapshot and the response's answers), never from the
live profiles, so the page shows what the patient's result was computed from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from questionnaires.summary import explain

# Option Grid style: a few columns read well; the rest are listed with their fit below.
GRID_MAX_OPTIONS = 5
LOW_CERTAINTY = ("low", "very_low")
GOAL_KEY = "goal"
OWN_QUESTIONS_KEY = "own_questions"


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


def _badges(weighing: Mapping[str, Any], option_id: str) -> dict[str, Any]:
    display = weighing["options"].get(option_id, {})
    status, certainty = display.get("status"), display.get("certainty")
    return {
        "status": status,
        "status_label": explain.status_label(status),
        "certainty": certainty,
        "certainty_label": explain.certainty_label(certainty),
        "experimental": status == "experimental",
        "off_label": status == "off_label",
        "low_certainty": certainty in LOW_CERTAINTY,
        "has_unverified": bool(display.get("has_unverified")),
    }


def _details(display: Mapping[str, Any]) -> list[dict[str, str]]:
    """What it is, benefits and downsides (in equal detail), living with it, pregnancy."""
    sections = (
        ("what_it_is", gettext("What it is")),
        ("how_taken", gettext("How it is taken")),
        ("benefits", gettext("Possible benefits")),
        ("downsides", gettext("Possible downsides")),
        ("living_with", gettext("What it is like to live with")),
        ("pregnancy", gettext("Pregnancy and breastfeeding")),
    )
    return [
        {"key": key, "heading": heading, "text": explain.pick(display.get(key))}
        for key, heading in sections
        if explain.pick(display.get(key))
    ]


def _grid(weighing: Mapping[str, Any], option_ids: list[str]) -> dict[str, Any]:
    options = weighing["options"]

    def cell(option_id: str, row: str) -> dict[str, Any]:
        display = options.get(option_id, {})
        if row == "how_taken":
            text = explain.pick(display.get("schedule")) or explain.pick(display.get("how_taken"))
            return {"lines": [text] if text else []}
        if row == "speed":
            return {"lines": [explain.onset_text(display.get("onset_weeks"))]}
        if row == "effect":
            lines = [explain.outcome_sentence(outcome) for outcome in display.get("outcomes", [])]
            if not lines:
                lines = [gettext("No reliable numbers yet.")]
            return {"lines": lines}
        if row in ("common_side_effects", "serious_risks", "monitoring"):
            return {"lines": explain.pick_list(display.get(row)), "list": True}
        if row == "certainty":
            code = display.get("certainty")
            return {
                "lines": [explain.certainty_label(code), explain.certainty_sentence(code)],
                "emphasis": code in LOW_CERTAINTY,
            }
        code = display.get("status")
        note = explain.pick(display.get("status_note"))
        return {
            "lines": [explain.status_label(code), *([note] if note else [])],
            "emphasis": code in ("experimental", "off_label"),
        }

    rows = (
        ("how_taken", gettext("How is it taken?")),
        ("speed", gettext("How soon does it help?")),
        ("effect", gettext("How well does it work?")),
        ("common_side_effects", gettext("Common side effects")),
        ("serious_risks", gettext("Serious risks")),
        ("monitoring", gettext("Tests needed")),
        ("certainty", gettext("How sure is the evidence?")),
        ("status", gettext("Status")),
    )
    columns = [
        {
            "option_id": option_id,
            "name": explain.option_name(weighing, option_id),
            "badges": _badges(weighing, option_id),
        }
        for option_id in option_ids
    ]
    return {
        "columns": columns,
        "rows": [
            {
                "key": key,
                "label": label,
                "cells": [cell(option_id, key) for option_id in option_ids],
            }
            for key, label in rows
        ],
        # The same facts per option, for the stacked layout on narrow screens.
        "cards": [
            {
                **column,
                "facts": [
                    {"label": label, **cell(column["option_id"], key)} for key, label in rows
                ],
            }
            for column in columns
        ],
    }


def _grid_options(weighing: Mapping[str, Any], grid_max: int) -> list[str]:
    """The best-fitting options plus "no change", in fit order."""
    ranked = [option["option_id"] for option in weighing["ranked"]]
    status_quo = next(
        (option["option_id"] for option in weighing["ranked"] if option["is_status_quo"]), None
    )
    chosen = [option_id for option_id in ranked if option_id != status_quo][: grid_max - 1]
    if status_quo is not None:
        chosen.append(status_quo)
    return [option_id for option_id in ranked if option_id in chosen]


def _context(
    weighing: Mapping[str, Any], answers: Mapping[str, Any], *, grid_max: int
) -> dict[str, Any]:
    fits = []
    conflicts = []
    for option in weighing["ranked"]:
        option_id = option["option_id"]
        name = explain.option_name(weighing, option_id)
        option_conflicts = [
            explain.conflict_sentence(weighing, conflict) for conflict in option["conflicts"]
        ]
        if option_conflicts:
            conflicts.append({"option_id": option_id, "name": name, "sentences": option_conflicts})
        fits.append(
            {
                "option_id": option_id,
                "name": name,
                "rank": option["rank"],
                "fit": option["fit_display"],
                "is_status_quo": option["is_status_quo"],
                "sentence": explain.fit_sentence(weighing, option),
                "badges": _badges(weighing, option_id),
                "conflicts": option_conflicts,
                # Why it comes after the options within every limit (group 2), then cautions;
                # snapshots from before issue 8 have no "restrictions".
                "cautions": [
                    explain.reason_sentence(weighing, reason)
                    for reason in [*option.get("restrictions", []), *option["cautions"]]
                ],
                "adjustments": [
                    explain.adjustment_sentence(weighing, adjustment)
                    for adjustment in option["adjustments"]
                ],
                "details": _details(weighing["options"].get(option_id, {})),
            }
        )
    grid_ids = _grid_options(weighing, grid_max)
    evidence = weighing.get("evidence") or {}
    return {
        "language": translation.get_language(),
        "condition": weighing["disease"],
        "priorities": [explain.criterion_name(key, weighing) for key in weighing["priority"][:3]]
        if weighing["preferences"].get("ranking_given")
        else [],
        "priorities_sentence": explain.priorities_sentence(weighing),
        "grid": _grid(weighing, grid_ids),
        "more_options": len(fits) - len(grid_ids),
        "fits": fits,
        "conflicts": conflicts,
        "not_suitable": [
            {
                "option_id": item["option_id"],
                "name": explain.option_name(weighing, item["option_id"]),
                "badges": _badges(weighing, item["option_id"]),
                "reasons": [explain.reason_sentence(weighing, r) for r in item["reasons"]],
            }
            for item in weighing["not_suitable"]
        ],
        "not_recommended": [
            {
                "option_id": option_id,
                "name": explain.option_name(weighing, option_id),
                "note": explain.pick(weighing["options"][option_id].get("status_note")),
            }
            for option_id in weighing.get("not_recommended", [])
        ],
        "sensitivity_sentence": explain.sensitivity_sentence(weighing),
        "close_call": weighing["sensitivity"]["close_call"],
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

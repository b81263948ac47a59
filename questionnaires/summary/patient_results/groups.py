"""Which of the weighing's groups each option is shown in, what the patient is told about
it there, and the options that are not suitable now.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.utils.translation import get_language, gettext

from questionnaires.formatting import alphabetical_key
from questionnaires.summary import explain

# An Option Grid compares a few options; more columns do not fit a phone or a mind.
GRID_MIN_OPTIONS = 2
GRID_MAX_OPTIONS = 3
LOW_CERTAINTY = ("low", "very_low")
GOAL_KEY = "goal"
OWN_QUESTIONS_KEY = "own_questions"
STATUS_QUO = "no_change"
WITHIN_LIMITS, LIMIT_OR_RESTRICTED, NOT_SUITABLE = 1, 2, 3
# Serious-harm figures are stored per 1000 people a year.
HARM_PER = 1000
# Icon arrays: columns per row for each denominator (rows follow), so a phone shows them
# whole: 20×5 for 100 people, 50×20 for 1000.
ICON_COLUMNS = {100: 20, 1000: 50}
# Grid rows, in the order patients ask (Option Grid: how well, how soon, harms, burden).
GRID_ROWS = ("effect", "speed", "serious_harm", "common_side_effects", "how_taken", "monitoring")
# Which weighed criterion each row's figure stands for: an unconfirmed value of that
# criterion (the indication's ``uncertain``) is marked on that cell, and only there.
ROW_CRITERION = {"speed": "speed", "serious_harm": "serious_harm"}


# --- groups ----------------------------------------------------------------------------------


def group_of(weighing: Mapping[str, Any]) -> dict[str, int]:
    """Option id → guideline group (1, 2, 3). Snapshots from before issue 8 have no
    groups: an option against a stated limit then counts as group 2."""
    groups: dict[str, int] = {}
    for group in weighing.get("groups") or []:
        for option in group["options"]:
            groups[option["option_id"]] = int(group["group"])
    for option in weighing["ranked"]:
        if option["option_id"] not in groups:
            conflicted = any(c.get("level", "conflict") == "conflict" for c in option["conflicts"])
            groups[option["option_id"]] = option.get("group") or (
                LIMIT_OR_RESTRICTED if conflicted else WITHIN_LIMITS
            )
    for item in weighing["not_suitable"]:
        groups[item["option_id"]] = NOT_SUITABLE
    return groups


def status_quo_id(weighing: Mapping[str, Any]) -> str | None:
    for option in weighing["ranked"]:
        if option["is_status_quo"]:
            return option["option_id"]
    if any(item["option_id"] == STATUS_QUO for item in weighing["not_suitable"]):
        return STATUS_QUO
    return None


def on_a_treatment(weighing: Mapping[str, Any]) -> bool:
    answer = weighing.get("current_treatment_answer")
    return bool(weighing.get("current_therapy")) or bool(answer and answer != "none")


# Option names are therapy content (a few dozen per language), never a patient's words, so
# their sort keys may stay in process memory: the pinyin conversion was a tenth of the
# confirmation page's time (docs/performance.md).
_option_name_key = functools.lru_cache(maxsize=1024)(alphabetical_key)


def alphabetical(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By the name the patient reads, the status quo ("no change") last: it is the
    comparison every option is weighed against, not one of the alphabet. Chinese names by
    their pinyin (``formatting.alphabetical_key``)."""
    language = get_language()
    return sorted(
        items,
        key=lambda item: (item["is_status_quo"], _option_name_key(str(item["name"]), language)),
    )


def badges(weighing: Mapping[str, Any], option_id: str) -> dict[str, Any]:
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
    }


def details(display: Mapping[str, Any]) -> list[dict[str, str]]:
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


def _current_reason_only(item: Mapping[str, Any]) -> bool:
    return all(reason.get("code") == "current_treatment" for reason in item["reasons"])


def not_suitable(weighing: Mapping[str, Any], status_quo: str | None) -> list[dict[str, Any]]:
    """Options not suitable now, without contradicting the "stay on it" option: the
    current treatment is shown once, as staying on it, never also as "not suitable" for
    the sole reason that it is what the patient takes now."""
    current = weighing.get("current_therapy")
    status_quo_excluded = any(item["option_id"] == status_quo for item in weighing["not_suitable"])
    items = []
    for item in weighing["not_suitable"]:
        option_id = item["option_id"]
        if option_id == current and (_current_reason_only(item) or status_quo_excluded):
            continue  # staying on it says it (in its group, or here with its reasons)
        reasons = [
            explain.reason_sentence(weighing, reason)
            for reason in item["reasons"]
            if reason.get("code") != "current_treatment"
        ]
        items.append(
            {
                "option_id": option_id,
                "name": explain.option_name(weighing, option_id),
                "is_status_quo": option_id == status_quo,
                "badges": badges(weighing, option_id),
                "reasons": list(dict.fromkeys(reasons)),
                "details": details(weighing["options"].get(option_id, {})),
                "has_unverified": bool(
                    weighing["options"].get(option_id, {}).get("has_unverified")
                ),
            }
        )
    return alphabetical(items)

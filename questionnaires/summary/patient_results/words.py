"""Words for the page: only what is about the patient's own condition, short names, and the
short reasons an option is in its group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext

from questionnaires.models import Disease
from questionnaires.summary import explain

from .groups import (
    WITHIN_LIMITS,
    badges,
    details,
)

# --- the patient's condition only -----------------------------------------------------------

# Profile texts are per therapy and some name several conditions ("for eczema, twice a
# week"); a clause about another condition only confuses this patient.
CONDITION_WORDS = {
    "psoriasis": r"psoria|银屑病",
    "atopic_dermatitis": r"eczema|atopic|湿疹|特应性皮炎",
    "multiple_sclerosis": r"\bMS\b|multiple sclerosis|多发性硬化",
    "sle": r"lupus|\bSLE\b|狼疮",
    "vitiligo": r"vitiligo|白癜风",
}
_CLAUSE_END = re.compile(r"(?<=[.;])\s+|(?<=[。；])")


def _about_another_condition(text: str, condition: str) -> bool:
    own = CONDITION_WORDS.get(condition)
    if own is None or re.search(own, text, re.IGNORECASE):
        return False
    return any(
        re.search(words, text, re.IGNORECASE)
        for code, words in CONDITION_WORDS.items()
        if code != condition
    )


def for_condition(text: str, condition: str) -> str:
    """``text`` without its sentences and clauses about another condition only."""
    clauses = [clause for clause in _CLAUSE_END.split(text) if clause]
    kept = [clause for clause in clauses if not _about_another_condition(clause, condition)]
    if len(kept) == len(clauses):
        return text
    joined = "".join(kept) if re.search(r"[。；]", text) else " ".join(kept)
    return joined.rstrip(" ;；")


def lines_for_condition(lines: Sequence[str], condition: str) -> list[str]:
    return [line for line in lines if not _about_another_condition(line, condition)]


# --- words -----------------------------------------------------------------------------------


def short_name(name: str) -> str:
    """The name without its brand names in brackets, for the cells of a stacked grid on a
    phone (the column heading keeps the full name)."""
    short = re.split(r"\s*[(（]", name, maxsplit=1)[0].strip()
    return short or name


def condition_name(code: str | None) -> str:
    try:
        return str(Disease(code).label)
    except ValueError:
        return code or ""


def group_short_label(weighing: Mapping[str, Any], option_id: str, group: int) -> str:
    """Where the option stands, in the words of its group; a group-2 option that breaks no
    stated limit (a bridge, a restricted label) is named for what it is."""
    if group == WITHIN_LIMITS:
        return gettext("Fits what you said matters")
    option = next((o for o in weighing["ranked"] if o["option_id"] == option_id), {})
    if any(c.get("level") == "conflict" for c in option.get("conflicts", [])):
        return gettext("Conflicts with something you said")
    return gettext("For special cases")


def _short_reasons(option: Mapping[str, Any]) -> list[str]:
    """Why a group-2 option is there, in a few words for the list at the top (the full
    sentences are in its "More about" disclosure)."""
    kinds = {
        "above_risk_limit": gettext("above the risk of serious harm you would accept"),
        "risk_unknown": gettext("risk of serious harm not known well enough"),
        "experimental_not_wanted": gettext("experimental, which you did not want"),
        "route_refused": gettext("given in a way you would not accept"),
        "injections_not_wanted": gettext("given by needle, which you would rather avoid"),
    }
    codes = {
        "bridge_therapy": gettext("used for a short time while another treatment starts"),
        "background_therapy": gettext("taken alongside other treatment"),
        "status_quo_active_disease": gettext("not expected to help your active condition"),
    }
    reasons = [
        kinds.get(conflict["kind"], str(conflict["kind"]))
        for conflict in option["conflicts"]
        if conflict.get("level") == "conflict"
    ]
    for reason in option.get("restrictions", []):
        reasons.append(codes.get(reason.get("code"), gettext("kept for special cases")))
    return list(dict.fromkeys(reasons))


def group_option(
    weighing: Mapping[str, Any], option: Mapping[str, Any], status_quo: str | None
) -> dict[str, Any]:
    option_id = option["option_id"]
    display = weighing["options"].get(option_id, {})
    return {
        "option_id": option_id,
        "name": explain.option_name(weighing, option_id),
        "is_status_quo": option_id == status_quo,
        "badges": badges(weighing, option_id),
        "short_reasons": _short_reasons(option),
        "conflicts": [
            explain.conflict_sentence(weighing, conflict)
            for conflict in option["conflicts"]
            if conflict.get("level") == "conflict"
        ],
        # Why it is in group 2 besides a broken limit (restricted, a bridge, …); snapshots
        # from before issue 8 have no "restrictions".
        "restrictions": [
            explain.reason_sentence(weighing, reason) for reason in option.get("restrictions", [])
        ],
        "to_discuss": [
            explain.conflict_sentence(weighing, conflict)
            for conflict in option["conflicts"]
            if conflict.get("level") != "conflict"
        ],
        "cautions": list(
            dict.fromkeys(explain.reason_sentence(weighing, r) for r in option["cautions"])
        ),
        "adjustments": [
            explain.adjustment_sentence(weighing, adjustment)
            for adjustment in option["adjustments"]
        ],
        "details": details(display),
        "has_unverified": bool(display.get("has_unverified")),
    }

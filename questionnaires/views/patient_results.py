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

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, pgettext

from questionnaires.models import Disease
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


# --- groups ----------------------------------------------------------------------------------


def _group_of(weighing: Mapping[str, Any]) -> dict[str, int]:
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


def _status_quo_id(weighing: Mapping[str, Any]) -> str | None:
    for option in weighing["ranked"]:
        if option["is_status_quo"]:
            return option["option_id"]
    if any(item["option_id"] == STATUS_QUO for item in weighing["not_suitable"]):
        return STATUS_QUO
    return None


def _on_a_treatment(weighing: Mapping[str, Any]) -> bool:
    answer = weighing.get("current_treatment_answer")
    return bool(weighing.get("current_therapy")) or bool(answer and answer != "none")


def _alphabetical(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By the name the patient reads, the status quo ("no change") last: it is the
    comparison every option is weighed against, not one of the alphabet."""
    return sorted(items, key=lambda item: (item["is_status_quo"], item["name"].casefold()))


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


def _current_reason_only(item: Mapping[str, Any]) -> bool:
    return all(reason.get("code") == "current_treatment" for reason in item["reasons"])


def _not_suitable(weighing: Mapping[str, Any], status_quo: str | None) -> list[dict[str, Any]]:
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
                "badges": _badges(weighing, option_id),
                "reasons": list(dict.fromkeys(reasons)),
                "details": _details(weighing["options"].get(option_id, {})),
                "has_unverified": bool(
                    weighing["options"].get(option_id, {}).get("has_unverified")
                ),
            }
        )
    return _alphabetical(items)


# --- the option grid -------------------------------------------------------------------------


def _grid_options(
    weighing: Mapping[str, Any], groups: Mapping[str, int], status_quo: str | None, grid_max: int
) -> list[str]:
    """2–4 options: from the first group, then the second (in the weighing's order, which
    the page never shows), and staying on the current treatment when there is one."""
    suitable = [
        option["option_id"]
        for option in weighing["ranked"]
        if option["option_id"] != status_quo and groups[option["option_id"]] < NOT_SUITABLE
    ]
    suitable.sort(key=lambda option_id: groups[option_id])  # stable: weighing order within
    status_quo_suitable = status_quo is not None and groups.get(status_quo, 3) < NOT_SUITABLE
    with_status_quo = status_quo_suitable and (
        _on_a_treatment(weighing) or len(suitable) < GRID_MIN_OPTIONS
    )
    chosen = suitable[: grid_max - 1 if with_status_quo else grid_max]
    if with_status_quo:
        chosen.append(status_quo)
    return chosen


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _grid_figures(weighing: Mapping[str, Any], option_ids: Sequence[str]) -> list[Decimal]:
    """Every figure the grid shows, as a share of one person (0.67 = 67 in 100)."""
    figures = []
    ranked = {option["option_id"]: option for option in weighing["ranked"]}
    for option_id in option_ids:
        outcome = _main_outcome(weighing["options"].get(option_id, {}))
        if outcome is not None:
            count, per = _number(outcome.get("count")), outcome.get("per")
            if count is not None and per:
                figures.append(count / Decimal(per))
        harm = _harm_value(ranked.get(option_id))
        if harm is not None:
            figures.append(harm / HARM_PER)
    return figures


def _denominator(figures: Sequence[Decimal]) -> int:
    """Per 100 when every figure is a whole number of people in 100, else per 1000."""
    if all((figure * 100) == (figure * 100).to_integral_value() for figure in figures):
        return 100
    return 1000


def _main_outcome(display: Mapping[str, Any]) -> Mapping[str, Any] | None:
    outcomes = display.get("outcomes") or []
    return outcomes[0] if outcomes else None


def _harm_value(option: Mapping[str, Any] | None) -> Decimal | None:
    if option is None:
        return None
    value = (option.get("values") or {}).get("serious_harm")
    if value is None:
        value = option.get("serious_harm_per_1000")
    return _number(value)


def denominator_text(denominator: int) -> str:
    if denominator == 1000:
        return pgettext("denominator", "1,000")
    return pgettext("denominator", "100")


def _scaled(text: str, factor: int) -> str:
    return explain.number_text(Decimal(text) * factor)


# Sentences with their figures "in 100" (English) or "每100…" (Chinese), rewritten to
# "in 1,000" when the grid counts in 1000: the count after a comparison without its own
# denominator ("compared with 22 on teriflunomide", "安慰剂为13人") is in 100 as well.
_EN_EXPLICIT = re.compile(
    r"(?P<a>\d+(?:\.\d+)?)(?:(?P<to> to )(?P<b>\d+(?:\.\d+)?))?(?P<mid> (?:[a-z]+ )?)"
    r"(?P<unit>in|per) 100\b"
)
_EN_IMPLICIT = re.compile(
    r"(?P<lead>compared with )(?P<a>\d+(?:\.\d+)?)(?:(?P<to> to )(?P<b>\d+(?:\.\d+)?))?"
    r"(?P<tail> (?:on|with) )"
)
_ZH_EXPLICIT = re.compile(
    r"每100(?P<who>人|名成人)(?P<mid>[^0-9，。；（）]*?)(?P<a>\d+(?:\.\d+)?)"
    r"(?:(?P<to>到)(?P<b>\d+(?:\.\d+)?))?(?P<unit>人|次)"
)
_ZH_IMPLICIT = re.compile(
    r"(?P<lead>为)(?P<a>\d+(?:\.\d+)?)(?:(?P<to>到)(?P<b>\d+(?:\.\d+)?))?(?P<unit>人|次)"
)
_STILL_IN_100 = re.compile(r"\b(?:in|per) 100\b|每100(?!0)")


def rescaled_outcome_text(text: str, *, per: int, denominator: int) -> str | None:
    """The author's outcome sentence (its figures in ``per``) with its figures in
    ``denominator``; None when some figure in it could not be rewritten (the caller then
    builds a sentence from the numbers alone rather than show two denominators)."""
    if per == denominator:
        return text
    if (per, denominator) != (100, 1000):
        return None
    factor = denominator // per
    thousand = denominator_text(denominator)

    def en_explicit(match: re.Match) -> str:
        b = _scaled(match["b"], factor) if match["b"] else None
        return (
            f"{_scaled(match['a'], factor)}{match['to'] + b if b else ''}"
            f"{match['mid']}{match['unit']} {thousand}"
        )

    def implicit(match: re.Match) -> str:
        b = _scaled(match["b"], factor) if match["b"] else None
        tail = match.groupdict().get("tail") or match.groupdict().get("unit") or ""
        return f"{match['lead']}{_scaled(match['a'], factor)}{match['to'] + b if b else ''}{tail}"

    def zh_explicit(match: re.Match) -> str:
        b = _scaled(match["b"], factor) if match["b"] else None
        return (
            f"每{denominator}{match['who']}{match['mid']}{_scaled(match['a'], factor)}"
            f"{match['to'] + b if b else ''}{match['unit']}"
        )

    rewritten = _EN_EXPLICIT.sub(en_explicit, text)
    rewritten = _EN_IMPLICIT.sub(implicit, rewritten)
    rewritten = _ZH_EXPLICIT.sub(zh_explicit, rewritten)
    rewritten = _ZH_IMPLICIT.sub(implicit, rewritten)
    if _STILL_IN_100.search(rewritten):
        return None
    return rewritten


def _people(count: Decimal, denominator: int) -> str:
    return gettext("About %(count)s in %(denominator)s people") % {
        "count": explain.number_text(count),
        "denominator": denominator_text(denominator),
    }


def _icons(count: Decimal, denominator: int, *, ident: str, label_id: str) -> dict[str, Any]:
    """An icon array: ``denominator`` people as dots, the first ``count`` filled (a share
    under one person fills none; the sentence beside it says "fewer than 1")."""
    columns = ICON_COLUMNS[denominator]
    rows = denominator // columns
    filled = int(max(count, Decimal(0)).to_integral_value(rounding=ROUND_HALF_UP))
    filled = min(filled, denominator)
    size = 10 if denominator == 100 else 5
    return {
        "id": ident,
        "label_id": label_id,
        "size": size,
        "half": size / 2,
        "radius": size * 0.38,
        "width": columns * size,
        "height": rows * size,
        "full_rows_height": (filled // columns) * size,
        "rest_y": (filled // columns) * size,
        "rest_width": (filled % columns) * size,
        "filled": filled,
        "total": denominator,
    }


def _effect_cell(
    weighing: Mapping[str, Any], option_id: str, denominator: int, ident: str
) -> dict[str, Any]:
    display = weighing["options"].get(option_id, {})
    outcome = _main_outcome(display)
    if option_id == _status_quo_id(weighing):
        return {"lines": [_status_quo_effect(weighing)]}
    if outcome is None:
        return {"lines": [_no_figures(weighing)]}
    count = Decimal(str(outcome["count"])) * denominator / Decimal(outcome["per"])
    sentence = rescaled_outcome_text(
        explain.pick(outcome.get("text")), per=int(outcome["per"]), denominator=denominator
    )
    if not sentence:
        horizon = explain.pick(outcome.get("horizon"))
        sentence = _people(count, denominator)
        if horizon:
            sentence = gettext("%(sentence)s (%(horizon)s)") % {
                "sentence": sentence,
                "horizon": horizon,
            }
    label_id = f"{ident}-text"
    certainty = outcome.get("certainty")
    if certainty:
        sentence = pgettext("two sentences", "%(first)s %(second)s") % {
            "first": sentence,
            "second": gettext("How sure this figure is: %(certainty)s.")
            % {"certainty": explain.certainty_label(certainty).lower()},
        }
    lines = [sentence]
    return {
        "lines": lines,
        "label_id": label_id,
        "icons": _icons(count, denominator, ident=ident, label_id=label_id),
    }


def _status_quo_effect(weighing: Mapping[str, Any]) -> str:
    response = (weighing.get("status_quo") or {}).get("response")
    if weighing.get("current_therapy") or _on_a_treatment(weighing):
        sentences = {
            "works": gettext("You told us your treatment works for you."),
            "partly": gettext("You told us your treatment helps only partly."),
            "not_working": gettext("You told us your treatment does not help enough."),
        }
        if response in sentences:
            return sentences[response]
    return gettext("Without a new treatment, your condition is not expected to get better.")


def _no_figures(weighing: Mapping[str, Any]) -> str:
    return gettext("No study figures for %(condition)s yet.") % {
        "condition": condition_name(weighing["disease"])
    }


def _harm_cell(
    weighing: Mapping[str, Any], option_id: str, denominator: int, ident: str
) -> dict[str, Any]:
    ranked = {option["option_id"]: option for option in weighing["ranked"]}
    value = _harm_value(ranked.get(option_id))
    if value is None:
        return {"lines": [gettext("Not known")]}
    count = value * denominator / HARM_PER
    if count < 1:
        figure = gettext("Fewer than 1 in %(denominator)s people a year") % {
            "denominator": denominator_text(denominator)
        }
    else:
        figure = gettext("About %(count)s in %(denominator)s people a year") % {
            "count": explain.number_text(count),
            "denominator": denominator_text(denominator),
        }
    label_id = f"{ident}-text"
    lines = [figure]
    return {
        "lines": lines,
        "label_id": label_id,
        "icons": _icons(count, denominator, ident=ident, label_id=label_id),
    }


def _speed_cell(weighing: Mapping[str, Any], option_id: str) -> dict[str, Any]:
    if option_id == _status_quo_id(weighing):
        ranked = {option["option_id"]: option for option in weighing["ranked"]}
        weeks = _number(((ranked.get(option_id) or {}).get("values") or {}).get("speed"))
        if weeks is not None and weeks == 0:
            return {"lines": [gettext("Its effect is there already.")]}
        return {"lines": [gettext("No benefit is expected within the year.")]}
    display = weighing["options"].get(option_id, {})
    return {"lines": [explain.onset_text(display.get("onset_weeks"))]}


def _how_taken_cell(weighing: Mapping[str, Any], option_id: str) -> dict[str, Any]:
    display = weighing["options"].get(option_id, {})
    text = explain.pick(display.get("schedule")) or explain.pick(display.get("how_taken"))
    if not text and option_id == STATUS_QUO:
        text = gettext("Nothing new to take.")
    text = for_condition(text, weighing["disease"]) if text else text
    return {"lines": [text] if text else []}


def _grid(weighing: Mapping[str, Any], option_ids: list[str], groups: Mapping[str, int]):
    status_quo = _status_quo_id(weighing)
    denominator = _denominator(_grid_figures(weighing, option_ids))
    columns = _alphabetical(
        [
            {
                "option_id": option_id,
                "name": explain.option_name(weighing, option_id),
                "short_name": short_name(explain.option_name(weighing, option_id)),
                "is_status_quo": option_id == status_quo,
                "group": groups[option_id],
                "group_label": _group_short_label(weighing, option_id, groups[option_id]),
                "badges": _badges(weighing, option_id),
                "uncertain": set(
                    weighing["options"].get(option_id, {}).get("uncertain_values") or []
                ),
            }
            for option_id in option_ids
        ]
    )
    # Group 1 before group 2; alphabetical within each, "no change" last.
    columns.sort(key=lambda column: (column["is_status_quo"], column["group"]))
    labels = {
        "effect": gettext("How well does it work?"),
        "speed": gettext("How soon does it help?"),
        "serious_harm": gettext("Serious harm, such as a serious infection"),
        "common_side_effects": gettext("Common side effects"),
        "how_taken": gettext("How is it taken?"),
        "monitoring": gettext("Tests and check-ups"),
    }

    def cell(index: int, column: Mapping[str, Any], row: str) -> dict[str, Any]:
        option_id = column["option_id"]
        ident = f"icons-{row}-{index}"
        if row == "effect":
            value = _effect_cell(weighing, option_id, denominator, ident)
        elif row == "serious_harm":
            value = _harm_cell(weighing, option_id, denominator, ident)
        elif row == "speed":
            value = _speed_cell(weighing, option_id)
        elif row == "how_taken":
            value = _how_taken_cell(weighing, option_id)
        else:
            lines = explain.pick_list(weighing["options"].get(option_id, {}).get(row))
            lines = lines_for_condition(lines, weighing["disease"])
            joined = pgettext("items", "; ").join(lines)
            value = {"lines": [joined or gettext("None listed")]}
        criterion = ROW_CRITERION.get(row)
        # Staying as you are: how soon comes from the patient's answers, not the profile,
        # so only its harm figure can be an unconfirmed estimate.
        value["unconfirmed"] = (
            criterion is not None
            and criterion in column["uncertain"]
            and not (option_id == status_quo and row == "speed")
            and bool(value["lines"])
        )
        value["option_name"] = column["short_name"]
        return value

    return {
        "denominator": denominator,
        "denominator_text": denominator_text(denominator),
        "columns": columns,
        "rows": [
            {
                "key": key,
                "label": labels[key],
                "cells": [cell(index, column, key) for index, column in enumerate(columns)],
            }
            for key in GRID_ROWS
        ],
    }


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


def _group_short_label(weighing: Mapping[str, Any], option_id: str, group: int) -> str:
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


def _group_option(
    weighing: Mapping[str, Any], option: Mapping[str, Any], status_quo: str | None
) -> dict[str, Any]:
    option_id = option["option_id"]
    display = weighing["options"].get(option_id, {})
    return {
        "option_id": option_id,
        "name": explain.option_name(weighing, option_id),
        "is_status_quo": option_id == status_quo,
        "badges": _badges(weighing, option_id),
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
        "details": _details(display),
        "has_unverified": bool(display.get("has_unverified")),
    }


def _by_reason(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group-2 options under each reason they are there for (an option with two reasons
    is under both), alphabetically under each: a reason shared by six options is said
    once, not six times."""
    reasons: dict[str, list[dict[str, Any]]] = {}
    for option in options:
        for reason in option["short_reasons"]:
            reasons.setdefault(reason, []).append(option)
    return [{"text": text, "options": _alphabetical(items)} for text, items in reasons.items()]


def _context(
    weighing: Mapping[str, Any], answers: Mapping[str, Any], *, grid_max: int
) -> dict[str, Any]:
    groups = _group_of(weighing)
    status_quo = _status_quo_id(weighing)
    fits, conflicts = [], []
    for option in weighing["ranked"]:
        item = _group_option(weighing, option, status_quo)
        (fits if groups[option["option_id"]] == WITHIN_LIMITS else conflicts).append(item)
    not_suitable = _not_suitable(weighing, status_quo)
    grid_ids = _grid_options(weighing, groups, status_quo, grid_max)
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
        "grid": _grid(weighing, grid_ids, groups),
        "groups": [
            group
            for group in (
                {
                    "key": "fits",
                    "heading": gettext("Options that fit what you said matters"),
                    "options": _alphabetical(fits),
                },
                {
                    "key": "conflicts",
                    "heading": gettext(
                        "Options that conflict with something you said, or are for special cases"
                    ),
                    "options": _alphabetical(conflicts),
                    "by_reason": _by_reason(_alphabetical(conflicts)),
                },
            )
            if group["options"]
        ],
        "not_suitable": not_suitable,
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

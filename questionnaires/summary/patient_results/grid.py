"""The option grid: a few options side by side on the questions patients ask, every figure
in one denominator, icon arrays for the main benefit and serious harm.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext, pgettext

from questionnaires.summary import explain

from .groups import (
    GRID_MIN_OPTIONS,
    GRID_ROWS,
    HARM_PER,
    ICON_COLUMNS,
    NOT_SUITABLE,
    ROW_CRITERION,
    STATUS_QUO,
    alphabetical,
    badges,
    on_a_treatment,
    status_quo_id,
)
from .words import (
    condition_name,
    for_condition,
    group_short_label,
    lines_for_condition,
    short_name,
)

# --- the option grid -------------------------------------------------------------------------


def grid_options(
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
        on_a_treatment(weighing) or len(suitable) < GRID_MIN_OPTIONS
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
    if option_id == status_quo_id(weighing):
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
    if weighing.get("current_therapy") or on_a_treatment(weighing):
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
    if option_id == status_quo_id(weighing):
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


def grid(weighing: Mapping[str, Any], option_ids: list[str], groups: Mapping[str, int]):
    status_quo = status_quo_id(weighing)
    denominator = _denominator(_grid_figures(weighing, option_ids))
    columns = alphabetical(
        [
            {
                "option_id": option_id,
                "name": explain.option_name(weighing, option_id),
                "short_name": short_name(explain.option_name(weighing, option_id)),
                "is_status_quo": option_id == status_quo,
                "group": groups[option_id],
                "group_label": group_short_label(weighing, option_id, groups[option_id]),
                "badges": badges(weighing, option_id),
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

"""The options part of a summary: the patient's priorities and stated limits, the table of
options with their fit and why, the ones not weighed, and how close the first place is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext

from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import (
    QuestionDef,
)
from questionnaires.engine.snapshot import (
    OptionDisplay,
    WeighingSnapshot,
)
from questionnaires.formatting import answer_display
from questionnaires.i18n import translate
from questionnaires.summary import charts, explain
from questionnaires.summary.explain import PATIENT

from .shapes import (
    CURRENT_TREATMENT_CODE,
    LOW_CERTAINTY,
    RISK_LIMIT_KEYS,
    ExcludedOption,
    LabelledValue,
    OptionRow,
    Options,
    Priority,
)


def priorities_of(
    weighing: WeighingSnapshot | None,
) -> tuple[tuple[Priority, ...], tuple[Priority, ...]]:
    """(ranked criteria with weights, the legend of criteria in definition order)."""
    if not weighing:
        return (), ()
    criteria_order = [criterion.key for criterion in weighing.criteria]
    for key in weighing.weights:
        if key not in criteria_order:
            criteria_order.append(key)
    indexes = {
        key: index % len(charts.CRITERION_COLOURS) for index, key in enumerate(criteria_order)
    }
    weights = weighing.weights

    def priority(rank: int, key: str) -> Priority:
        return Priority(
            rank=rank,
            key=key,
            name=explain.criterion_name(key, weighing),
            weight_percent=round(100 * float(weights.get(key, 0))),
            colour=charts.criterion_colour(indexes[key]),
            colour_index=indexes[key],
        )

    ranked = tuple(priority(rank, key) for rank, key in enumerate(weighing.priority, start=1))
    legend = tuple(priority(0, key) for key in criteria_order)
    return ranked, legend


def risk_limits_of(
    questions: Mapping[str, QuestionDef], answers: Mapping[str, Any]
) -> list[LabelledValue]:
    found = []
    for key in RISK_LIMIT_KEYS:
        question = questions.get(key)
        value = answers.get(key)
        if question is None or not is_answered(value):
            continue
        found.append(
            LabelledValue(label=translate(question.text), value=answer_display(question, value))
        )
    return found


def options_of(weighing: WeighingSnapshot, legend: Sequence[Priority], *, audience: str) -> Options:
    sensitivity = weighing.sensitivity
    close_pair = set()
    if sensitivity.close_call:
        close_pair = {sensitivity.leader, sensitivity.runner_up}
    rows = []
    for option in weighing.ranked:
        option_id = option.option_id
        display = weighing.option(option_id)
        name = explain.option_name(weighing, option_id)
        contributions = option.contributions
        segments = [
            charts.BarSegment(
                label=item.name, value=float(contributions.get(item.key, 0)), colour=item.colour
            )
            for item in legend
        ]
        bar = charts.fit_bar(
            title=gettext("%(option)s: fit %(fit)s of 100")
            % {"option": name, "fit": option.fit_display},
            segments=segments,
        )
        conflicts = tuple(
            explain.conflict_sentence(weighing, conflict, audience=audience)
            for conflict in option.conflicts
        )
        cautions = tuple(
            dict.fromkeys(
                [
                    # Why it is shown after the options within every limit (group 2).
                    explain.reason_sentence(weighing, reason, audience=audience)
                    for reason in option.restrictions
                ]
                + [
                    explain.reason_sentence(weighing, reason, audience=audience)
                    for reason in option.cautions
                ]
                + [
                    explain.adjustment_sentence(weighing, adjustment, audience=audience)
                    for adjustment in option.adjustments
                ]
            )
        )
        drivers = explain.join_words(
            [explain.criterion_name(key, weighing) for key in option.explanation.top_drivers]
        )
        certainty = option.certainty or _display_member(display, "certainty")
        rows.append(
            OptionRow(
                rank=option.rank,
                option_id=option_id,
                name=name,
                fit=option.fit_display,
                bar=bar,
                drivers=drivers,
                sentence=explain.fit_sentence(weighing, option) if audience == PATIENT else "",
                conflicts=conflicts,
                cautions=cautions,
                status=explain.status_label(option.status or _display_member(display, "status")),
                certainty=explain.certainty_label(certainty),
                low_certainty=certainty in LOW_CERTAINTY,
                unverified=bool(display is not None and display.has_unverified),
                is_status_quo=option.is_status_quo,
                close_call=option_id in close_pair,
            )
        )
    not_suitable = tuple(
        ExcludedOption(
            name=explain.option_name(weighing, item.option_id),
            reasons=tuple(
                dict.fromkeys(
                    explain.reason_sentence(weighing, reason, audience=audience)
                    for reason in item.reasons
                    if not reason.rule_id
                )
            ),
            by_rule=any(reason.rule_id for reason in item.reasons),
        )
        for item in weighing.not_suitable
        # The current treatment is not left out: it is the status-quo option.
        if any(reason.code != CURRENT_TREATMENT_CODE for reason in item.reasons)
    )
    return Options(
        rows=tuple(rows),
        not_suitable=not_suitable,
        not_recommended=tuple(
            explain.option_name(weighing, option_id) for option_id in weighing.not_recommended
        ),
        sensitivity=_sensitivity_text(weighing, audience=audience),
        close_call=sensitivity.close_call,
        weight_method=weighing.weight_method,
    )


def _display_member(display: OptionDisplay | None, name: str) -> Any:
    """A member of an option's frozen display; None when the snapshot has no display."""
    return None if display is None else getattr(display, name)


def _sensitivity_text(weighing: WeighingSnapshot, *, audience: str) -> str:
    if audience == PATIENT:
        return explain.sensitivity_sentence(weighing)
    sensitivity = weighing.sensitivity
    leader, runner_up = sensitivity.leader, sensitivity.runner_up
    if leader is None:
        return gettext("No option could be weighed.")
    if runner_up is None:
        return gettext("Only one option could be weighed.")
    values = {
        "leader": explain.option_name(weighing, leader),
        "runner_up": explain.option_name(weighing, runner_up),
        "margin": explain.number_text(round(sensitivity.margin or 0)),
    }
    if sensitivity.close_call:
        text = (
            gettext(
                "Close call: %(leader)s and %(runner_up)s are %(margin)s points apart, or the "
                "leader changes under small changes of the weights."
            )
            % values
        )
    else:
        text = gettext("%(leader)s leads %(runner_up)s by %(margin)s points.") % values
    change = sensitivity.smallest_change
    if change:
        text += " " + gettext(
            "Smallest change that alters first place: weight of %(criterion)s %(delta)s "
            "percentage points (then %(option)s leads)."
        ) % {
            "criterion": explain.criterion_name(change.criterion, weighing),
            "delta": f"{100 * change.delta:+.0f}",
            "option": explain.option_name(weighing, change.new_leader),
        }
    return text

"""The weighing itself: which options are suitable, which conflict with a stated limit or
are restricted by a guideline, the groups, the order within a group, and the explanation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

from .. import ENGINE_VERSION
from ..conditions import evaluate
from ..sensitivity import analyse_sensitivity
from .limits import risk_limit_from, stated_limit_conflicts
from .model import (
    Adjustment,
    Conflict,
    Criterion,
    Exclusion,
    Explanation,
    OptionProfile,
    OptionResult,
    PriorTreatment,
    Reason,
    Rule,
    WeighingInput,
    WeighingResult,
    _optional_decimal,
)
from .values import (
    criteria_priority,
    criterion_weights,
    fit_contributions,
    fit_from,
    local_partial_values,
    rank_order_centroid,
)
from .vocabulary import (
    SAME_CLASS_EFFECTIVENESS_MULTIPLIER,
    TOP_DRIVER_COUNT,
    Administration,
    Certainty,
    ConflictLevel,
    CriterionKey,
    Effect,
    Group,
    Outcome,
    ReasonCode,
    Role,
    WeightMethod,
)

# --- the weighing -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Assessment:
    """Rules and history applied to one option."""

    reasons: tuple[Reason, ...]  # non-empty: not suitable now
    cautions: tuple[Reason, ...]
    adjustments: tuple[Adjustment, ...]
    values: Mapping[str, Decimal | None]  # per criterion key, after adjustments
    serious_harm: Decimal | None  # after adjustments
    restrictions: tuple[Reason, ...] = ()  # group 2: guideline-restricted or a role


@dataclass(frozen=True)
class _ValueModel:
    """Partial values, contributions and fits of the suitable options, and their order."""

    priority: tuple[str, ...]
    partials: Mapping[str, Mapping[str, float]]
    missing: Mapping[str, frozenset[str]]  # criteria without a value, per option
    contributions: Mapping[str, Mapping[str, float]]
    fits: Mapping[str, float]
    ranked_ids: tuple[str, ...]
    best: Mapping[str, float]  # the best partial value per criterion among the options
    best_option: Mapping[str, str]  # per criterion, the highest-ranked option with that value
    groups: Mapping[str, int]  # Group per option
    flags: Mapping[str, int]  # cautions and conflicts to discuss, per option (a tie-break)
    order_groups: Mapping[str, int]  # the group part of the order key (see build)

    @classmethod
    def build(
        cls,
        *,
        criteria: Sequence[Criterion],
        values_by_option: Mapping[str, Mapping[str, Decimal | None]],
        weights: Mapping[str, float],
        groups: Mapping[str, int],
        flags: Mapping[str, int],
        last: frozenset[str] | set[str] = frozenset(),
    ) -> _ValueModel:
        priority = tuple(weights)
        # The group part of the order key: an option that comes last in its group sorts
        # after the group's others and before the next group.
        order_groups = {
            option_id: 2 * group + (option_id in last) for option_id, group in groups.items()
        }
        partials = local_partial_values(criteria=criteria, values_by_option=values_by_option)
        missing = {
            option_id: frozenset(key for key, raw in values.items() if raw is None)
            for option_id, values in values_by_option.items()
        }
        contributions = {
            option_id: fit_contributions(partials[option_id], weights) for option_id in partials
        }
        fits = {option_id: fit_from(parts) for option_id, parts in contributions.items()}
        ranked_ids = _ranked(
            fits=fits,
            partials=partials,
            missing=missing,
            priority=priority,
            groups=order_groups,
            flags=flags,
        )
        best = {
            key: max((values[key] for values in partials.values()), default=0.0) for key in priority
        }
        best_option = {
            key: next(
                option_id for option_id in ranked_ids if partials[option_id][key] == best[key]
            )
            for key in priority
            if ranked_ids
        }
        return cls(
            priority,
            partials,
            missing,
            contributions,
            fits,
            ranked_ids,
            best,
            best_option,
            groups,
            flags,
            order_groups,
        )

    def leader_with(self, weights: Mapping[str, float]) -> str | None:
        """The first option under other weights (same partial values, same tie-break)."""
        fits = {
            option_id: fit_from(fit_contributions(self.partials[option_id], weights))
            for option_id in self.ranked_ids
        }
        order = _ranked(
            fits=fits,
            partials=self.partials,
            missing=self.missing,
            priority=self.priority,
            groups=self.order_groups,
            flags=self.flags,
        )
        return order[0] if order else None


def weigh(weighing_input: WeighingInput) -> WeighingResult:
    """Weigh the options of ``weighing_input`` against the patient's preferences."""
    given = weighing_input
    status_quo = _check_input(given)
    preferences = given.preferences
    priority = criteria_priority(criteria=given.criteria, ranking=preferences.ranking)
    weights, method = criterion_weights(priority=priority, swing=preferences.swing)

    assessments = _assess_all(given, status_quo=status_quo)
    not_suitable = tuple(
        Exclusion(option_id, assessment.reasons)
        for option_id, assessment in sorted(assessments.items())
        if assessment.reasons
    )
    suitable = {
        option.option_id: option
        for option in given.options
        if not assessments[option.option_id].reasons
    }
    risk_limit = risk_limit_from(
        preferences.mar_serious_harm, status_quo_risk=assessments[status_quo.option_id].serious_harm
    )
    conflicts = {
        option_id: stated_limit_conflicts(
            option,
            risk=assessments[option_id].serious_harm,
            preferences=preferences,
            risk_limit=risk_limit,
        )
        for option_id, option in suitable.items()
    }
    groups = {
        option_id: _group(conflicts[option_id], assessments[option_id]) for option_id in suitable
    }
    model = _ValueModel.build(
        criteria=given.criteria,
        values_by_option={option_id: assessments[option_id].values for option_id in suitable},
        weights=weights,
        groups=groups,
        flags={
            option_id: len(assessments[option_id].cautions) + len(conflicts[option_id])
            for option_id in suitable
        },
        last={option_id for option_id in suitable if _last_in_group(assessments[option_id])},
    )
    ranked = tuple(
        _option_result(
            suitable[option_id],
            rank=rank,
            model=model,
            weights=weights,
            assessment=assessments[option_id],
            conflicts=conflicts[option_id],
        )
        for rank, option_id in enumerate(model.ranked_ids, start=1)
    )
    # How close first place is, among the options of the leader's group: weights cannot
    # move an option across groups, so only those are rivals.
    leading_group = tuple(
        option_id
        for option_id in model.ranked_ids
        if groups[option_id] == groups[model.ranked_ids[0]]
    )
    sensitivity = analyse_sensitivity(
        ranked_ids=leading_group,
        fits=model.fits,
        partial_values=model.partials,
        weights=weights,
        leader_with=model.leader_with,
        rank_weights=(
            dict(zip(priority, rank_order_centroid(len(priority)), strict=True))
            if method == WeightMethod.SWING
            else None
        ),
    )
    return WeighingResult(
        disease=given.disease,
        engine_version=ENGINE_VERSION,
        weight_method=method,
        priority=priority,
        weights=weights,
        ranked=ranked,
        not_suitable=not_suitable,
        sensitivity=sensitivity,
        risk_limit=risk_limit,
        profile_versions={
            option.option_id: option.version
            for option in sorted(given.options, key=lambda option: option.option_id)
        },
    )


def _check_input(given: WeighingInput) -> OptionProfile:
    """The status-quo option; ValueError when the input cannot be weighed."""
    if not given.criteria:
        raise ValueError("at least one criterion is needed")
    keys = [criterion.key for criterion in given.criteria]
    if len(set(keys)) != len(keys):
        raise ValueError("criterion keys must be unique")
    option_ids = [option.option_id for option in given.options]
    if len(set(option_ids)) != len(option_ids):
        raise ValueError("option ids must be unique")
    rule_ids = [rule.rule_id for rule in given.rules]
    if len(set(rule_ids)) != len(rule_ids):
        raise ValueError("rule ids must be unique")
    status_quos = [option for option in given.options if option.is_status_quo]
    if len(status_quos) != 1:
        raise ValueError(f"exactly one status-quo option is needed, got {len(status_quos)}")
    return status_quos[0]


def _last_in_group(assessment: _Assessment) -> bool:
    """ "No change" while the disease is active and uncontrolled comes last in group 2: it is
    there because it does not treat the disease, while the others in the group do (with a
    limit or restriction to discuss)."""
    codes = {reason.code for reason in assessment.restrictions}
    return ReasonCode.STATUS_QUO_ACTIVE_DISEASE in codes


def _group(conflicts: Sequence[Conflict], assessment: _Assessment) -> int:
    """Group 2 when the option breaks a stated limit or is restricted; else group 1."""
    if assessment.restrictions or any(c.level == ConflictLevel.CONFLICT for c in conflicts):
        return Group.LIMIT_OR_RESTRICTED
    return Group.WITHIN_LIMITS


def _assess_all(given: WeighingInput, *, status_quo: OptionProfile) -> dict[str, _Assessment]:
    """Rules (in rule-id order; each condition tested once) and history, per option."""
    answers = given.answers
    fired = tuple(
        rule for rule in sorted(given.rules, key=_rule_id) if rule.condition_test(answers)
    )
    current = _current_therapies(given)
    failed_classes = _failed_classes(given, current=current, status_quo=status_quo)
    return {
        option.option_id: _assess(
            option,
            criteria=given.criteria,
            fired=fired,
            prior_treatments=given.prior_treatments,
            current=current,
            failed_classes=failed_classes,
            answers=given.answers,
        )
        for option in given.options
    }


_rule_id = attrgetter("rule_id")


def _current_therapies(given: WeighingInput) -> frozenset[str]:
    current = {prior.therapy for prior in given.prior_treatments if prior.still_taking}
    if given.current_therapy:
        current.add(given.current_therapy)
    return frozenset(current)


def _failed_classes(
    given: WeighingInput, *, current: frozenset[str], status_quo: OptionProfile
) -> dict[str, tuple[str, ...]]:
    """Target class → the therapies of that class that did not work (sorted slugs)."""
    class_of = {option.option_id: option.target_class for option in given.options}
    failed: dict[str, set[str]] = {}
    for prior in given.prior_treatments:
        if prior.outcome != Outcome.NOT_EFFECTIVE:
            continue
        target_class = prior.target_class or class_of.get(prior.therapy, "")
        if not target_class and prior.therapy in current:
            target_class = status_quo.target_class  # the status quo is that therapy
        if target_class:
            failed.setdefault(target_class, set()).add(prior.therapy)
    return {target_class: tuple(sorted(slugs)) for target_class, slugs in failed.items()}


def _assess(
    option: OptionProfile,
    *,
    criteria: Sequence[Criterion],
    fired: Sequence[Rule],
    prior_treatments: Sequence[PriorTreatment],
    current: frozenset[str],
    failed_classes: Mapping[str, tuple[str, ...]],
    answers: Mapping[str, Any],
) -> _Assessment:
    values = _raw_values(option, criteria)
    risk = _optional_decimal(option.serious_harm_per_1000)
    reasons: list[Reason] = []
    cautions: list[Reason] = []
    adjustments: list[Adjustment] = []
    restrictions = [Reason(code) for code in option.restriction_codes]

    if option.scope is not None and not evaluate(option.scope, answers):
        reasons.append(
            Reason(
                ReasonCode.OUT_OF_SCOPE,
                clinician_message=option.scope_note,
                patient_message=option.scope_note,
                evidence_ids=option.scope_evidence,
            )
        )
    if option.role == Role.BRIDGE:
        restrictions.append(Reason(ReasonCode.BRIDGE_THERAPY))
    elif option.role == Role.BACKGROUND:
        restrictions.append(Reason(ReasonCode.BACKGROUND_THERAPY))

    if not option.is_status_quo:
        reasons.extend(_history_reasons(option.option_id, prior_treatments, current))
        failed = tuple(
            slug for slug in failed_classes.get(option.target_class, ()) if slug != option.option_id
        )
        if failed and CriterionKey.EFFECTIVENESS in values:
            reason = Reason(
                ReasonCode.SAME_CLASS_DID_NOT_WORK,
                detail={"target_class": option.target_class, "therapies": failed},
            )
            adjustment, values, risk = _adjust(
                values,
                risk,
                criterion=CriterionKey.EFFECTIVENESS,
                multiplier=SAME_CLASS_EFFECTIVENESS_MULTIPLIER,
                delta=None,
                reason=reason,
            )
            adjustments.append(adjustment)

    labels = {option.option_id, option.family, option.target_class} - {""}
    if option.is_status_quo:
        labels |= current
    for rule in fired:
        if labels.isdisjoint(rule.applies_to):
            continue
        reason = Reason(
            ReasonCode.RULE,
            rule_id=rule.rule_id,
            clinician_message=rule.clinician_message,
            patient_message=rule.patient_message,
            evidence_ids=rule.evidence_ids,
        )
        if rule.effect == Effect.NOT_SUITABLE:
            reasons.append(reason)
        elif rule.effect == Effect.CAUTION:
            cautions.append(reason)
        elif rule.effect == Effect.RESTRICTED:
            restrictions.append(reason)
        elif rule.criterion in values or rule.criterion == CriterionKey.SERIOUS_HARM:
            adjustment, values, risk = _adjust(
                values,
                risk,
                criterion=rule.criterion,
                multiplier=_optional_decimal(rule.multiplier),
                delta=_optional_decimal(rule.delta),
                reason=reason,
            )
            adjustments.append(adjustment)
        # An adjustment to a criterion that is not weighed changes nothing: skipped.
    return _Assessment(
        tuple(reasons), tuple(cautions), tuple(adjustments), values, risk, tuple(restrictions)
    )


def _history_reasons(
    option_id: str, prior_treatments: Sequence[PriorTreatment], current: frozenset[str]
) -> list[Reason]:
    reasons = []
    if option_id in current:
        reasons.append(Reason(ReasonCode.CURRENT_TREATMENT, detail={"therapy": option_id}))
    outcomes = {prior.outcome for prior in prior_treatments if prior.therapy == option_id}
    if Outcome.NOT_EFFECTIVE in outcomes:
        reasons.append(Reason(ReasonCode.DID_NOT_WORK_BEFORE, detail={"therapy": option_id}))
    if Outcome.SIDE_EFFECTS in outcomes:
        reasons.append(Reason(ReasonCode.STOPPED_FOR_SIDE_EFFECTS, detail={"therapy": option_id}))
    return reasons


def _raw_values(option: OptionProfile, criteria: Sequence[Criterion]) -> dict[str, Decimal | None]:
    values: dict[str, Decimal | None] = {}
    for criterion in criteria:
        raw = option.values.get(criterion.key)
        if raw is None and criterion.key == CriterionKey.CERTAINTY:
            raw = Certainty.SCORE[option.certainty]
        if criterion.key == CriterionKey.CONVENIENCE and option.administration:
            # The route and how often, not a per-profile guess: see Administration.BURDEN.
            raw = Administration.BURDEN[option.administration]
        # A finite Decimal (what profiles hold once checked) is kept as it is, as
        # _optional_decimal would keep it, without its type checks per value.
        if raw is None or (raw.__class__ is Decimal and raw.is_finite()):
            values[criterion.key] = raw
        else:
            values[criterion.key] = _optional_decimal(raw)
    return values


def _adjust(
    values: Mapping[str, Decimal | None],
    risk: Decimal | None,
    *,
    criterion: str,
    multiplier: Decimal | None,
    delta: Decimal | None,
    reason: Reason,
) -> tuple[Adjustment, dict[str, Decimal | None], Decimal | None]:
    """The adjustment record, the new values and the new gate risk.

    serious_harm is in the same unit as ``serious_harm_per_1000`` (per 1000 per year),
    so an adjustment to it moves the gate risk too: a risk that a rule raises for this
    patient must also be checked against their limit.
    """

    def apply(number: Decimal | None) -> Decimal | None:
        if number is None:
            return None
        return number * multiplier if multiplier is not None else number + (delta or 0)

    before = values.get(criterion)
    new_values = dict(values)
    if criterion in new_values:
        new_values[criterion] = apply(before)
    if criterion == CriterionKey.SERIOUS_HARM:
        risk = apply(risk)
    adjustment = Adjustment(criterion, reason, multiplier, delta, before, apply(before))
    return adjustment, new_values, risk


def _ranked(
    *,
    fits: Mapping[str, float],
    partials: Mapping[str, Mapping[str, float]],
    missing: Mapping[str, frozenset[str]],
    priority: Sequence[str],
    groups: Mapping[str, int],
    flags: Mapping[str, int],
) -> tuple[str, ...]:
    """Option ids by group, then fit, then (partial value, known before missing) in
    priority order, then fewer cautions and conflicts to discuss, then id."""

    def order(option_id: str) -> tuple[int, float, tuple[tuple[float, bool], ...], int, str]:
        per_criterion = tuple(
            (-partials[option_id][key], key in missing[option_id]) for key in priority
        )
        return groups[option_id], -fits[option_id], per_criterion, flags[option_id], option_id

    return tuple(sorted(fits, key=order))


def _explain(option_id: str, *, model: _ValueModel, weights: Mapping[str, float]) -> Explanation:
    contributions = model.contributions[option_id]
    # sorted() is stable and ``contributions`` is in priority order, so equal
    # contributions list the more important criterion first.
    drivers = sorted(
        (key for key, amount in contributions.items() if amount > 0),
        key=lambda key: -contributions[key],
    )[:TOP_DRIVER_COUNT]
    best = model.best
    shortfalls = {
        key: weight * (best[key] - model.partials[option_id][key])
        for key, weight in weights.items()
    }
    trade_off = max(shortfalls, key=lambda key: shortfalls[key])  # first of equals wins
    if shortfalls[trade_off] <= 0:
        return Explanation(tuple(drivers), None, None)
    return Explanation(tuple(drivers), trade_off, model.best_option[trade_off])


def _option_result(
    option: OptionProfile,
    *,
    rank: int,
    model: _ValueModel,
    weights: Mapping[str, float],
    assessment: _Assessment,
    conflicts: tuple[Conflict, ...],
) -> OptionResult:
    option_id = option.option_id
    return OptionResult(
        option_id=option_id,
        is_status_quo=option.is_status_quo,
        rank=rank,
        fit=model.fits[option_id],
        contributions=model.contributions[option_id],
        partial_values={key: model.partials[option_id][key] for key in weights},
        values={key: assessment.values[key] for key in weights},
        missing=tuple(key for key in weights if key in model.missing[option_id]),
        status=option.status,
        certainty=option.certainty,
        routes=option.routes,
        serious_harm_per_1000=assessment.serious_harm,
        conflicts=conflicts,
        cautions=assessment.cautions,
        adjustments=assessment.adjustments,
        explanation=_explain(option_id, model=model, weights=weights),
        profile_version=option.version,
        group=model.groups[option_id],
        restrictions=assessment.restrictions,
    )

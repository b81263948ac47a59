"""Answers → engine input: the prepared answers (typed, walked, pruned, scored once), the
patient's preferences and treatment history, the status quo, and the options the weighing
weighs. What the adapter decides is in ``services/weighing.py``'s docstring.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from questionnaires.answers import answers_from_json
from questionnaires.engine import weighing as engine
from questionnaires.engine.definition import Severity, VersionDef
from questionnaires.engine.scoring import ScaleResult, score_scales
from questionnaires.engine.visibility import Visibility, resolve_visibility
from questionnaires.models import (
    STATUS_QUO_SLUG,
    RegulatoryStatus,
)
from questionnaires.selectors.therapies import (
    DiseaseProfiles,
    ProfilesMissing,
    TherapyProfile,
)

# Question keys of the demo questionnaire that the adapter reads (see the module docstring).
CONDITION_KEY = "condition"
PRIOR_GROUP_KEY = "prior_treatments"
PRIOR_THERAPY_KEY = "prior_therapy"
PRIOR_EFFECT_KEY = "prior_effect"
PRIOR_STOP_REASON_KEY = "prior_stop_reason"
CURRENT_TREATMENT_KEY = "current_treatment"
RANKING_KEY = "priority_ranking"
MAX_RISK_KEY = "mar_serious_harm"
ROUTES_KEY = "routes_accepted"
INFUSION_TRAVEL_KEY = "infusion_travel"
OPENNESS_KEY = "experimental_openness"
AVOID_INJECTIONS_KEY = "limit_avoid_injections"
SATISFACTION_KEY = "current_treatment_satisfaction"
MS_RELAPSES_KEY = "ms_relapses_12m"
MS_MRI_KEY = "ms_mri_activity"
SLE_KIDNEY_KEY = "sle_kidney"
SLE_FLARES_KEY = "sle_flares_12m"
SLE_NEPHRITIS_KEY = "sle_nephritis"
SLE_CNS_KEY = "sle_cns"
VITILIGO_SPREADING_KEY = "vit_spreading"

NO_THERAPY_VALUES = frozenset({"none", "other", ""})
STILL_TAKING = "still_taking"

# Derived answer keys (rule conditions may test them like questions).
PRIOR_TRIED = "prior.tried"
PRIOR_NOT_EFFECTIVE = "prior.not_effective"
PRIOR_SIDE_EFFECTS = "prior.side_effects"
PRIOR_STOP_REASONS = "prior.stop_reasons"
# Highly active relapsing MS as a patient can report it (docs/weighing.md, "MS activity"):
# two or more relapses in the last 12 months, or one with new MRI activity.
MS_HIGHLY_ACTIVE = "ms.highly_active"
# Whether the disease is active now, from the activity answers (docs/weighing.md).
DISEASE_ACTIVE = "disease.active"

FORMAT = "sdm-weighing"
FORMAT_VERSION = 1

_EFFECT_OUTCOMES = {
    "worked": engine.Outcome.WORKED,
    "partly": engine.Outcome.PARTLY,
    "not_effective": engine.Outcome.NOT_EFFECTIVE,
    "too_early": engine.Outcome.TOO_EARLY,
    "unknown": engine.Outcome.UNKNOWN,
}


# --- answers → engine input ---------------------------------------------------------------


@dataclass(frozen=True)
class PreparedAnswers:
    """The answers as the engine sees them, with how they were obtained."""

    visibility: Visibility
    pruned: Mapping[str, Any]  # answers that count (hidden ones dropped), engine form
    dropped: tuple[str, ...]  # given keys that did not count (hidden, unknown or empty)
    scales: tuple[ScaleResult, ...]
    derived: Mapping[str, Any]  # pruned answers plus derived keys, for rule conditions


def answers_prepare(*, definition: VersionDef, answers: Mapping[str, Any]) -> PreparedAnswers:
    """Stored (JSON) or engine-form answers → visibility, pruned answers, scales, derived keys."""
    engine_answers = answers_from_json(definition, answers)
    visibility, pruned = resolve_visibility(definition, engine_answers)
    return answers_prepared_from(
        definition=definition, visibility=visibility, pruned=pruned, given=answers
    )


def answers_prepared_from(
    *,
    definition: VersionDef,
    visibility: Visibility,
    pruned: Mapping[str, Any],
    given: Mapping[str, Any],
) -> PreparedAnswers:
    """The same from a visibility walk already done over typed answers (the submit's walk):
    no second conversion or walk; the scales are scored here, once."""
    scales = score_scales(definition, pruned)
    derived: dict[str, Any] = dict(pruned)
    for scale in scales:
        if scale.score is not None:
            derived[f"scale.{scale.key}.score"] = scale.score
        if scale.severity is not None:
            derived[f"scale.{scale.key}.severity"] = scale.severity
    history = _history_facts(pruned)
    for key, slugs in history.items():
        if slugs:
            derived[key] = slugs
    highly_active = ms_highly_active(pruned)
    if highly_active is not None:
        derived[MS_HIGHLY_ACTIVE] = highly_active
    active = disease_active(pruned, scales)
    if active is not None:
        derived[DISEASE_ACTIVE] = active
    dropped = tuple(key for key in given if key not in pruned)
    return PreparedAnswers(visibility, pruned, dropped, scales, derived)


def ms_highly_active(pruned: Mapping[str, Any]) -> bool | None:
    """Highly active relapsing MS as a patient can report it (``MS_HIGHLY_ACTIVE``); None
    when the relapses were not answered."""
    relapses = pruned.get(MS_RELAPSES_KEY)
    if not isinstance(relapses, int | Decimal) or isinstance(relapses, bool):
        return None
    return relapses >= 2 or (relapses >= 1 and pruned.get(MS_MRI_KEY) == "yes")


def ms_active_beyond_the_score(pruned: Mapping[str, Any]) -> bool:
    """A relapse in the last 12 months or new MRI activity: MS activity that the symptom
    score (``activity_multiple_sclerosis``) does not measure. The same answers stop the
    "mild disease" cautions (rules ``mild_disease_multiple_sclerosis`` and
    ``mild_disease_added_options``; ECTRIMS/EAN 2018)."""
    relapses = pruned.get(MS_RELAPSES_KEY)
    relapsed = isinstance(relapses, int | Decimal) and not isinstance(relapses, bool)
    return (relapsed and relapses >= 1) or pruned.get(MS_MRI_KEY) == "yes"


def sle_active_beyond_the_score(pruned: Mapping[str, Any]) -> bool:
    """A flare in the last 12 months, kidney involvement now, or brain or nerve involvement:
    lupus activity or organ involvement that the symptom score (``activity_sle``) does not
    measure. The same answers stop the "mild disease" cautions (rules ``mild_disease_sle``
    and ``mild_disease_added_options``; EULAR 2023)."""
    flares = pruned.get(SLE_FLARES_KEY)
    flared = isinstance(flares, int | Decimal) and not isinstance(flares, bool) and flares >= 1
    return (
        flared
        or pruned.get(SLE_KIDNEY_KEY) == "yes_now"
        or pruned.get(SLE_NEPHRITIS_KEY) == "active"
        or pruned.get(SLE_CNS_KEY) is True
    )


def disease_active(pruned: Mapping[str, Any], scales: Sequence[ScaleResult]) -> bool | None:
    """True when an answer says the disease is active now, False when the answers say it
    is quiet, None when they do not say (docs/weighing.md, "Honest status quo")."""
    signals: list[bool] = []
    for scale in scales:
        if scale.severity is not None:
            signals.append(scale.severity != Severity.NONE)
    relapses = pruned.get(MS_RELAPSES_KEY)
    if isinstance(relapses, int | Decimal) and not isinstance(relapses, bool):
        signals.append(relapses > 0)
    if pruned.get(MS_MRI_KEY) == "yes":
        signals.append(True)
    if pruned.get(SLE_KIDNEY_KEY) == "yes_now" or pruned.get(SLE_NEPHRITIS_KEY) == "active":
        signals.append(True)
    flares = pruned.get(SLE_FLARES_KEY)
    if isinstance(flares, int | Decimal) and not isinstance(flares, bool) and flares > 0:
        signals.append(True)
    spreading = pruned.get(VITILIGO_SPREADING_KEY)
    if spreading in ("slow", "fast"):
        signals.append(True)
    elif spreading == "stable":
        signals.append(False)
    if not signals:
        return None
    return any(signals)


def _prior_rows(pruned: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = pruned.get(PRIOR_GROUP_KEY) or []
    return [row for row in rows if isinstance(row, Mapping)]


def _history_facts(pruned: Mapping[str, Any]) -> dict[str, list[str]]:
    facts: dict[str, list[str]] = {
        PRIOR_TRIED: [],
        PRIOR_NOT_EFFECTIVE: [],
        PRIOR_SIDE_EFFECTS: [],
        PRIOR_STOP_REASONS: [],
    }

    def add(key: str, value: str) -> None:
        if value not in facts[key]:
            facts[key].append(value)

    for row in _prior_rows(pruned):
        slug = row.get(PRIOR_THERAPY_KEY)
        reason = row.get(PRIOR_STOP_REASON_KEY)
        if isinstance(reason, str) and reason:
            add(PRIOR_STOP_REASONS, reason)
        if not isinstance(slug, str) or slug in NO_THERAPY_VALUES:
            continue
        add(PRIOR_TRIED, slug)
        if row.get(PRIOR_EFFECT_KEY) == "not_effective" or reason == "not_effective":
            add(PRIOR_NOT_EFFECTIVE, slug)
        if reason == "side_effects":
            add(PRIOR_SIDE_EFFECTS, slug)
    return facts


def prior_treatments_from(
    pruned: Mapping[str, Any], *, target_classes: Mapping[str, str]
) -> tuple[engine.PriorTreatment, ...]:
    """One engine fact per row and outcome: a row stopped for side effects after it did not
    work gives two facts, so both reasons reach the engine."""
    facts: list[engine.PriorTreatment] = []
    for row in _prior_rows(pruned):
        slug = row.get(PRIOR_THERAPY_KEY)
        if not isinstance(slug, str) or slug in NO_THERAPY_VALUES:
            continue
        effect = row.get(PRIOR_EFFECT_KEY)
        reason = row.get(PRIOR_STOP_REASON_KEY)
        still_taking = reason == STILL_TAKING
        outcomes = []
        if effect == "not_effective" or reason == "not_effective":
            outcomes.append(engine.Outcome.NOT_EFFECTIVE)
        elif effect in _EFFECT_OUTCOMES:
            outcomes.append(_EFFECT_OUTCOMES[effect])
        if reason == "side_effects":
            outcomes.append(engine.Outcome.SIDE_EFFECTS)
        if not outcomes:
            outcomes.append(engine.Outcome.UNKNOWN)
        for outcome in outcomes:
            facts.append(
                engine.PriorTreatment(
                    therapy=slug,
                    outcome=outcome,
                    still_taking=still_taking,
                    target_class=target_classes.get(slug, ""),
                )
            )
    return tuple(facts)


def current_therapy_from(
    pruned: Mapping[str, Any], *, known: Iterable[str]
) -> tuple[str | None, str | None]:
    """(the therapy taken now if we have its profile, the raw answer) from current_treatment,
    else from a prior-treatment row marked "still taking" (the first one)."""
    known = set(known)
    answer = pruned.get(CURRENT_TREATMENT_KEY)
    if isinstance(answer, str) and answer not in NO_THERAPY_VALUES:
        return (answer if answer in known else None), answer
    if answer in (None, ""):
        for row in _prior_rows(pruned):
            slug = row.get(PRIOR_THERAPY_KEY)
            if row.get(PRIOR_STOP_REASON_KEY) == STILL_TAKING and slug in known:
                return slug, slug
    return None, answer if isinstance(answer, str) else None


def preferences_from(
    pruned: Mapping[str, Any], *, criteria_keys: Sequence[str] = engine.CriterionKey.ALL
) -> engine.Preferences:
    """The patient's preferences. Without a ranking every criterion weighs the same (equal
    swing ratings): no order of ours should stand in for theirs."""
    ranking = [key for key in pruned.get(RANKING_KEY) or [] if isinstance(key, str)]
    risk = pruned.get(MAX_RISK_KEY)
    openness = pruned.get(OPENNESS_KEY)
    routes = [route for route in pruned.get(ROUTES_KEY) or [] if route in engine.Route.ALL]
    if pruned.get(INFUSION_TRAVEL_KEY) == "no" and engine.Route.INTRAVENOUS in routes:
        # "I cannot travel for infusions": an infusion would go against what they said.
        routes.remove(engine.Route.INTRAVENOUS)
    return engine.Preferences(
        ranking=tuple(ranking),
        swing={} if ranking else dict.fromkeys(criteria_keys, Decimal(100)),
        mar_serious_harm=risk if risk in engine.MaxRisk.ALL else None,
        routes_accepted=tuple(dict.fromkeys(routes)),
        experimental_openness=openness if openness in engine.Openness.ALL else None,
        avoid_injections=pruned.get(AVOID_INJECTIONS_KEY) is True,
    )


def disease_of(definition: VersionDef, pruned: Mapping[str, Any]) -> str | None:
    if definition.disease:
        return definition.disease
    answer = pruned.get(CONDITION_KEY)
    return answer if isinstance(answer, str) and answer else None


def _option_profile(profile: TherapyProfile) -> engine.OptionProfile:
    scope = profile.scope or {}
    return engine.OptionProfile(
        option_id=profile.slug,
        status=profile.status,
        certainty=profile.certainty,
        family=profile.family,
        target_class=profile.target_class,
        routes=profile.routes,
        values=dict(profile.values),
        serious_harm_per_1000=profile.values.get(engine.CriterionKey.SERIOUS_HARM),
        version=profile.revision,
        administration=profile.administration,
        scope=scope.get("condition"),
        scope_note=dict(scope.get("note") or {}),
        scope_evidence=tuple(scope.get("evidence") or ()),
        role=profile.role,
    )


class Response:
    """How well the current treatment works for the patient, from their answers."""

    WORKS = "works"
    PARTLY = "partly"
    NOT_WORKING = "not_working"
    UNKNOWN = "unknown"


# "No change" while it is not working: no benefit is expected within the one-year horizon
# the criteria describe, so it is slower than any option that may help (docs/weighing.md).
NO_BENEFIT_WEEKS = Decimal(52)
# current_treatment_satisfaction is rated 0–10: 7 or more is "works", 4–6 "partly".
SATISFIED_FROM = 7
PARTLY_FROM = 4


def current_response(pruned: Mapping[str, Any], *, current: str | None) -> str:
    """The patient's own account of the current treatment: the treatment-history row for
    it (how well it worked) first, else the satisfaction rating."""
    if not current:
        return Response.UNKNOWN
    for row in _prior_rows(pruned):
        if row.get(PRIOR_THERAPY_KEY) != current:
            continue
        effect = row.get(PRIOR_EFFECT_KEY)
        if effect == "worked":
            return Response.WORKS
        if effect == "partly":
            return Response.PARTLY
        if effect == "not_effective" or row.get(PRIOR_STOP_REASON_KEY) == "not_effective":
            return Response.NOT_WORKING
    rating = pruned.get(SATISFACTION_KEY)
    if isinstance(rating, int | Decimal) and not isinstance(rating, bool):
        if rating >= SATISFIED_FROM:
            return Response.WORKS
        if rating >= PARTLY_FROM:
            return Response.PARTLY
        return Response.NOT_WORKING
    return Response.UNKNOWN


def status_quo_option(
    profiles: DiseaseProfiles,
    *,
    current: str | None,
    response: str = Response.UNKNOWN,
    active: bool | None = None,
) -> engine.OptionProfile:
    """The status-quo option, valued from the patient's own answers (docs/weighing.md,
    "Honest status quo"):

    - on a treatment that works for them: staying on it keeps its values, and its benefit
      is already there (speed 0);
    - on one that works partly: one effectiveness tier less, no further benefit expected;
    - on one that does not work, or on nothing while the disease is active: effectiveness
      0 and no benefit within the horizon (``NO_BENEFIT_WEEKS``); and while the disease is
      active and uncontrolled the status quo is in group 2 (guidelines treat active
      disease), never hidden;
    - on nothing with quiet disease: the "no change" profile, nothing to wait for;
    - on a treatment whose effect they did not say: its own values and onset.
    """
    no_change = profiles.therapies.get(STATUS_QUO_SLUG)
    if no_change is None or no_change.status is None:
        raise ProfilesMissing(
            f"the status-quo profile '{STATUS_QUO_SLUG}' has no indication for "
            f"'{profiles.disease}'; run manage.py load_therapies"
        )
    base = profiles.therapies.get(current) if current else None
    effectiveness, speed = engine.CriterionKey.EFFECTIVENESS, engine.CriterionKey.SPEED
    uncontrolled = (engine.ReasonCode.STATUS_QUO_ACTIVE_DISEASE,)
    if base is None or base.status is None:
        option = replace(_option_profile(no_change), is_status_quo=True)
        if base is not None:  # a therapy we know but not for this disease: keep its class
            option = replace(option, family=base.family, target_class=base.target_class)
        values = dict(option.values)
        if active is False:
            values[speed] = Decimal(0)  # quiet disease: nothing to wait for
            return replace(option, values=values)
        values[effectiveness], values[speed] = Decimal(0), NO_BENEFIT_WEEKS
        return replace(option, values=values, restriction_codes=uncontrolled if active else ())
    values = dict(base.values)
    restrictions: tuple[str, ...] = ()
    if response == Response.WORKS:
        values[speed] = Decimal(0)  # the benefit is already there
    elif response == Response.PARTLY:
        if effectiveness in values:
            values[effectiveness] = max(Decimal(0), values[effectiveness] - 1)
        values[speed] = NO_BENEFIT_WEEKS
        restrictions = uncontrolled if active else ()
    elif response == Response.NOT_WORKING:
        values[effectiveness], values[speed] = Decimal(0), NO_BENEFIT_WEEKS
        restrictions = uncontrolled if active is not False else ()
    return engine.OptionProfile(
        option_id=STATUS_QUO_SLUG,
        status=base.status,
        certainty=base.certainty,
        family=base.family,
        target_class=base.target_class,
        routes=base.routes,
        values=values,
        serious_harm_per_1000=values.get(engine.CriterionKey.SERIOUS_HARM),
        is_status_quo=True,
        version=no_change.revision,
        administration=base.administration,
        restriction_codes=restrictions,
    )


@dataclass(frozen=True)
class Prepared:
    """Everything one weighing needs, built once."""

    disease: str
    profiles: DiseaseProfiles
    weighing_input: engine.WeighingInput
    option_ids: tuple[str, ...]  # offered options, status quo first
    not_recommended: tuple[str, ...]
    current_therapy: str | None
    current_answer: str | None
    current_response: str = "unknown"  # Response code: how well the current one works
    disease_active: bool | None = None


def weighing_input_build(
    *, profiles: DiseaseProfiles, prepared_answers: PreparedAnswers
) -> Prepared:
    pruned = prepared_answers.pruned
    target_classes = {slug: profile.target_class for slug, profile in profiles.therapies.items()}
    prior = prior_treatments_from(pruned, target_classes=target_classes)
    current, current_answer = current_therapy_from(pruned, known=profiles.therapies)
    response = current_response(pruned, current=current)
    active = prepared_answers.derived.get(DISEASE_ACTIVE)
    status_quo = status_quo_option(profiles, current=current, response=response, active=active)
    offered = [
        profile
        for profile in profiles.indicated()
        if profile.slug != STATUS_QUO_SLUG and profile.status != RegulatoryStatus.NOT_RECOMMENDED
    ]
    not_recommended = tuple(
        profile.slug
        for profile in profiles.indicated()
        if profile.status == RegulatoryStatus.NOT_RECOMMENDED
    )
    criteria = (
        tuple(
            engine.Criterion(
                criterion.key,
                criterion.better,
                engine.Scale.LOG
                if criterion.key in engine.LOG_SCALE_CRITERIA
                else engine.Scale.LINEAR,
            )
            for criterion in profiles.criteria
        )
        or engine.DEFAULT_CRITERIA
    )
    weighing_input = engine.WeighingInput(
        disease=profiles.disease,
        options=(status_quo, *(_option_profile(profile) for profile in offered)),
        criteria=criteria,
        answers=prepared_answers.derived,
        rules=profiles.rules,
        prior_treatments=prior,
        current_therapy=current,
        preferences=preferences_from(pruned, criteria_keys=[c.key for c in criteria]),
    )
    return Prepared(
        disease=profiles.disease,
        profiles=profiles,
        weighing_input=weighing_input,
        option_ids=(STATUS_QUO_SLUG, *(profile.slug for profile in offered)),
        not_recommended=not_recommended,
        current_therapy=current,
        current_answer=current_answer,
        current_response=response,
        disease_active=active,
    )

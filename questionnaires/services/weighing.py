"""The one adapter between therapy profiles in the database and the weighing engine.

``weighing_compute`` takes a questionnaire definition and a patient's answers and returns
the weighing as a JSON-safe dict: the same dict is frozen into ``Result.weighing``, read by
the patient's results page and the clinician summary, and printed by ``manage.py simulate``
(whose output ``simulation_run`` builds). Its shape is documented in ``docs/simulate.md``
and checked by ``docs/simulate.schema.json``.

What the adapter decides (everything else is the engine's):

- **Which options**: every therapy with an indication for the patient's condition, except
  indications marked "not recommended" (listed separately, never weighed), plus the
  status quo ``no_change``, which is always present.
- **The status quo**: "no change" when the patient takes nothing (or something we have no
  profile for). When they take a therapy we know, the status quo is *staying on it*: its
  routes, family, target class, status, certainty and criterion values, except that the
  wait for a benefit is the "no change" wait (it is already being taken) and, when the
  patient said it does not work, its effectiveness is the "no change" value.
- **Severity** is left to content rules (e.g. ``mild_disease_psoriasis`` tests
  ``scale.activity_psoriasis.severity``); an indication's "used for" is shown, not weighed.
- **Preferences** from the answers ``priority_ranking``, ``mar_serious_harm``,
  ``routes_accepted`` (without ``intravenous`` when the patient cannot travel for
  infusions) and ``experimental_openness``.
- **Treatment history** from the repeat group ``prior_treatments`` and the question
  ``current_treatment``.
- **Derived answers** that rule conditions may test besides the questions:
  ``scale.<key>.score`` (number), ``scale.<key>.severity`` (band severity),
  ``prior.tried``, ``prior.not_effective``, ``prior.side_effects`` (therapy slugs) and
  ``prior.stop_reasons`` (reasons given for stopping).

The result snapshot records the profile versions it used: each therapy's revision
counter and the history ids of its therapy and indication rows, and each rule's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext

from questionnaires.answers import answers_from_json
from questionnaires.engine import ENGINE_VERSION
from questionnaires.engine import weighing as engine
from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, Severity, VersionDef
from questionnaires.engine.scoring import ScaleResult, score_scales
from questionnaires.engine.sensitivity import Sensitivity
from questionnaires.engine.snapshot import scale_from_result, scale_to_simulation_json
from questionnaires.engine.visibility import Visibility, resolve_visibility
from questionnaires.i18n import language_codes, lines_of, text_of
from questionnaires.lru import ImmutableLru
from questionnaires.models import (
    INDICATION_TEXT_FIELDS,
    STATUS_QUO_SLUG,
    Criterion,
    Evidence,
    Indication,
    QuestionnaireVersion,
    RegulatoryStatus,
    SeverityGate,
    Therapy,
    TherapyRule,
)
from questionnaires.selectors.definitions import definition_for_version
from questionnaires.selectors.therapies import profiles_revision

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


# --- profiles: one fetch per disease ------------------------------------------------------


@dataclass(frozen=True)
class TherapyProfile:
    """One therapy as the adapter needs it; ``indication`` fields are for one disease."""

    slug: str
    family: str
    target_class: str
    routes: tuple[str, ...]
    revision: int
    history_id: int | None
    display: Mapping[str, Any]  # patient-facing text and facts, JSON-safe
    # For the disease fetched; None when the therapy has no indication for it.
    status: str | None = None
    certainty: str | None = None
    severity: str = SeverityGate.ANY
    values: Mapping[str, Decimal] = field(default_factory=dict)
    indication_history_id: int | None = None
    administration: str = ""
    role: str = ""  # for the disease fetched
    scope: Mapping[str, Any] = field(default_factory=dict)  # for the disease fetched


@dataclass(frozen=True)
class CriterionInfo:
    key: str
    better: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    history_id: int | None


@dataclass(frozen=True)
class DiseaseProfiles:
    disease: str
    criteria: tuple[CriterionInfo, ...]
    therapies: Mapping[str, TherapyProfile]  # every therapy, by slug
    rules: tuple[engine.Rule, ...]  # active content rules
    rule_versions: Mapping[str, Mapping[str, int | None]]

    def indicated(self) -> list[TherapyProfile]:
        return [profile for profile in self.therapies.values() if profile.status is not None]


class ProfilesMissing(LookupError):
    """The therapy profiles needed to weigh are not in the database (load_therapies)."""


def _latest_history_ids(model, ids: Iterable[int]) -> dict[int, int]:
    historical = model.history.model
    rows = (
        historical.objects.filter(id__in=list(ids))
        .values("id")
        .annotate(latest=Max("history_id"))
        .values_list("id", "latest")
    )
    return dict(rows)


def profiles_fetch(*, disease: str, today: datetime.date | None = None) -> DiseaseProfiles:
    """Criteria, every therapy (with its indication for ``disease``) and the active rules."""
    today = today or timezone.localdate()
    criteria_rows = list(Criterion.objects.order_by("order", "key"))
    therapy_rows = list(Therapy.objects.order_by("slug").prefetch_related("references__evidence"))
    indications = {
        indication.therapy_id: indication
        for indication in Indication.objects.filter(disease=disease).prefetch_related(
            "outcomes__evidence"
        )
    }
    rule_rows = list(
        TherapyRule.objects.filter(active=True)
        .order_by("rule_id")
        .prefetch_related("evidence_links__evidence")
    )
    therapy_history = _latest_history_ids(Therapy, (row.pk for row in therapy_rows))
    indication_history = _latest_history_ids(Indication, (row.pk for row in indications.values()))
    rule_history = _latest_history_ids(TherapyRule, (row.pk for row in rule_rows))
    criterion_history = _latest_history_ids(Criterion, (row.pk for row in criteria_rows))

    therapies = {}
    for row in therapy_rows:
        indication = indications.get(row.pk)
        therapies[row.slug] = TherapyProfile(
            slug=row.slug,
            family=row.family,
            target_class=row.target_class,
            routes=tuple(row.routes or ()),
            revision=row.revision,
            history_id=therapy_history.get(row.pk),
            display=_display(row, indication, today=today),
            status=indication.status if indication else None,
            certainty=indication.certainty if indication else None,
            severity=indication.severity if indication else SeverityGate.ANY,
            values=indication.decimal_values() if indication else {},
            indication_history_id=indication_history.get(indication.pk) if indication else None,
            administration=row.administration,
            role=indication.role if indication else "",
            scope=dict(indication.scope or {}) if indication else {},
        )
    rules = tuple(
        engine.Rule(
            rule_id=row.rule_id,
            applies_to=row.applies_to(),
            effect=row.effect,
            condition=row.condition,
            criterion=row.criterion,
            multiplier=row.multiplier,
            delta=row.delta,
            clinician_message=text_of(row, "clinician_message"),
            patient_message=text_of(row, "patient_message"),
            evidence_ids=tuple(
                link.evidence.url or link.evidence.citation for link in row.evidence_links.all()
            ),
        )
        for row in rule_rows
    )
    return DiseaseProfiles(
        disease=disease,
        criteria=tuple(
            CriterionInfo(
                key=row.key,
                better=row.better,
                name=text_of(row, "name"),
                description=text_of(row, "description"),
                history_id=criterion_history.get(row.pk),
            )
            for row in criteria_rows
        ),
        therapies=therapies,
        rules=rules,
        rule_versions={
            row.rule_id: {"revision": row.revision, "history_id": rule_history.get(row.pk)}
            for row in rule_rows
        },
    )


# Built profiles per (disease, day, stamp of the profile tables). The day is in the key
# because a source's "overdue" flag depends on it; entries of an old stamp are never asked
# for again and fall out as new ones come in. Content only, nothing about a patient.
_profiles: ImmutableLru[DiseaseProfiles] = ImmutableLru(size=16)


def profiles_current(*, disease: str, today: datetime.date | None = None) -> DiseaseProfiles:
    """``profiles_fetch`` for ``disease``, kept per process until a profile changes: one
    stamp query (``selectors.therapies.profiles_revision``) instead of a dozen."""
    today = today or timezone.localdate()
    key = (disease, today, profiles_revision())
    # The stamp is read before the rows: a save committed in between is in the rows and
    # moves the stamp, so the next call rebuilds; never the other way round.
    return _profiles.get_or_build(key, lambda: profiles_fetch(disease=disease, today=today))


def evidence_entry(evidence: Evidence, *, today: datetime.date) -> dict[str, Any]:
    return {
        "citation": evidence.citation,
        "url": evidence.url,
        "checked": evidence.checked.isoformat(),
        "next_review": evidence.next_review.isoformat(),
        "overdue": evidence.is_overdue(today),
    }


def _display(
    therapy: Therapy, indication: Indication | None, *, today: datetime.date
) -> dict[str, Any]:
    """What a patient or clinician reads about the option, frozen into the snapshot."""
    onset = None
    if therapy.onset_weeks_min is not None or therapy.onset_weeks_max is not None:
        onset = [therapy.onset_weeks_min, therapy.onset_weeks_max]
    display: dict[str, Any] = {
        "therapy": therapy.slug,
        "name": text_of(therapy, "name"),
        "family": therapy.family,
        "target": therapy.target,
        "target_class": therapy.target_class,
        "routes": list(therapy.routes or []),
        "administration": therapy.administration,
        "role": "",
        "scope_note": {},
        "schedule": text_of(therapy, "schedule"),
        "onset_weeks": onset,
        "what_it_is": text_of(therapy, "what_it_is"),
        "how_taken": text_of(therapy, "how_taken"),
        "benefits": text_of(therapy, "benefits"),
        "downsides": text_of(therapy, "downsides"),
        "living_with": text_of(therapy, "living_with"),
        "pregnancy": text_of(therapy, "pregnancy"),
        "common_side_effects": lines_of(therapy, "common_side_effects"),
        "serious_risks": lines_of(therapy, "serious_risks"),
        "monitoring": lines_of(therapy, "monitoring"),
        "has_unverified": bool(therapy.unverified.strip()),
        "revision": therapy.revision,
        "evidence": [
            evidence_entry(link.evidence, today=today) for link in therapy.references.all()
        ],
        "status": None,
        "status_note": {},
        "certainty": None,
        "severity": SeverityGate.ANY,
        "outcomes": [],
        "uncertain_values": [],
        "based_on": None,
    }
    if indication is not None:
        if indication.onset_weeks_min is not None or indication.onset_weeks_max is not None:
            display["onset_weeks"] = [indication.onset_weeks_min, indication.onset_weeks_max]
        # Texts written for this condition replace the general ones (no MS figures for a
        # lupus patient).
        for name, text in (indication.text or {}).items():
            if name in INDICATION_TEXT_FIELDS and text:
                display[name] = dict(text)
        display.update(
            {
                "role": indication.role,
                "scope_note": dict((indication.scope or {}).get("note") or {}),
                "status": indication.status,
                "status_note": text_of(indication, "status_note"),
                "certainty": indication.certainty,
                "severity": indication.severity,
                "uncertain_values": list(indication.uncertain or []),
                "outcomes": [
                    {
                        "text": text_of(outcome, "text"),
                        "count": _decimal_text(outcome.count),
                        "per": outcome.per,
                        "horizon": text_of(outcome, "horizon"),
                        "population": text_of(outcome, "population"),
                        "certainty": outcome.certainty,
                        "evidence": (
                            evidence_entry(outcome.evidence, today=today)
                            if outcome.evidence
                            else None
                        ),
                    }
                    for outcome in indication.outcomes.all()
                ],
            }
        )
    return display


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
    highly_active = _ms_highly_active(pruned)
    if highly_active is not None:
        derived[MS_HIGHLY_ACTIVE] = highly_active
    active = disease_active(pruned, scales)
    if active is not None:
        derived[DISEASE_ACTIVE] = active
    dropped = tuple(key for key in given if key not in pruned)
    return PreparedAnswers(visibility, pruned, dropped, scales, derived)


def _ms_highly_active(pruned: Mapping[str, Any]) -> bool | None:
    relapses = pruned.get(MS_RELAPSES_KEY)
    if not isinstance(relapses, int | Decimal) or isinstance(relapses, bool):
        return None
    return relapses >= 2 or (relapses >= 1 and pruned.get(MS_MRI_KEY) == "yes")


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


# --- the public services ------------------------------------------------------------------


def weighing_compute(
    *,
    definition: VersionDef,
    answers: Mapping[str, Any],
    profiles: DiseaseProfiles | None = None,
    today: datetime.date | None = None,
    prepared_answers: PreparedAnswers | None = None,
) -> dict[str, Any] | None:
    """The weighing for ``answers`` as a JSON-safe dict, or None when there is nothing to
    weigh (no condition answered). ``answers`` may be stored (JSON) or engine form;
    ``prepared_answers``, when the caller has them (``result_freeze``), are used as they are.

    Raises ProfilesMissing when the condition has no status-quo profile (profiles not
    loaded).
    """
    if prepared_answers is None:
        prepared_answers = answers_prepare(definition=definition, answers=answers)
    return _weigh(definition, prepared_answers, profiles=profiles, today=today)


def _weigh(
    definition: VersionDef,
    prepared_answers: PreparedAnswers,
    *,
    profiles: DiseaseProfiles | None,
    today: datetime.date | None,
) -> dict[str, Any] | None:
    disease = disease_of(definition, prepared_answers.pruned)
    if disease is None:
        return None
    today = today or timezone.localdate()
    if profiles is None or profiles.disease != disease:
        profiles = profiles_current(disease=disease, today=today)
    prepared = weighing_input_build(profiles=profiles, prepared_answers=prepared_answers)
    result = engine.weigh(prepared.weighing_input)
    return weighing_to_json(prepared, result, today=today)


def simulation_run(
    *,
    version: QuestionnaireVersion,
    answers: Mapping[str, Any],
    definition: VersionDef | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """Everything the logic simulator prints for ``answers`` on ``version`` (JSON-safe).

    ``definition`` may be passed when the caller already built it (the publish gate).
    """
    if definition is None:
        definition = definition_for_version(version)
    prepared_answers = answers_prepare(definition=definition, answers=answers)
    notes: list[str] = []
    weighing = None
    try:
        weighing = _weigh(definition, prepared_answers, profiles=None, today=today)
    except ProfilesMissing as missing:
        notes.append(str(missing))
    if weighing is None and not notes:
        notes.append("no condition was answered, so there is nothing to weigh")
    questions = definition.question_map()
    return {
        "format": "sdm-simulation",
        "format_version": FORMAT_VERSION,
        "questionnaire": definition.slug,
        "version": version.number,
        "version_status": version.status,
        "engine_version": ENGINE_VERSION,
        "condition": disease_of(definition, prepared_answers.pruned),
        "visible_steps": list(prepared_answers.visibility.steps),
        "visible_questions": [
            question.key
            for _, _, question in definition.iter_questions()
            if prepared_answers.visibility.shows_question(question.key)
        ],
        "dropped_answers": [
            {"key": key, "reason": "unknown" if key not in questions else "hidden_or_empty"}
            for key in prepared_answers.dropped
        ],
        "scales": [scale_to_json(scale, definition) for scale in prepared_answers.scales],
        "weighing": weighing,
        "notes": notes,
    }


# --- engine result → JSON -----------------------------------------------------------------


def _decimal_text(value: Decimal | int | None) -> str | None:
    if value is None:
        return None
    number = Decimal(value)
    normal = number.normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    text = format(normal, "f")
    return "0" if text in ("-0", "") else text


def _json_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _json_value(value: Any) -> Any:
    """Reason and conflict details: decimals as text, tuples as lists."""
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def scale_to_json(scale: ScaleResult, definition: VersionDef) -> dict[str, Any]:
    """The simulator's shape of a scale result (``Result.scores`` keeps the other one; both
    are written from the one typed value, ``engine.snapshot.ScaleSnapshot``)."""
    names = {item.key: item.name for item in definition.scales}
    return scale_to_simulation_json(scale_from_result(scale), name=names.get(scale.key, {}))


def reason_to_json(reason: engine.Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "rule_id": reason.rule_id,
        "clinician_message": dict(reason.clinician_message),
        "patient_message": dict(reason.patient_message),
        "evidence": list(reason.evidence_ids),
        "detail": _json_value(reason.detail),
    }


def _conflict_to_json(conflict: engine.Conflict) -> dict[str, Any]:
    return {"kind": conflict.kind, "level": conflict.level, "detail": _json_value(conflict.detail)}


def _adjustment_to_json(adjustment: engine.Adjustment) -> dict[str, Any]:
    return {
        "criterion": adjustment.criterion,
        "multiplier": _decimal_text(adjustment.multiplier),
        "delta": _decimal_text(adjustment.delta),
        "before": _decimal_text(adjustment.before),
        "after": _decimal_text(adjustment.after),
        "reason": reason_to_json(adjustment.reason),
    }


def _option_to_json(option: engine.OptionResult) -> dict[str, Any]:
    return {
        "option_id": option.option_id,
        "is_status_quo": option.is_status_quo,
        "rank": option.rank,
        "fit": option.fit,
        "fit_display": option.fit_display,
        "contributions": dict(option.contributions),
        "partial_values": dict(option.partial_values),
        "values": {key: _decimal_text(value) for key, value in option.values.items()},
        "missing": list(option.missing),
        "status": option.status,
        "certainty": option.certainty,
        "routes": list(option.routes),
        "serious_harm_per_1000": _decimal_text(option.serious_harm_per_1000),
        "conflicts": [_conflict_to_json(conflict) for conflict in option.conflicts],
        "cautions": [reason_to_json(reason) for reason in option.cautions],
        "adjustments": [_adjustment_to_json(adjustment) for adjustment in option.adjustments],
        "group": option.group,
        "restrictions": [reason_to_json(reason) for reason in option.restrictions],
        "explanation": {
            "top_drivers": list(option.explanation.top_drivers),
            "main_trade_off": option.explanation.main_trade_off,
            "trade_off_best_option": option.explanation.trade_off_best_option,
        },
        "profile_version": option.profile_version,
    }


GROUP_CODES = {
    engine.Group.WITHIN_LIMITS: "within_limits",
    engine.Group.LIMIT_OR_RESTRICTED: "limit_or_restricted",
    engine.Group.NOT_SUITABLE: "not_suitable",
}


def groups_to_json(result: engine.WeighingResult) -> list[dict[str, Any]]:
    """The three guideline tiers in order, each with its options and, per option, why it
    is in that group (limits broken, restrictions, or reasons it is not suitable now)."""
    groups: list[dict[str, Any]] = []
    for group in engine.Group.ALL:
        members: list[dict[str, Any]] = []
        if group == engine.Group.NOT_SUITABLE:
            for exclusion in result.not_suitable:
                members.append(
                    {
                        "option_id": exclusion.option_id,
                        "why": [_reason_label(reason) for reason in exclusion.reasons],
                    }
                )
        else:
            for option in result.ranked:
                if option.group != group:
                    continue
                why = [f"limit:{conflict.kind}" for conflict in option.limits_broken]
                why += [_reason_label(reason) for reason in option.restrictions]
                members.append({"option_id": option.option_id, "why": why})
        groups.append({"group": group, "code": GROUP_CODES[group], "options": members})
    return groups


def _reason_label(reason: engine.Reason) -> str:
    return reason.rule_id or reason.code


def sensitivity_to_json(sensitivity: Sensitivity) -> dict[str, Any]:
    change = sensitivity.smallest_change
    return {
        "leader": sensitivity.leader,
        "runner_up": sensitivity.runner_up,
        "margin": sensitivity.margin,
        "smallest_change": (
            None
            if change is None
            else {
                "criterion": change.criterion,
                "delta": change.delta,
                "new_weight": change.new_weight,
                "new_leader": change.new_leader,
            }
        ),
        "equal_weights_leader": sensitivity.equal_weights_leader,
        "rank_weights_leader": sensitivity.rank_weights_leader,
        "close_call": sensitivity.close_call,
        "reasons": list(sensitivity.reasons),
    }


def _status_quo_display(prepared: Prepared) -> dict[str, Any]:
    profiles = prepared.profiles
    display = dict(profiles.therapies[STATUS_QUO_SLUG].display)
    base = profiles.therapies.get(prepared.current_therapy or "")
    if base is None or base.status is None:
        return display
    base_display = base.display
    names = base_display["name"]
    display.update(
        {
            key: base_display[key]
            for key in (
                "family",
                "target",
                "target_class",
                "routes",
                "schedule",
                "how_taken",
                "common_side_effects",
                "serious_risks",
                "monitoring",
                "pregnancy",
                "status",
                "status_note",
                "certainty",
                "severity",
                "outcomes",
                "uncertain_values",
                "has_unverified",
                "evidence",
            )
        }
    )

    def stay_on(language: str) -> str:
        name = names.get(language) or names.get("en") or base.slug
        with translation.override(language):
            return gettext("Stay on %(name)s") % {"name": name}

    display["name"] = {language: stay_on(language) for language in language_codes()}
    display["based_on"] = base.slug
    return display


def _evidence_summary(options: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    by_source: dict[str, dict[str, Any]] = {}
    for option_id, display in options.items():
        entries = list(display.get("evidence", []))
        entries += [o["evidence"] for o in display.get("outcomes", []) if o.get("evidence")]
        for entry in entries:
            key = entry["url"] or entry["citation"]
            source = by_source.setdefault(key, {**entry, "options": []})
            if option_id not in source["options"]:
                source["options"].append(option_id)
    sources = sorted(by_source.values(), key=lambda source: (source["checked"], source["citation"]))
    return {
        "sources": len(sources),
        "oldest_checked": sources[0]["checked"] if sources else None,
        "newest_checked": max((s["checked"] for s in sources), default=None),
        "next_review": min((s["next_review"] for s in sources), default=None),
        "overdue": [source for source in sources if source["overdue"]],
    }


def weighing_to_json(
    prepared: Prepared, result: engine.WeighingResult, *, today: datetime.date
) -> dict[str, Any]:
    profiles = prepared.profiles
    weighed = list(prepared.option_ids)
    # Copied to the leaves: the displays belong to profiles every weighing of this process
    # shares (``profiles_current``), and callers may change what they get back.
    options = {
        slug: _json_copy(
            _status_quo_display(prepared)
            if slug == STATUS_QUO_SLUG
            else profiles.therapies[slug].display
        )
        for slug in [*weighed, *prepared.not_recommended]
    }
    preferences = prepared.weighing_input.preferences
    used = set(weighed) | set(prepared.not_recommended)
    if prepared.current_therapy:
        used.add(prepared.current_therapy)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine_version": result.engine_version,
        "disease": result.disease,
        "computed_on": today.isoformat(),
        "criteria": [
            {
                "key": criterion.key,
                "better": criterion.better,
                "name": dict(criterion.name),
                "description": dict(criterion.description),
            }
            for criterion in profiles.criteria
        ],
        "preferences": {
            "ranking": list(preferences.ranking),
            "ranking_given": bool(preferences.ranking),
            "mar_serious_harm": preferences.mar_serious_harm,
            "routes_accepted": list(preferences.routes_accepted),
            "experimental_openness": preferences.experimental_openness,
        },
        "current_therapy": prepared.current_therapy,
        "current_treatment_answer": prepared.current_answer,
        "status_quo": {
            "response": prepared.current_response,
            "disease_active": prepared.disease_active,
            "restricted": bool(prepared.weighing_input.options[0].restriction_codes),
        },
        "weight_method": result.weight_method,
        "priority": list(result.priority),
        "weights": dict(result.weights),
        "risk_limit": {
            "code": result.risk_limit.code,
            "gated": result.risk_limit.gated,
            "relative_to_status_quo": result.risk_limit.relative_to_status_quo,
            "per_1000": _decimal_text(result.risk_limit.per_1000),
        },
        "ranked": [_option_to_json(option) for option in result.ranked],
        "groups": groups_to_json(result),
        "not_suitable": [
            {
                "option_id": exclusion.option_id,
                "reasons": [reason_to_json(reason) for reason in exclusion.reasons],
            }
            for exclusion in result.not_suitable
        ],
        "not_recommended": list(prepared.not_recommended),
        "sensitivity": sensitivity_to_json(result.sensitivity),
        "options": options,
        "evidence": _evidence_summary(options),
        "profile_versions": {
            "therapies": {
                slug: {
                    "revision": profiles.therapies[slug].revision,
                    "history_id": profiles.therapies[slug].history_id,
                    "indication_history_id": profiles.therapies[slug].indication_history_id,
                }
                for slug in sorted(used)
                if slug in profiles.therapies
            },
            "rules": {
                rule_id: dict(version)
                for rule_id, version in sorted(profiles.rule_versions.items())
            },
            "criteria": {criterion.key: criterion.history_id for criterion in profiles.criteria},
        },
    }


# --- derived keys as questions (for validating rule conditions) ---------------------------


def derived_questions(
    definition: VersionDef, *, therapy_slugs: Sequence[str]
) -> dict[str, QuestionDef]:
    """Pseudo-questions for the derived answer keys, so rule conditions can be validated
    with ``engine.conditions.validate`` like any ``show_if``."""

    def choice_list(values: Iterable[str]) -> tuple[ChoiceDef, ...]:
        return tuple(ChoiceDef(value, {"en": value}) for value in values)

    found: dict[str, QuestionDef] = {}
    for scale in definition.scales:
        score_key = f"scale.{scale.key}.score"
        severity_key = f"scale.{scale.key}.severity"
        found[score_key] = QuestionDef(key=score_key, kind=Kind.DECIMAL, text={"en": score_key})
        found[severity_key] = QuestionDef(
            key=severity_key,
            kind=Kind.SINGLE_CHOICE,
            text={"en": severity_key},
            choices=choice_list(Severity.ALL),
        )
    stop_reasons: tuple[ChoiceDef, ...] = ()
    questions = definition.question_map()
    if PRIOR_STOP_REASON_KEY in questions:
        stop_reasons = questions[PRIOR_STOP_REASON_KEY].choices
    for key in (PRIOR_TRIED, PRIOR_NOT_EFFECTIVE, PRIOR_SIDE_EFFECTS):
        found[key] = QuestionDef(
            key=key, kind=Kind.MULTIPLE_CHOICE, text={"en": key}, choices=choice_list(therapy_slugs)
        )
    for key in (MS_HIGHLY_ACTIVE, DISEASE_ACTIVE):
        found[key] = QuestionDef(key=key, kind=Kind.YES_NO, text={"en": key})
    found[PRIOR_STOP_REASONS] = QuestionDef(
        key=PRIOR_STOP_REASONS,
        kind=Kind.MULTIPLE_CHOICE,
        text={"en": PRIOR_STOP_REASONS},
        choices=stop_reasons,
    )
    return found

"""The weighing engine: how well each therapy option fits what the patient said matters.

A simple multi-attribute value model (MCDA good practice, ``docs/notes/sdm_anchors.md`` §3):

1. Rules and the treatment history decide which options are *not suitable now* (each
   with at least one reason), which carry a *caution* and which criterion values are
   *adjusted* (see "Built-in treatment-history logic" below).
2. Every criterion gets a partial value on a LOCAL 0–1 scale: 0 for the worst and 1 for
   the best value among the options under consideration (the suitable options, the
   status quo included), inverted where lower is better. When every option has the
   same value, everyone gets 1.0: as in Annalisa, the best option on a criterion scores
   100 %, and a criterion that does not separate the options cannot change the order.
   A missing value scores 0 (the worst) and is listed in ``OptionResult.missing``: the
   cautious choice, so that a gap in the evidence never makes an option look better.
3. Weights from the patient's ranking of the criteria (rank-order centroid), or swing
   weights when the patient rated the criteria 0–100 (``criterion_weights``).
4. fit = 100 · Σ wᵢ·vᵢ; the contributions 100·wᵢ·vᵢ are kept for the explanation.
5. A stated limit the option breaks (maximum acceptable risk, "no experimental
   treatment", a refused route) is a *conflict to discuss*: it never removes an option.
6. Sensitivity: ``sensitivity.py``.
7. Order: fit descending; ties go to the option with the better partial value on the
   patient's most important criterion (a known value before a missing one), then the
   next criterion, and so on; then option id. This tie-break is stable and means an
   option at least as good on every criterion as another (a missing value counting as
   worse than any known one) never ranks below it.

The output says how well each option fits the stated priorities, never which to choose.

Numbers: profile data (raw criterion values, risks, rule multipliers and deltas) stays
``Decimal`` as stored. The value model (partial values, weights, contributions, fits,
sensitivity) is ``float``, compared at full precision; round only for display
(``display_round``).

Built-in treatment-history logic (not content rules):

- The same therapy stopped before because it did not work, or because of side effects,
  is "not suitable now" with reason ``did_not_work_before`` /
  ``stopped_for_side_effects``. For side effects a caution would also be defensible;
  exclusion was chosen because ranking a drug the patient has told us they stopped for
  side effects would contradict what they said. It is listed with its reason, never
  silently dropped, so the clinician can still raise it.
- Another therapy of the same target class that did not work lowers the option's
  effectiveness value ×``SAME_CLASS_EFFECTIVENESS_MULTIPLIER`` (once, however many of the
  class failed): switching within a class after a primary failure usually works less
  often. The 0.7 is a convention for clinicians to review, not a trial estimate.
- A therapy the patient takes now is the status quo, not a new option: its own option
  is "not suitable now" with reason ``current_treatment``. Current therapies are
  ``WeighingInput.current_therapy`` plus every prior treatment marked ``still_taking``.
- None of these apply to the status-quo option itself. Content rules do, and they match
  the status quo through the current therapy's slug as well as its own id, family and
  target class (staying on methotrexate in pregnancy is as unsuitable as starting it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from . import ENGINE_VERSION
from .conditions import evaluate
from .definition import Condition, Text
from .sensitivity import Sensitivity, analyse_sensitivity

# --- vocabulary ---------------------------------------------------------------------------


class Better:
    HIGHER = "higher"
    LOWER = "lower"
    ALL = (HIGHER, LOWER)


class CriterionKey:
    """The criteria the patient ranks in the question ``priority_ranking``."""

    EFFECTIVENESS = "effectiveness"  # chance of a good response (0–100) or a tier
    SPEED = "speed"  # weeks to a noticeable benefit
    SERIOUS_HARM = "serious_harm"  # serious harms per 1000 people per year
    SIDE_EFFECTS = "side_effects"  # burden of common side effects, 0–3
    CONVENIENCE = "convenience"  # burden of route and schedule, 0–3
    MONITORING = "monitoring"  # burden of tests and visits, 0–3
    CERTAINTY = "certainty"  # certainty of the evidence, 1 (very low) – 4 (high)
    ALL = (EFFECTIVENESS, SPEED, SERIOUS_HARM, SIDE_EFFECTS, CONVENIENCE, MONITORING, CERTAINTY)


class Route:
    TOPICAL = "topical"
    ORAL = "oral"
    SUBCUTANEOUS = "subcutaneous"
    INTRAVENOUS = "intravenous"
    PHOTOTHERAPY = "phototherapy"
    PROCEDURE = "procedure"
    ALL = (TOPICAL, ORAL, SUBCUTANEOUS, INTRAVENOUS, PHOTOTHERAPY, PROCEDURE)


class Status:
    """Regulatory status of a therapy for one disease."""

    APPROVED = "approved"
    APPROVED_SOME_REGIONS = "approved_some_regions"
    OFF_LABEL = "off_label"
    EXPERIMENTAL = "experimental"
    NOT_RECOMMENDED = "not_recommended"
    STANDARD_CARE = "standard_care"
    ALL = (
        APPROVED,
        APPROVED_SOME_REGIONS,
        OFF_LABEL,
        EXPERIMENTAL,
        NOT_RECOMMENDED,
        STANDARD_CARE,
    )


class Certainty:
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very_low"
    ALL = (HIGH, MODERATE, LOW, VERY_LOW)
    # The "certainty" criterion value used when a profile gives none of its own.
    SCORE: Mapping[str, Decimal] = {
        HIGH: Decimal(4),
        MODERATE: Decimal(3),
        LOW: Decimal(2),
        VERY_LOW: Decimal(1),
    }


class MaxRisk:
    """Answers to ``mar_serious_harm``: the highest yearly serious-harm risk accepted."""

    NONE = "none"  # no extra risk: nothing riskier than the status quo
    ONE_IN_1000 = "1_in_1000"
    ONE_IN_100 = "1_in_100"
    ONE_IN_20 = "1_in_20"
    NOT_SURE = "not_sure"  # no gate; reported as "not sure"
    ALL = (NONE, ONE_IN_1000, ONE_IN_100, ONE_IN_20, NOT_SURE)
    PER_1000: Mapping[str, Decimal] = {
        ONE_IN_1000: Decimal(1),
        ONE_IN_100: Decimal(10),
        ONE_IN_20: Decimal(50),
    }


class Openness:
    """Answers to "would you consider an experimental treatment?"."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    ALL = (YES, MAYBE, NO)


class Outcome:
    """How a prior treatment went (treatment-history repeat group)."""

    WORKED = "worked"
    PARTLY = "partly"
    NOT_EFFECTIVE = "not_effective"
    SIDE_EFFECTS = "side_effects"
    TOO_EARLY = "too_early"
    UNKNOWN = "unknown"
    ALL = (WORKED, PARTLY, NOT_EFFECTIVE, SIDE_EFFECTS, TOO_EARLY, UNKNOWN)


class Effect:
    NOT_SUITABLE = "not_suitable"
    CAUTION = "caution"
    ADJUST = "adjust"
    # Guideline-restricted: "use only when other options are unsuitable" (EMA advice on
    # JAK inhibitors for people 65 or older, smokers, with cardiovascular or cancer risk;
    # second-line labels). The option stays on the table, in group 2.
    RESTRICTED = "restricted"
    ALL = (NOT_SUITABLE, CAUTION, ADJUST, RESTRICTED)


class Administration:
    """How a therapy is taken and how often (``Therapy.administration``)."""

    TOPICAL_DAILY = "topical_daily"
    ORAL_DAILY = "oral_daily"
    ORAL_WEEKLY = "oral_weekly"
    ORAL_COURSES = "oral_courses"
    INJECTION_1_2_WEEKS = "injection_1_2_weeks"  # self-injection at least every 2 weeks
    INJECTION_4_12_WEEKS = "injection_4_12_weeks"
    INFUSION = "infusion"
    PHOTOTHERAPY = "phototherapy"
    PROCEDURE = "procedure"
    NONE = "none"  # "no change" only
    ALL = (
        TOPICAL_DAILY,
        ORAL_DAILY,
        ORAL_WEEKLY,
        ORAL_COURSES,
        INJECTION_1_2_WEEKS,
        INJECTION_4_12_WEEKS,
        INFUSION,
        PHOTOTHERAPY,
        PROCEDURE,
        NONE,
    )
    NEEDLES = (INJECTION_1_2_WEEKS, INJECTION_4_12_WEEKS, INFUSION)
    # The route/frequency burden (the "convenience" criterion, 0 = nothing new, 4 = the
    # most). A convention for clinicians to review, ordered as patients' stated
    # preferences order them in discrete-choice studies (fewer, less invasive
    # administrations preferred; clinic-bound schedules least): see docs/weighing.md.
    BURDEN: Mapping[str, Decimal] = {
        NONE: Decimal(0),
        ORAL_WEEKLY: Decimal(1),
        ORAL_COURSES: Decimal(1),
        ORAL_DAILY: Decimal("1.5"),
        INJECTION_4_12_WEEKS: Decimal(2),
        TOPICAL_DAILY: Decimal(2),
        INJECTION_1_2_WEEKS: Decimal("2.5"),
        INFUSION: Decimal(3),
        PHOTOTHERAPY: Decimal("3.5"),
        PROCEDURE: Decimal(4),
    }


class Role:
    """The part an option plays for one condition (``indications.<cond>.role``)."""

    BACKGROUND = "background"  # taken alongside the others (hydroxychloroquine in lupus)
    BRIDGE = "bridge"  # a short bridge while another treatment starts (glucocorticoids)
    ALL = (BACKGROUND, BRIDGE)


class Scale:
    """How raw values of a criterion map onto the local 0–1 scale."""

    LINEAR = "linear"
    # log10 of the value (floored at LOG_FLOOR): for risks whose bands differ 100-fold,
    # 0.1 → 1 → 10 per 1000 are equal steps.
    LOG = "log"
    ALL = (LINEAR, LOG)
    LOG_FLOOR = Decimal("0.01")


class Group:
    """Guideline tiers: they shape the order without hiding anything (docs/weighing.md)."""

    WITHIN_LIMITS = 1  # suitable and within all the patient's limits
    LIMIT_OR_RESTRICTED = 2  # against a stated limit, guideline-restricted, or a role
    NOT_SUITABLE = 3  # not suitable now (``WeighingResult.not_suitable``)
    ALL = (WITHIN_LIMITS, LIMIT_OR_RESTRICTED, NOT_SUITABLE)


class ConflictKind:
    ABOVE_RISK_LIMIT = "above_risk_limit"
    EXPERIMENTAL_NOT_WANTED = "experimental_not_wanted"
    ROUTE_REFUSED = "route_refused"
    RISK_UNKNOWN = "risk_unknown"
    INJECTIONS_NOT_WANTED = "injections_not_wanted"
    ALL = (
        ABOVE_RISK_LIMIT,
        EXPERIMENTAL_NOT_WANTED,
        ROUTE_REFUSED,
        RISK_UNKNOWN,
        INJECTIONS_NOT_WANTED,
    )


class ConflictLevel:
    CONFLICT = "conflict"  # contradicts what the patient said
    DISCUSS = "discuss"  # softer: may contradict it, worth talking about
    ALL = (CONFLICT, DISCUSS)


class ReasonCode:
    RULE = "rule"  # a content rule; its messages are on the Reason
    CURRENT_TREATMENT = "current_treatment"
    DID_NOT_WORK_BEFORE = "did_not_work_before"
    STOPPED_FOR_SIDE_EFFECTS = "stopped_for_side_effects"
    SAME_CLASS_DID_NOT_WORK = "same_class_did_not_work"
    OUT_OF_SCOPE = "out_of_scope"  # the indication's scope condition is false
    BRIDGE_THERAPY = "bridge_therapy"  # Role.BRIDGE
    BACKGROUND_THERAPY = "background_therapy"  # Role.BACKGROUND
    # The status quo while the disease is active and not controlled by a current
    # treatment: guidelines treat active disease (set by the caller, see docs/weighing.md).
    STATUS_QUO_ACTIVE_DISEASE = "status_quo_active_disease"


class WeightMethod:
    RANK_ORDER_CENTROID = "rank_order_centroid"
    SWING = "swing"


SAME_CLASS_EFFECTIVENESS_MULTIPLIER = Decimal("0.7")
TOP_DRIVER_COUNT = 2
SWING_MAX = Decimal(100)


# --- small validators ---------------------------------------------------------------------


def _require(value: str, what: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")


def _check_code(value: Any, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")


def _as_decimal(value: Any, *, what: str) -> Decimal:
    """A finite Decimal from a Decimal, int or float (via its shortest repr); else ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        raise ValueError(f"{what} must be a number, not {value!r}")
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, not {value!r}")
    return number


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _as_decimal(value, what="value")


# --- input --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    key: str  # a CriterionKey value (others are allowed, e.g. for a disease-specific criterion)
    better: str  # Better.HIGHER or Better.LOWER: which direction of the raw value is better
    scale: str = Scale.LINEAR  # Scale code: how raw values map onto the 0–1 scale

    def __post_init__(self) -> None:
        _require(self.key, "criterion key")
        _check_code(self.better, Better.ALL, "criterion direction")
        _check_code(self.scale, Scale.ALL, "criterion scale")


# Criteria whose raw values span orders of magnitude (docs/weighing.md, "Harm").
LOG_SCALE_CRITERIA = frozenset({CriterionKey.SERIOUS_HARM})


DEFAULT_CRITERIA: tuple[Criterion, ...] = (
    Criterion(CriterionKey.EFFECTIVENESS, Better.HIGHER),
    Criterion(CriterionKey.SPEED, Better.LOWER),
    Criterion(CriterionKey.SERIOUS_HARM, Better.LOWER, Scale.LOG),
    Criterion(CriterionKey.SIDE_EFFECTS, Better.LOWER),
    Criterion(CriterionKey.CONVENIENCE, Better.LOWER),
    Criterion(CriterionKey.MONITORING, Better.LOWER),
    Criterion(CriterionKey.CERTAINTY, Better.HIGHER),
)


@dataclass(frozen=True)
class OptionProfile:
    """One option for one disease, as the weighing sees it."""

    option_id: str  # therapy slug; any stable id for the status quo
    status: str  # Status code for this disease
    certainty: str  # Certainty code of the evidence for this disease
    family: str = ""  # e.g. "monoclonal_antibody", "jak_inhibitor"
    target_class: str = ""  # e.g. "TNF", "IL-17", "IL-23", "CD20", "JAK"; "" when none
    routes: tuple[str, ...] = ()  # Route codes; () for "no treatment"
    # Raw value per criterion key (Decimal; int accepted), in the units of CriterionKey.
    # A criterion with no value here is "missing" (partial value 0), except certainty,
    # which falls back to Certainty.SCORE[certainty].
    values: Mapping[str, Decimal] = field(default_factory=dict)
    # Serious harms per 1000 people per year, for the maximum-acceptable-risk gate.
    # None = unknown: reported as unknown, never taken as zero.
    serious_harm_per_1000: Decimal | None = None
    # "No change / stay on the current treatment". The caller always includes exactly one.
    is_status_quo: bool = False
    version: int = 1  # profile version, recorded in the result
    # Administration code; when given it sets the "convenience" burden (Administration.BURDEN)
    # and decides whether the option needs needles (the "avoid injections" limit).
    administration: str = ""
    # Indication scope for this disease: when the condition is false for the answers the
    # option is not suitable now (ReasonCode.OUT_OF_SCOPE with this note and evidence).
    scope: Condition | None = None
    scope_note: Text = field(default_factory=dict)
    scope_evidence: tuple[str, ...] = ()
    role: str = ""  # Role code for this disease; "" = an alternative like the others
    # Built-in group-2 reasons the caller knows (ReasonCode values), e.g. the status quo
    # while the disease is active and uncontrolled.
    restriction_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.option_id, "option id")
        _check_code(self.status, Status.ALL, "status")
        _check_code(self.certainty, Certainty.ALL, "certainty")
        for route in self.routes:
            _check_code(route, Route.ALL, "route")
        if self.administration:
            _check_code(self.administration, Administration.ALL, "administration")
        if self.role:
            _check_code(self.role, Role.ALL, "role")
        for key, value in self.values.items():
            _as_decimal(value, what=f"value of {key!r} for {self.option_id!r}")
        if self.serious_harm_per_1000 is not None:
            _as_decimal(self.serious_harm_per_1000, what=f"risk of {self.option_id!r}")


@dataclass(frozen=True)
class Rule:
    """A content rule: when ``condition`` holds for the answers, ``effect`` hits the options
    that ``applies_to`` names."""

    rule_id: str  # stable and unique; rules apply in rule_id order
    applies_to: tuple[str, ...]  # therapy slugs, families and target classes; any match
    effect: str  # Effect code
    condition: Condition | None = None  # condition language over the answers; None = always
    criterion: str = ""  # adjust only: the criterion key whose raw value changes
    multiplier: Decimal | None = None  # adjust only: value × multiplier ...
    delta: Decimal | None = None  # ... or value + delta (exactly one of the two)
    clinician_message: Text = field(default_factory=dict)
    patient_message: Text = field(default_factory=dict)
    evidence_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.rule_id, "rule id")
        _check_code(self.effect, Effect.ALL, "rule effect")
        if self.effect == Effect.ADJUST:
            _require(self.criterion, f"criterion of adjusting rule {self.rule_id!r}")
            if (self.multiplier is None) == (self.delta is None):
                raise ValueError(f"rule {self.rule_id!r} needs exactly one of multiplier, delta")
            amount = self.multiplier if self.multiplier is not None else self.delta
            number = _as_decimal(amount, what=f"adjustment of rule {self.rule_id!r}")
            if self.multiplier is not None and number < 0:
                raise ValueError(f"rule {self.rule_id!r}: a multiplier cannot be negative")


@dataclass(frozen=True)
class PriorTreatment:
    """One row of the treatment history, as facts for the engine."""

    therapy: str  # therapy slug
    outcome: str  # Outcome code
    still_taking: bool = False
    # The therapy's target class; "" = look it up among the options by slug.
    target_class: str = ""

    def __post_init__(self) -> None:
        _require(self.therapy, "prior therapy")
        _check_code(self.outcome, Outcome.ALL, "treatment outcome")


@dataclass(frozen=True)
class Preferences:
    """What the patient said matters."""

    # Criterion keys, most important first. Criteria left out follow in the order of
    # WeighingInput.criteria; unknown keys and repeats are ignored.
    ranking: tuple[str, ...] = ()
    # Optional swing ratings 0–100 per criterion key (Decimal; int and float accepted). When
    # any is given the weights are swing weights (see criterion_weights).
    swing: Mapping[str, Decimal] = field(default_factory=dict)
    mar_serious_harm: str | None = None  # MaxRisk code; None = not asked (no gate)
    routes_accepted: tuple[str, ...] = ()  # Route codes; () = not asked (no gate)
    experimental_openness: str | None = None  # Openness code; None = not asked
    avoid_injections: bool = False  # "I would rather avoid injections and infusions"

    def __post_init__(self) -> None:
        if self.mar_serious_harm is not None:
            _check_code(self.mar_serious_harm, MaxRisk.ALL, "maximum acceptable risk")
        if self.experimental_openness is not None:
            _check_code(self.experimental_openness, Openness.ALL, "experimental openness")
        for route in self.routes_accepted:
            _check_code(route, Route.ALL, "accepted route")
        for key, rating in self.swing.items():
            number = _as_decimal(rating, what=f"swing rating of {key!r}")
            if not 0 <= number <= SWING_MAX:
                raise ValueError(f"swing rating of {key!r} must be 0–100, not {rating}")


@dataclass(frozen=True)
class WeighingInput:
    disease: str
    options: tuple[OptionProfile, ...]  # exactly one with is_status_quo=True
    criteria: tuple[Criterion, ...] = DEFAULT_CRITERIA
    # Pruned answers (hidden items dropped), plus derived keys such as
    # "scale.<key>.severity" and "age"; rule conditions are tested on these.
    answers: Mapping[str, Any] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()  # the disease's rules
    prior_treatments: tuple[PriorTreatment, ...] = ()
    current_therapy: str | None = None  # slug of the therapy taken now, if any
    preferences: Preferences = field(default_factory=Preferences)


# --- output -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why an option is not suitable now, or a caution about it."""

    code: str  # ReasonCode
    rule_id: str = ""  # for ReasonCode.RULE
    clinician_message: Text = field(default_factory=dict)  # rules only; built-ins: by code
    patient_message: Text = field(default_factory=dict)
    evidence_ids: tuple[str, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)  # e.g. {"therapy": "adalimumab"}


@dataclass(frozen=True)
class Adjustment:
    """A change to one raw criterion value (applied before the partial values).

    An adjustment to serious_harm also moves ``OptionResult.serious_harm_per_1000``, the
    risk checked against the patient's limit (same unit: per 1000 per year).
    """

    criterion: str
    reason: Reason
    multiplier: Decimal | None  # value × multiplier, or
    delta: Decimal | None  # value + delta
    before: Decimal | None  # None: no weighed value for the criterion, so it did not change
    after: Decimal | None


@dataclass(frozen=True)
class Conflict:
    """A stated limit the option breaks: to discuss, never a reason to drop it."""

    kind: str  # ConflictKind
    level: str  # ConflictLevel
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Explanation:
    """Criterion keys; the Django layer turns them into sentences (English, Chinese)."""

    top_drivers: tuple[str, ...]  # up to TOP_DRIVER_COUNT largest positive contributions
    # The criterion with the largest weighted shortfall w·(best v − v) against the best
    # ranked option on that criterion; None when the option is best on every criterion.
    main_trade_off: str | None
    trade_off_best_option: str | None  # the best ranked option on main_trade_off


@dataclass(frozen=True)
class OptionResult:
    option_id: str
    is_status_quo: bool
    rank: int  # 1 = best fit
    fit: float  # 0–100, full precision
    # Per criterion, most important first:
    contributions: Mapping[str, float]  # 100·w·v; they add up to fit
    partial_values: Mapping[str, float]  # v, 0–1 on the local scale
    values: Mapping[str, Decimal | None]  # raw values after adjustments; None = missing
    missing: tuple[str, ...]  # criteria without a value (scored 0)
    status: str
    certainty: str
    routes: tuple[str, ...]
    serious_harm_per_1000: Decimal | None  # after adjustments; None = unknown
    conflicts: tuple[Conflict, ...]
    cautions: tuple[Reason, ...]
    adjustments: tuple[Adjustment, ...]
    explanation: Explanation
    profile_version: int
    # Group.WITHIN_LIMITS or Group.LIMIT_OR_RESTRICTED, and why: the limits broken
    # (conflicts at level "conflict") and the restrictions (rules with effect
    # "restricted" and the built-in codes).
    group: int = Group.WITHIN_LIMITS
    restrictions: tuple[Reason, ...] = ()

    @property
    def limits_broken(self) -> tuple[Conflict, ...]:
        return tuple(c for c in self.conflicts if c.level == ConflictLevel.CONFLICT)

    @property
    def fit_display(self) -> int:
        return int(display_round(self.fit))


@dataclass(frozen=True)
class Exclusion:
    """An option that is not suitable now, with every reason (at least one)."""

    option_id: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RiskLimit:
    """The maximum acceptable serious-harm risk as the engine applied it."""

    code: str | None  # MaxRisk code; None = not asked
    gated: bool  # whether options were checked against a limit
    relative_to_status_quo: bool  # MaxRisk.NONE: the limit is the status quo's risk
    per_1000: Decimal | None  # the limit; None when not gated or the status quo's risk is unknown


@dataclass(frozen=True)
class WeighingResult:
    disease: str
    engine_version: str
    weight_method: str  # WeightMethod
    priority: tuple[str, ...]  # criterion keys, most important first
    weights: Mapping[str, float]  # in priority order; non-negative, sum to 1
    ranked: tuple[OptionResult, ...]  # suitable options, best fit first
    not_suitable: tuple[Exclusion, ...]  # by option id
    sensitivity: Sensitivity
    risk_limit: RiskLimit
    profile_versions: Mapping[str, int]  # every input option, by option id


# --- public helpers -----------------------------------------------------------------------


@cache
def rank_order_centroid(n: int) -> tuple[float, ...]:
    """Rank-order-centroid weights for ``n`` ranked criteria: w_k = (1/n)·Σ_{i=k..n} 1/i.

    Computed exactly and rounded once (cached: there are only a handful of sizes).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    weights: list[Fraction] = []
    tail = Fraction(0)
    for i in range(n, 0, -1):
        tail += Fraction(1, i)
        weights.append(tail / n)
    return tuple(float(weight) for weight in reversed(weights))


def criteria_priority(*, criteria: Sequence[Criterion], ranking: Sequence[str]) -> tuple[str, ...]:
    """Criterion keys, most important first: the ranked ones, then the rest in input order."""
    known = [criterion.key for criterion in criteria]
    ranked = [key for key in dict.fromkeys(ranking) if key in known]
    return (*ranked, *(key for key in known if key not in ranked))


def criterion_weights(
    *, priority: Sequence[str], swing: Mapping[str, Decimal]
) -> tuple[dict[str, float], str]:
    """(weights in priority order, WeightMethod).

    Without swing ratings: rank-order centroid. With them: w_k = s_k / Σ s, where an
    unrated criterion keeps the swing its rank implies (100 for the first, otherwise
    100 · roc_k / roc_1). Swing ratings are used as given even when they disagree with
    the ranking. All ratings zero falls back to rank-order centroid.
    """
    roc = rank_order_centroid(len(priority))
    rank_weights = dict(zip(priority, roc, strict=True))
    if not any(key in swing for key in priority):
        return rank_weights, WeightMethod.RANK_ORDER_CENTROID
    points = []
    for position, key in enumerate(priority):
        if key in swing:
            points.append(float(_as_decimal(swing[key], what=f"swing rating of {key!r}")))
        else:
            points.append(100.0 * roc[position] / roc[0])
    total = sum(points)
    if total <= 0:
        return rank_weights, WeightMethod.RANK_ORDER_CENTROID
    return dict(zip(priority, (p / total for p in points), strict=True)), WeightMethod.SWING


def local_partial_values(
    *,
    criteria: Sequence[Criterion],
    values_by_option: Mapping[str, Mapping[str, Decimal | None]],
) -> dict[str, dict[str, float]]:
    """Partial values 0–1 per option and criterion, on the scale of the options given.

    v = (x − worst)/(best − worst); all equal → 1.0; missing (None) → 0.0. On a
    ``Scale.LOG`` criterion x is log10(max(raw, Scale.LOG_FLOOR)) instead of the raw value.
    """
    partials: dict[str, dict[str, float]] = {option: {} for option in values_by_option}
    for criterion in criteria:
        key = criterion.key
        scaled = {
            option: None if values[key] is None else _scaled(values[key], criterion.scale)
            for option, values in values_by_option.items()
        }
        known = [number for number in scaled.values() if number is not None]
        low, high = (min(known), max(known)) if known else (0.0, 0.0)
        span = high - low
        for option, number in scaled.items():
            if number is None:
                partial = 0.0
            elif span == 0:
                partial = 1.0
            elif criterion.better == Better.HIGHER:
                partial = (number - low) / span
            else:
                partial = (high - number) / span
            partials[option][key] = partial
    return partials


def _scaled(raw: Decimal, scale: str) -> float:
    if scale == Scale.LOG:
        return float(max(Decimal(raw), Scale.LOG_FLOOR).log10())
    return float(raw)


def fit_contributions(
    partials: Mapping[str, float], weights: Mapping[str, float]
) -> dict[str, float]:
    """100·w·v per criterion, in the order of ``weights``."""
    return {key: 100.0 * weight * partials[key] for key, weight in weights.items()}


def fit_from(contributions: Mapping[str, float]) -> float:
    """The fit: the sum of the contributions, kept inside 0–100 against float round-off."""
    return min(100.0, max(0.0, sum(contributions.values())))


def display_round(value: float | Decimal, places: int = 0) -> Decimal:
    """Round half up for display (2.5 → 3), from the shortest decimal form of a float."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


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
    risk_limit = _risk_limit(
        preferences.mar_serious_harm, status_quo_risk=assessments[status_quo.option_id].serious_harm
    )
    conflicts = {
        option_id: _conflicts(
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
    fired = tuple(
        rule
        for rule in sorted(given.rules, key=lambda rule: rule.rule_id)
        if evaluate(rule.condition, given.answers)
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


def _risk_limit(code: str | None, *, status_quo_risk: Decimal | None) -> RiskLimit:
    if code is None or code == MaxRisk.NOT_SURE:
        return RiskLimit(code, gated=False, relative_to_status_quo=False, per_1000=None)
    if code == MaxRisk.NONE:
        return RiskLimit(code, gated=True, relative_to_status_quo=True, per_1000=status_quo_risk)
    return RiskLimit(
        code, gated=True, relative_to_status_quo=False, per_1000=MaxRisk.PER_1000[code]
    )


def _conflicts(
    option: OptionProfile,
    *,
    risk: Decimal | None,
    preferences: Preferences,
    risk_limit: RiskLimit,
) -> tuple[Conflict, ...]:
    conflicts = list(_risk_conflicts(option, risk=risk, risk_limit=risk_limit))
    openness = preferences.experimental_openness
    if option.status == Status.EXPERIMENTAL and openness in (Openness.NO, Openness.MAYBE):
        level = ConflictLevel.CONFLICT if openness == Openness.NO else ConflictLevel.DISCUSS
        conflicts.append(
            Conflict(ConflictKind.EXPERIMENTAL_NOT_WANTED, level, {"openness": openness})
        )
    if preferences.avoid_injections:
        conflicts.extend(_injection_conflicts(option))
    accepted = preferences.routes_accepted
    if accepted:
        refused = tuple(route for route in option.routes if route not in accepted)
        if refused:
            acceptable = tuple(route for route in option.routes if route in accepted)
            # Refusing one of several routes (methotrexate: oral or injected) leaves a way.
            level = ConflictLevel.DISCUSS if acceptable else ConflictLevel.CONFLICT
            conflicts.append(
                Conflict(
                    ConflictKind.ROUTE_REFUSED,
                    level,
                    {"refused": refused, "acceptable": acceptable},
                )
            )
    return tuple(conflicts)


NEEDLE_ROUTES = (Route.SUBCUTANEOUS, Route.INTRAVENOUS)


def _injection_conflicts(option: OptionProfile) -> tuple[Conflict, ...]:
    """ "I would rather avoid injections": an option given by needle breaks it; one that
    can also be taken another way (methotrexate tablets) is to discuss."""
    needles = tuple(route for route in option.routes if route in NEEDLE_ROUTES)
    if not needles:
        return ()
    others = tuple(route for route in option.routes if route not in NEEDLE_ROUTES)
    by_needle = option.administration in Administration.NEEDLES or not others
    level = ConflictLevel.CONFLICT if by_needle else ConflictLevel.DISCUSS
    return (
        Conflict(
            ConflictKind.INJECTIONS_NOT_WANTED,
            level,
            {"routes": needles, "administration": option.administration},
        ),
    )


def _risk_conflicts(
    option: OptionProfile, *, risk: Decimal | None, risk_limit: RiskLimit
) -> tuple[Conflict, ...]:
    if not risk_limit.gated:
        return ()
    if risk_limit.relative_to_status_quo and option.is_status_quo:
        return ()  # "no extra risk" is measured against the status quo itself
    detail = {"limit": risk_limit.code, "limit_per_1000": risk_limit.per_1000}
    if risk is None:
        unknown = {**detail, "unknown": "option"}
        return (Conflict(ConflictKind.RISK_UNKNOWN, ConflictLevel.DISCUSS, unknown),)
    if risk_limit.per_1000 is None:
        # "No extra risk", but the status quo's risk is unknown: only a zero risk is surely
        # within it.
        if risk <= 0:
            return ()
        unknown = {**detail, "unknown": "status_quo", "risk_per_1000": risk}
        return (Conflict(ConflictKind.RISK_UNKNOWN, ConflictLevel.DISCUSS, unknown),)
    if risk > risk_limit.per_1000:
        above = {**detail, "risk_per_1000": risk}
        return (Conflict(ConflictKind.ABOVE_RISK_LIMIT, ConflictLevel.CONFLICT, above),)
    return ()


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

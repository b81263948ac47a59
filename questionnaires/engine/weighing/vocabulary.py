"""The codes the weighing speaks: criteria, routes, statuses, groups, reasons.

Stored profiles, rules and results carry these strings; add codes, never rename them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

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

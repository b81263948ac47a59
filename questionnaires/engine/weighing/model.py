"""What the weighing takes (options, rules, history, preferences) and what it gives back.

Frozen dataclasses, checked when they are built, so a bad profile fails where it is made and
not in the middle of a weighing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from ..conditions import CompiledCondition, compile_condition
from ..definition import Condition, Text
from ..sensitivity import Sensitivity
from .vocabulary import (
    SWING_MAX,
    Administration,
    Better,
    Certainty,
    ConflictLevel,
    CriterionKey,
    Effect,
    Group,
    MaxRisk,
    Openness,
    Outcome,
    Role,
    Route,
    Scale,
    Status,
)

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


def display_round(value: float | Decimal, places: int = 0) -> Decimal:
    """Round half up for display (2.5 → 3), from the shortest decimal form of a float."""
    number = value if isinstance(value, Decimal) else Decimal(repr(value))
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


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

    @cached_property
    def condition_test(self) -> CompiledCondition:
        """``evaluate(self.condition, answers)`` as a function of the answers, compiled on
        first use and kept with the rule. The adapter builds the rules once per profile
        revision and process, so every patient's weighing reuses it; ``condition`` is not to
        be changed after that (the rule is frozen, its condition plain data)."""
        return compile_condition(self.condition)

    def __getstate__(self) -> dict[str, Any]:
        # A compiled condition is a closure, which pickle and copy cannot take: drop it, and
        # the copy compiles its own on first use.
        state = dict(self.__dict__)
        state.pop("condition_test", None)
        return state


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

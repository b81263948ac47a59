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

The package by job: ``vocabulary`` (the codes), ``model`` (what goes in and comes out),
``values`` (weights, partial values, fit), ``weigh`` (suitability, conflicts, groups, order,
explanation). Callers import from the package: these names are the engine's interface.
"""

from __future__ import annotations

from .limits import NEEDLE_ROUTES
from .model import (
    DEFAULT_CRITERIA,
    LOG_SCALE_CRITERIA,
    Adjustment,
    Conflict,
    Criterion,
    Exclusion,
    Explanation,
    OptionProfile,
    OptionResult,
    Preferences,
    PriorTreatment,
    Reason,
    RiskLimit,
    Rule,
    WeighingInput,
    WeighingResult,
    display_round,
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
    SWING_MAX,
    TOP_DRIVER_COUNT,
    Administration,
    Better,
    Certainty,
    ConflictKind,
    ConflictLevel,
    CriterionKey,
    Effect,
    Group,
    MaxRisk,
    Openness,
    Outcome,
    ReasonCode,
    Role,
    Route,
    Scale,
    Status,
    WeightMethod,
)
from .weigh import (
    weigh,
)

__all__ = [
    "Adjustment",
    "Administration",
    "Better",
    "Certainty",
    "Conflict",
    "ConflictKind",
    "ConflictLevel",
    "Criterion",
    "CriterionKey",
    "DEFAULT_CRITERIA",
    "Effect",
    "Exclusion",
    "Explanation",
    "Group",
    "LOG_SCALE_CRITERIA",
    "MaxRisk",
    "NEEDLE_ROUTES",
    "Openness",
    "OptionProfile",
    "OptionResult",
    "Outcome",
    "Preferences",
    "PriorTreatment",
    "Reason",
    "ReasonCode",
    "RiskLimit",
    "Role",
    "Route",
    "Rule",
    "SAME_CLASS_EFFECTIVENESS_MULTIPLIER",
    "SWING_MAX",
    "Scale",
    "Status",
    "TOP_DRIVER_COUNT",
    "WeighingInput",
    "WeighingResult",
    "WeightMethod",
    "criteria_priority",
    "criterion_weights",
    "display_round",
    "fit_contributions",
    "fit_from",
    "local_partial_values",
    "rank_order_centroid",
    "weigh",
]

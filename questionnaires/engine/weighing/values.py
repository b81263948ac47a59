"""The value model's arithmetic: weights from the patient's ranking or ratings, partial
values on a local 0–1 scale, contributions and fit, and rounding for display only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache

from .model import (
    Criterion,
    _as_decimal,
)
from .vocabulary import (
    Better,
    Scale,
    WeightMethod,
)

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

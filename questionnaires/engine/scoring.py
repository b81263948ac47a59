"""Scale scores with a missing-item rule and score bands.

Pass answers that ``visibility.prune_hidden`` has already cleaned: an answer to a
hidden item must not count. Everything is Decimal so that a score is the same on
every machine and survives a JSON round trip as text.

Missing items: a scale with ``max_missing`` = k is scored when at most k items are
missing and at least one is answered. A sum is then prorated to the full number
of items (sum × items / answered), the usual half-scale rule for questionnaires;
a mean is simply the mean of the answered items. Anything more missing is
"incomplete" and has no score, since a guess would read as a measurement.
Results that needed a division (prorated sums, means) are rounded half-up to two
decimal places; a complete sum is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .conditions import as_number
from .definition import BandDef, Kind, QuestionDef, ScaleDef, ScaleMethod, VersionDef

COMPLETE = "complete"
PRORATED = "prorated"
INCOMPLETE = "incomplete"

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ScaleResult:
    key: str
    score: Decimal | None  # None when incomplete
    status: str  # COMPLETE; PRORATED (scored despite missing items); INCOMPLETE
    answered: int
    missing: int
    band_index: int | None
    band: BandDef | None
    severity: str | None
    # The calculation trace: each item's value in scale order, None when missing.
    item_values: tuple[tuple[str, Decimal | None], ...] = ()


def score_scales(definition: VersionDef, answers: Mapping[str, Any]) -> tuple[ScaleResult, ...]:
    """One result per scale of ``definition``, in definition order."""
    questions = definition.question_map()
    return tuple(
        score_scale(scale, questions=questions, answers=answers) for scale in definition.scales
    )


def score_scale(
    scale: ScaleDef, *, questions: Mapping[str, QuestionDef], answers: Mapping[str, Any]
) -> ScaleResult:
    """One scale's result; ``questions`` maps every key of the version to its question."""
    item_values = tuple(
        (key, _item_value(questions.get(key), answers.get(key))) for key in scale.items
    )
    values = [value for _, value in item_values if value is not None]
    answered, missing = len(values), len(item_values) - len(values)
    score = None
    if answered and missing <= scale.max_missing:
        score = _combine(scale, values, total_items=len(item_values))
    status = INCOMPLETE if score is None else PRORATED if missing else COMPLETE
    band_index = None if score is None else find_band(scale, score=score)
    band = None if band_index is None else scale.bands[band_index]
    return ScaleResult(
        key=scale.key,
        score=score,
        status=status,
        answered=answered,
        missing=missing,
        band_index=band_index,
        band=band,
        severity=None if band is None else band.severity,
        item_values=item_values,
    )


def _item_value(question: QuestionDef | None, answer: Any) -> Decimal | None:
    """What one answer adds to a scale, or None when it cannot count (missing or unscorable).

    An answer of the wrong type counts as missing rather than raising: scoring runs
    on stored answers, and one bad value should cost one item, not the whole result.
    """
    if question is None:
        return None
    if question.kind in Kind.NUMERIC:
        return as_number(answer)
    if question.kind == Kind.YES_NO:
        return (Decimal(1) if answer else Decimal(0)) if isinstance(answer, bool) else None
    scores = {choice.value: choice.score for choice in question.choices}
    if question.kind == Kind.SINGLE_CHOICE:
        return scores.get(answer) if isinstance(answer, str) else None
    if question.kind == Kind.MULTIPLE_CHOICE:
        if not isinstance(answer, list | tuple) or not answer:
            return None
        chosen = [scores.get(value) if isinstance(value, str) else None for value in answer]
        if any(score is None for score in chosen):
            return None  # an unknown or unscored choice: the answer cannot be trusted
        # dict.fromkeys: a choice listed twice still counts once
        return sum((scores[value] for value in dict.fromkeys(answer)), Decimal(0))
    return None


def _combine(scale: ScaleDef, values: list[Decimal], *, total_items: int) -> Decimal | None:
    total = sum(values, Decimal(0))
    if scale.method == ScaleMethod.MEAN:
        return (total / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    if scale.method == ScaleMethod.SUM:
        if len(values) == total_items:
            return total
        # Multiply before dividing, so the only rounding is the final one.
        return (total * total_items / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return None  # unknown method: the linter reports it; no score rather than a wrong one


def find_band(scale: ScaleDef, *, score: Decimal) -> int | None:
    """Index of the band holding ``score``: [lower, upper), the last band also holds upper.

    A score outside [min_score, max_score] has no band.
    """
    if not scale.min_score <= score <= scale.max_score:
        return None
    last = len(scale.bands) - 1
    for index, band in enumerate(scale.bands):
        if band.lower <= score < band.upper or (index == last and score == band.upper):
            return index
    return None

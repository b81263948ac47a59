"""How fragile the first place of a weighing is (deterministic sensitivity analysis).

Deterministic one-way analysis is usually enough for a decision aid (Broekhuizen
2015, see ``docs/notes/sdm_anchors.md`` §3). Three checks:

- **Margin**: the leader's fit minus the runner-up's, in fit points.
- **Smallest weight change**: change one criterion's weight to ``w'`` and scale the
  other weights proportionally so they still sum to 1. Every option's fit is then a
  straight line in ``w'``, so the point where a rival draws level with the leader is
  exact: no search. The smallest such change over all criteria (and both directions),
  up to the full 0–1 range, is reported; any change beyond it puts the rival ahead.
  A rival that only draws level at weight exactly 0 or 1 never gets ahead, so it
  does not count. None when no single-criterion change does it.
- **Other weights**: the leader under equal weights, and under rank-order-centroid
  weights when the patient's swing ratings were used.

It is a "close call" when the margin is under ``CLOSE_MARGIN`` points, when the
leader changes under one of the other weights, or when a weight change of less than
``FRAGILE_WEIGHT_CHANGE`` changes it.

The weighing module hands over the partial values, the weights and a function that
ranks the options for any weights, so both use one ordering (with its tie-break).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

CLOSE_MARGIN = 10.0  # fit points
FRAGILE_WEIGHT_CHANGE = 0.10  # absolute change of one weight (weights sum to 1)

# Float round-off guard: a crossing this close to weight 0 or 1 is "at the end".
_EDGE = 1e-9


class CloseCallReason:
    SMALL_MARGIN = "small_margin"
    EQUAL_WEIGHTS_CHANGE_LEADER = "equal_weights_change_leader"
    RANK_WEIGHTS_CHANGE_LEADER = "rank_weights_change_leader"
    SMALL_WEIGHT_CHANGE = "small_weight_change"
    ALL = (
        SMALL_MARGIN,
        EQUAL_WEIGHTS_CHANGE_LEADER,
        RANK_WEIGHTS_CHANGE_LEADER,
        SMALL_WEIGHT_CHANGE,
    )


@dataclass(frozen=True)
class WeightChange:
    """The smallest change of one weight at which another option draws level with the leader."""

    criterion: str
    delta: float  # new weight minus current weight; negative means "matters less"
    new_weight: float  # the criterion's weight at the crossing (others re-normalised)
    new_leader: str  # the option that draws level there and leads beyond it


@dataclass(frozen=True)
class Sensitivity:
    """How robust the first place is. Every field is None/empty when nothing was ranked."""

    leader: str | None
    runner_up: str | None  # None when only one option was ranked
    margin: float | None  # leader's fit minus runner-up's, full precision
    smallest_change: WeightChange | None  # None: no single-criterion change moves the leader
    equal_weights_leader: str | None  # leader when every criterion weighs the same
    rank_weights_leader: str | None  # leader under ROC weights; None unless swing weights used
    close_call: bool
    reasons: tuple[str, ...]  # CloseCallReason codes, in the order of CloseCallReason.ALL


def analyse_sensitivity(
    *,
    ranked_ids: Sequence[str],
    fits: Mapping[str, float],
    partial_values: Mapping[str, Mapping[str, float]],
    weights: Mapping[str, float],
    leader_with: Callable[[Mapping[str, float]], str | None],
    rank_weights: Mapping[str, float] | None = None,
) -> Sensitivity:
    """The sensitivity of a weighing whose options are ``ranked_ids`` (best first).

    ``weights`` lists the criteria most important first (that order breaks ties between
    equally small changes). ``leader_with(weights)`` ranks the same options under other
    weights. ``rank_weights`` are the rank-order-centroid weights, given only when the
    weighing used swing weights instead.
    """
    if not ranked_ids:
        return Sensitivity(None, None, None, None, None, None, False, ())
    leader = ranked_ids[0]
    if len(ranked_ids) == 1:
        return Sensitivity(leader, None, None, None, leader, None, False, ())
    runner_up = ranked_ids[1]
    margin = fits[leader] - fits[runner_up]
    change = smallest_leader_change(
        leader=leader, rivals=ranked_ids[1:], partial_values=partial_values, weights=weights
    )
    equal = 1.0 / len(weights)
    equal_leader = leader_with(dict.fromkeys(weights, equal))
    rank_leader = leader_with(rank_weights) if rank_weights is not None else None

    reasons = []
    if margin < CLOSE_MARGIN:
        reasons.append(CloseCallReason.SMALL_MARGIN)
    if equal_leader != leader:
        reasons.append(CloseCallReason.EQUAL_WEIGHTS_CHANGE_LEADER)
    if rank_leader is not None and rank_leader != leader:
        reasons.append(CloseCallReason.RANK_WEIGHTS_CHANGE_LEADER)
    if change is not None and abs(change.delta) < FRAGILE_WEIGHT_CHANGE:
        reasons.append(CloseCallReason.SMALL_WEIGHT_CHANGE)
    return Sensitivity(
        leader=leader,
        runner_up=runner_up,
        margin=margin,
        smallest_change=change,
        equal_weights_leader=equal_leader,
        rank_weights_leader=rank_leader,
        close_call=bool(reasons),
        reasons=tuple(reasons),
    )


def smallest_leader_change(
    *,
    leader: str,
    rivals: Sequence[str],
    partial_values: Mapping[str, Mapping[str, float]],
    weights: Mapping[str, float],
) -> WeightChange | None:
    """The smallest single-weight change at which a rival draws level with ``leader``.

    With criterion k at weight w' and the others scaled by (1 − w')/(1 − w_k), option j
    scores  w'·a_j + (1 − w')·b_j  (divided by 100), where a_j is its partial value on k
    and b_j its fit under the other criteria alone (their weights re-normalised to 1).
    The leader minus the rival is  β + w'(α − β)  with α = a_L − a_j and β = b_L − b_j;
    it is zero at  w* = β / (β − α).  When every other weight is zero (w_k = 1) there is
    no proportion to keep, and the freed weight is shared equally among the others.
    """
    keys = tuple(weights)
    if len(keys) < 2:
        return None  # one criterion: its weight is always 1
    best: tuple[tuple[float, int, float, str], WeightChange] | None = None
    for position, key in enumerate(keys):
        current = weights[key]
        others = [other for other in keys if other != key]
        rest = 1.0 - current
        leader_a, leader_b = _line(partial_values[leader], key, others, weights, rest)
        for rival in rivals:
            rival_a, rival_b = _line(partial_values[rival], key, others, weights, rest)
            alpha, beta = leader_a - rival_a, leader_b - rival_b
            if alpha == beta:
                continue  # the gap does not depend on this weight
            crossing = beta / (beta - alpha)
            if not _EDGE < crossing < 1.0 - _EDGE:
                continue  # level only at an end of the range (or outside it): never ahead
            delta = crossing - current
            rank = (abs(delta), position, delta, rival)
            if best is None or rank < best[0]:
                best = (rank, WeightChange(key, delta, crossing, rival))
    return None if best is None else best[1]


def _line(
    values: Mapping[str, float],
    key: str,
    others: Sequence[str],
    weights: Mapping[str, float],
    rest: float,
) -> tuple[float, float]:
    """(a, b): the option's value on ``key`` and its fit on the other criteria alone (0–1)."""
    if rest > _EDGE:
        # Lists, not generators: the same sums in the same order, without a frame per item
        # (this runs for every criterion and rival).
        other_fit = sum([weights[other] * values[other] for other in others]) / rest
    else:
        other_fit = sum([values[other] for other in others]) / len(others)
    return values[key], other_fit

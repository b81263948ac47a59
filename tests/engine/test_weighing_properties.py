"""Property tests of the weighing engine (questionnaires/engine/weighing.py).

Raw values are small integers (0–10), so every true difference between two fits is
a rational number far larger than float round-off: a float comparison then gives the
exact answer, and the properties can be asserted without slack. Where fits are
recomputed here independently, a 1e-9 slack absorbs round-off only.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from questionnaires.engine.weighing import (
    DEFAULT_CRITERIA,
    Administration,
    Better,
    Certainty,
    ConflictLevel,
    Effect,
    Group,
    MaxRisk,
    OptionProfile,
    Outcome,
    Preferences,
    PriorTreatment,
    Route,
    Rule,
    Status,
    WeighingInput,
    weigh,
)

# The conftest's autouse ``settings`` fixture (language) does not affect the engine.
PROPERTY_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

SLUGS = ("adalimumab", "secukinumab", "guselkumab", "upadacitinib", "methotrexate", "nbuvb")
FAMILIES = ("monoclonal_antibody", "jak_inhibitor", "conventional_systemic", "phototherapy")
TARGETS = ("", "TNF", "IL-17", "IL-23", "JAK")
STATUS_QUO = "status_quo"

small_number = st.integers(min_value=0, max_value=10)


@st.composite
def option_profiles(draw, option_id: str, criteria_keys: tuple[str, ...], status_quo: bool):
    values = {}
    for key in criteria_keys:
        raw = draw(st.one_of(st.none(), small_number))
        if raw is not None:
            values[key] = Decimal(raw)
    risk = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60)))
    return OptionProfile(
        option_id,
        status=draw(st.sampled_from(Status.ALL)),
        certainty=draw(st.sampled_from(Certainty.ALL)),
        family=draw(st.sampled_from(FAMILIES)),
        target_class=draw(st.sampled_from(TARGETS)),
        routes=tuple(draw(st.lists(st.sampled_from(Route.ALL), unique=True, max_size=2))),
        values=values,
        serious_harm_per_1000=None if risk is None else Decimal(risk),
        is_status_quo=status_quo,
        administration=draw(st.sampled_from(("", *Administration.ALL))),
        role=draw(st.sampled_from(("", "", "", "bridge", "background"))),
    )


@st.composite
def rules(draw, labels: tuple[str, ...], criteria_keys: tuple[str, ...]):
    found = []
    for index in range(draw(st.integers(min_value=0, max_value=4))):
        effect = draw(st.sampled_from(Effect.ALL))
        adjust = {}
        if effect == Effect.ADJUST:
            adjust["criterion"] = draw(st.sampled_from(criteria_keys))
            if draw(st.booleans()):
                adjust["multiplier"] = Decimal(draw(st.sampled_from(("0.5", "2"))))
            else:
                adjust["delta"] = Decimal(draw(st.sampled_from((-1, 1))))
        found.append(
            Rule(
                f"rule-{index}",
                applies_to=tuple(
                    draw(st.lists(st.sampled_from(labels), unique=True, min_size=1, max_size=2))
                ),
                effect=effect,
                condition={"q": "flag", "op": "eq", "value": draw(st.booleans())},
                **adjust,
            )
        )
    return tuple(found)


@st.composite
def weighing_inputs(draw, *, swing: bool | None = None):
    """``swing``: None = either; False = ranking only; True = every criterion rated."""
    criteria = tuple(
        draw(
            st.lists(
                st.sampled_from(DEFAULT_CRITERIA), min_size=1, max_size=7, unique_by=lambda c: c.key
            )
        )
    )
    keys = tuple(criterion.key for criterion in criteria)
    new_ids = draw(st.lists(st.sampled_from(SLUGS), unique=True, min_size=1, max_size=6))
    options = (draw(option_profiles(STATUS_QUO, keys, status_quo=True)),) + tuple(
        draw(option_profiles(option_id, keys, status_quo=False)) for option_id in new_ids
    )
    ranking = tuple(draw(st.permutations(keys)))[: draw(st.integers(0, len(keys)))]
    use_swing = draw(st.booleans()) if swing is None else swing
    ratings = {}
    if use_swing:
        ratings = {key: draw(st.integers(min_value=0, max_value=100)) for key in keys}
        assume(sum(ratings.values()) > 0)
    preferences = Preferences(
        ranking=ranking,
        swing=ratings,
        mar_serious_harm=draw(st.one_of(st.none(), st.sampled_from(MaxRisk.ALL))),
        routes_accepted=tuple(draw(st.lists(st.sampled_from(Route.ALL), unique=True))),
        experimental_openness=draw(st.sampled_from((None, "yes", "maybe", "no"))),
        avoid_injections=draw(st.booleans()),
    )
    labels = (*new_ids, STATUS_QUO, *FAMILIES, *TARGETS[1:])
    history = tuple(
        PriorTreatment(
            draw(st.sampled_from((*SLUGS, "etanercept"))),
            draw(st.sampled_from(Outcome.ALL)),
            still_taking=draw(st.booleans()),
            target_class=draw(st.sampled_from(TARGETS)),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=3)))
    )
    return WeighingInput(
        "psoriasis",
        options,
        criteria=criteria,
        answers={"flag": draw(st.booleans())},
        rules=draw(rules(labels, keys)),
        prior_treatments=history,
        current_therapy=draw(st.one_of(st.none(), st.sampled_from(SLUGS))),
        preferences=preferences,
    )


def position(result, option_id: str) -> int:
    return [item.option_id for item in result.ranked].index(option_id)


@PROPERTY_SETTINGS
@given(weighing_inputs())
def test_weights_are_non_negative_and_sum_to_one(weighing_input):
    weights = weigh(weighing_input).weights
    assert all(weight >= 0 for weight in weights.values())
    assert abs(math.fsum(weights.values()) - 1.0) < 1e-12


@PROPERTY_SETTINGS
@given(weighing_inputs(swing=False))
def test_rank_weights_never_increase_down_the_ranking(weighing_input):
    result = weigh(weighing_input)
    weights = [result.weights[key] for key in result.priority]
    assert all(earlier >= later for earlier, later in zip(weights, weights[1:], strict=False))
    assert len(set(weights)) == len(weights)  # and strictly decrease: no two ranks share


@PROPERTY_SETTINGS
@given(weighing_inputs())
def test_fit_is_between_0_and_100_and_is_the_sum_of_contributions(weighing_input):
    for item in weigh(weighing_input).ranked:
        assert 0.0 <= item.fit <= 100.0
        assert abs(math.fsum(item.contributions.values()) - item.fit) < 1e-9
        assert all(0.0 <= value <= 1.0 for value in item.partial_values.values())


def _at_least_as_good(first, second, criteria) -> tuple[bool, bool]:
    """(first ≥ second on every criterion, first > second on at least one); missing = worst."""
    all_at_least, any_better = True, False
    for criterion in criteria:
        a, b = first.values[criterion.key], second.values[criterion.key]
        if a is None and b is None:
            continue
        if a is None:
            all_at_least = False
            continue
        if b is None:
            any_better = True
            continue
        if criterion.better == Better.LOWER:
            a, b = -a, -b
        if a < b:
            all_at_least = False
        elif a > b:
            any_better = True
    return all_at_least, any_better


@PROPERTY_SETTINGS
@given(weighing_inputs())
def test_an_option_as_good_on_every_criterion_never_ranks_below(weighing_input):
    result = weigh(weighing_input)
    for first in result.ranked:
        for second in result.ranked:
            if first is second:
                continue
            if first.group != second.group:
                continue  # groups order first: test_group_2_never_ranks_above_group_1
            dominates, strictly = _at_least_as_good(first, second, weighing_input.criteria)
            if not dominates:
                continue
            if strictly:
                assert first.rank < second.rank
            else:  # the same on every criterion: the same fit, then fewer flags, then id
                assert first.fit == second.fit
                flags_first, flags_second = _flags(first), _flags(second)
                if flags_first != flags_second:
                    assert (first.rank < second.rank) == (flags_first < flags_second)
                else:
                    assert (first.rank < second.rank) == (first.option_id < second.option_id)


def _flags(item) -> int:
    return len(item.cautions) + len(item.conflicts)


@PROPERTY_SETTINGS
@given(weighing_inputs())
def test_group_2_never_ranks_above_group_1(weighing_input):
    """Against a stated limit or guideline-restricted never above suitable-within-limits,
    whatever the fits; and the group says why."""
    result = weigh(weighing_input)
    groups = [item.group for item in result.ranked]
    assert groups == sorted(groups)
    for item in result.ranked:
        broken = [c for c in item.conflicts if c.level == ConflictLevel.CONFLICT]
        if item.group == Group.LIMIT_OR_RESTRICTED:
            assert broken or item.restrictions
        else:
            assert item.group == Group.WITHIN_LIMITS
            assert not broken and not item.restrictions


@PROPERTY_SETTINGS
@given(weighing_inputs(), st.data())
def test_a_clean_option_never_ranks_below_an_otherwise_equal_flagged_one(weighing_input, data):
    """Two options with the same values: the one with a caution, a restriction or a broken
    limit never ranks above the one with none."""
    base = data.draw(st.sampled_from(weighing_input.options[1:]))
    twin_id = "zz_twin"  # sorts after every slug: the id tie-break favours the original
    twin = OptionProfile(
        twin_id,
        status=base.status,
        certainty=base.certainty,
        family=base.family,
        target_class=base.target_class,
        routes=base.routes,
        values=base.values,
        serious_harm_per_1000=base.serious_harm_per_1000,
        administration=base.administration,
        role=base.role,
    )
    flag = data.draw(st.sampled_from((Effect.CAUTION, Effect.RESTRICTED)))
    flagged = Rule("zz-flag-twin", applies_to=(twin_id,), effect=flag)
    # "Otherwise equal": nothing that names the original by its id (rules, history).
    rules = tuple(rule for rule in weighing_input.rules if base.option_id not in rule.applies_to)
    history = tuple(p for p in weighing_input.prior_treatments if p.therapy != base.option_id)
    current = weighing_input.current_therapy
    clean_first = WeighingInput(
        weighing_input.disease,
        (*weighing_input.options, twin),
        criteria=weighing_input.criteria,
        answers=weighing_input.answers,
        rules=(*rules, flagged),
        prior_treatments=history,
        current_therapy=None if current == base.option_id else current,
        preferences=weighing_input.preferences,
    )
    result = weigh(clean_first)
    ids = [item.option_id for item in result.ranked]
    if base.option_id in ids and twin_id in ids:
        assert ids.index(base.option_id) < ids.index(twin_id)


@PROPERTY_SETTINGS
@given(weighing_inputs(swing=True), st.data())
def test_more_weight_on_a_criterion_where_a_beats_b_never_hurts_a(weighing_input, data):
    # With weights re-normalised, A's fit minus B's can shrink when A also leads on the
    # others (weights 0.5/0.5, A ahead by 0.1 and 0.9: raising the first to 0.8 takes the
    # gap from 50 to 26 points). What holds is the gap in swing points, which only grows,
    # so A never falls behind B.
    preferences = weighing_input.preferences
    key = data.draw(st.sampled_from(sorted(preferences.swing)))
    old_rating = int(preferences.swing[key])
    assume(old_rating < 100)
    new_rating = data.draw(st.integers(min_value=old_rating + 1, max_value=100))
    raised_swing = {**preferences.swing, key: new_rating}
    raised_input = WeighingInput(
        weighing_input.disease,
        weighing_input.options,
        criteria=weighing_input.criteria,
        answers=weighing_input.answers,
        rules=weighing_input.rules,
        prior_treatments=weighing_input.prior_treatments,
        current_therapy=weighing_input.current_therapy,
        preferences=Preferences(
            ranking=preferences.ranking,
            swing=raised_swing,
            mar_serious_harm=preferences.mar_serious_harm,
            routes_accepted=preferences.routes_accepted,
            experimental_openness=preferences.experimental_openness,
            avoid_injections=preferences.avoid_injections,
        ),
    )
    before, after = weigh(weighing_input), weigh(raised_input)
    before_total = sum(int(v) for v in preferences.swing.values())
    after_total = before_total - old_rating + new_rating
    before_items = {item.option_id: item for item in before.ranked}
    after_items = {item.option_id: item for item in after.ranked}
    assert before_items.keys() == after_items.keys()
    for a in before.ranked:
        for b in before.ranked:
            if a.partial_values[key] <= b.partial_values[key]:
                continue
            gap_before = (a.fit - b.fit) * before_total
            gap_after = (after_items[a.option_id].fit - after_items[b.option_id].fit) * after_total
            assert gap_after >= gap_before - 1e-9
            if a.rank < b.rank:
                assert position(after, a.option_id) < position(after, b.option_id)


@PROPERTY_SETTINGS
@given(weighing_inputs(), st.data())
def test_the_order_of_the_input_does_not_matter(weighing_input, data):
    shuffled = WeighingInput(
        weighing_input.disease,
        tuple(data.draw(st.permutations(weighing_input.options))),
        criteria=weighing_input.criteria,
        answers=weighing_input.answers,
        rules=tuple(data.draw(st.permutations(weighing_input.rules))),
        prior_treatments=tuple(data.draw(st.permutations(weighing_input.prior_treatments))),
        current_therapy=weighing_input.current_therapy,
        preferences=weighing_input.preferences,
    )
    # repr also compares the order inside every mapping and tuple.
    assert repr(weigh(shuffled)) == repr(weigh(weighing_input))


@PROPERTY_SETTINGS
@given(weighing_inputs())
def test_not_suitable_options_are_never_ranked_and_always_have_a_reason(weighing_input):
    result = weigh(weighing_input)
    ranked = [item.option_id for item in result.ranked]
    excluded = [exclusion.option_id for exclusion in result.not_suitable]
    assert set(ranked).isdisjoint(excluded)
    assert sorted(ranked + excluded) == sorted(o.option_id for o in weighing_input.options)
    assert all(exclusion.reasons for exclusion in result.not_suitable)


def _fits_with(result, weights):
    return {
        item.option_id: sum(100.0 * weights[key] * item.partial_values[key] for key in weights)
        for item in result.ranked
    }


def _moved(weights, key, new_weight):
    """One weight set to ``new_weight``, the others scaled to keep the sum at 1."""
    rest = 1.0 - weights[key]
    others = [other for other in weights if other != key]
    moved = {}
    for other in weights:
        if other == key:
            moved[other] = new_weight
        elif rest > 1e-9:
            moved[other] = weights[other] * (1.0 - new_weight) / rest
        else:
            moved[other] = (1.0 - new_weight) / len(others)
    return moved


@PROPERTY_SETTINGS
@given(weighing_inputs())
def test_the_smallest_weight_change_is_smallest_and_does_change_the_leader(weighing_input):
    result = weigh(weighing_input)
    sensitivity = result.sensitivity
    assume(len(result.ranked) >= 2)
    leader = sensitivity.leader
    change = sensitivity.smallest_change
    limit = abs(change.delta) if change is not None else 1.0
    # Rivals are the options of the leader's group: weights never move an option across.
    group = result.ranked[0].group
    rivals = {item.option_id for item in result.ranked if item.group == group}
    # No smaller change of any one weight lets another option overtake the leader.
    for key, weight in result.weights.items():
        for fraction in (0.25, 0.5, 0.9):
            for sign in (-1.0, 1.0):
                new_weight = weight + sign * fraction * limit
                if not 0.0 <= new_weight <= 1.0:
                    continue
                fits = _fits_with(result, _moved(result.weights, key, new_weight))
                assert all(fits[leader] >= fits[rival] - 1e-9 for rival in rivals)
    if change is None:
        return
    # Just past the reported change, the reported rival is ahead of the leader.
    assume(abs(change.delta) > 1e-6)
    step = 1e-7 if change.delta > 0 else -1e-7
    past = change.new_weight + step
    assume(0.0 < past < 1.0)
    fits = _fits_with(result, _moved(result.weights, change.criterion, past))
    assert fits[change.new_leader] > fits[leader]

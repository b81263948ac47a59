"""Hand-computed checks of the weighing engine (questionnaires/engine/weighing.py)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from questionnaires.engine import ENGINE_VERSION
from questionnaires.engine.sensitivity import CloseCallReason
from questionnaires.engine.weighing import (
    DEFAULT_CRITERIA,
    SAME_CLASS_EFFECTIVENESS_MULTIPLIER,
    Administration,
    Better,
    Certainty,
    ConflictKind,
    ConflictLevel,
    Criterion,
    Effect,
    Group,
    MaxRisk,
    OptionProfile,
    Outcome,
    Preferences,
    PriorTreatment,
    ReasonCode,
    Route,
    Rule,
    Scale,
    Status,
    WeighingInput,
    WeightMethod,
    criteria_priority,
    criterion_weights,
    display_round,
    rank_order_centroid,
    weigh,
)

EFF = Criterion("effectiveness", Better.HIGHER)
HARM = Criterion("serious_harm", Better.LOWER)
CONV = Criterion("convenience", Better.LOWER)
THREE = (EFF, HARM, CONV)


def option(
    option_id: str,
    *,
    status_quo: bool = False,
    status: str = Status.APPROVED,
    certainty: str = Certainty.HIGH,
    harm: int | str | None = None,
    routes: tuple[str, ...] = (),
    family: str = "",
    target_class: str = "",
    version: int = 1,
    **values: int | str,
) -> OptionProfile:
    return OptionProfile(
        option_id,
        status=status,
        certainty=certainty,
        family=family,
        target_class=target_class,
        routes=routes,
        values={key: Decimal(value) for key, value in values.items()},
        serious_harm_per_1000=None if harm is None else Decimal(harm),
        is_status_quo=status_quo,
        version=version,
    )


def weigh_options(*options: OptionProfile, criteria=THREE, **kwargs):
    preferences = kwargs.pop("preferences", Preferences(ranking=tuple(c.key for c in criteria)))
    return weigh(
        WeighingInput(
            "psoriasis", tuple(options), criteria=criteria, preferences=preferences, **kwargs
        )
    )


def by_id(result):
    return {item.option_id: item for item in result.ranked}


def excluded(result):
    return {exclusion.option_id: exclusion.reasons for exclusion in result.not_suitable}


# The worked example, by hand:
#   status_quo: effectiveness 40, serious harm 1, convenience burden 1
#   drug_a:     effectiveness 80, serious harm 5, convenience burden 2
#   drug_b:     effectiveness 60, serious harm 2, convenience burden 0
# Ranking effectiveness > serious_harm > convenience, ROC n=3: 11/18, 5/18, 2/18.
# Partial values: effectiveness (x−40)/40 → 0, 1, 0.5; harm (5−x)/4 → 1, 0, 0.75;
# convenience (2−x)/2 → 0.5, 0, 1.
# Fits: status_quo 100·(5/18 + 1/18) = 33.33; drug_a 100·11/18 = 61.11;
#       drug_b 100·(5.5/18 + 3.75/18 + 2/18) = 100·11.25/18 = 62.5.
WORKED = (
    option("status_quo", status_quo=True, effectiveness=40, serious_harm=1, convenience=1),
    option("drug_a", effectiveness=80, serious_harm=5, convenience=2),
    option("drug_b", effectiveness=60, serious_harm=2, convenience=0),
)


# --- weights ------------------------------------------------------------------------------


def test_rank_order_centroid_for_four_criteria_matches_the_published_values():
    weights = rank_order_centroid(4)
    assert [round(w, 4) for w in weights] == [0.5208, 0.2708, 0.1458, 0.0625]
    # Exactly: (1/4)(1 + 1/2 + 1/3 + 1/4) = 25/48, then 13/48, 7/48, 3/48.
    assert weights == tuple(float(Fraction(k, 48)) for k in (25, 13, 7, 3))


def test_rank_order_centroid_small_sizes():
    assert rank_order_centroid(0) == ()
    assert rank_order_centroid(1) == (1.0,)
    assert rank_order_centroid(3) == tuple(float(Fraction(k, 18)) for k in (11, 5, 2))
    with pytest.raises(ValueError):
        rank_order_centroid(-1)


def test_priority_puts_unranked_criteria_last_in_input_order_and_ignores_junk():
    priority = criteria_priority(
        criteria=DEFAULT_CRITERIA, ranking=("monitoring", "bogus", "speed", "monitoring")
    )
    assert priority == (
        "monitoring",
        "speed",
        "effectiveness",
        "serious_harm",
        "side_effects",
        "convenience",
        "certainty",
    )


def test_swing_weights_are_ratings_over_their_sum():
    weights, method = criterion_weights(
        priority=("a", "b", "c"), swing={"a": Decimal(100), "b": Decimal(50), "c": Decimal(50)}
    )
    assert method == WeightMethod.SWING
    assert weights == {"a": 0.5, "b": 0.25, "c": 0.25}


def test_unrated_criteria_keep_the_swing_their_rank_implies():
    # a is first → 100; c is unrated at rank 3 → 100·(2/18)/(11/18) = 200/11.
    # Sum = 100 + 50 + 200/11 = 1850/11.
    weights, method = criterion_weights(priority=("a", "b", "c"), swing={"b": Decimal(50)})
    assert method == WeightMethod.SWING
    assert weights["a"] == pytest.approx(1100 / 1850, abs=1e-12)
    assert weights["b"] == pytest.approx(550 / 1850, abs=1e-12)
    assert weights["c"] == pytest.approx(200 / 1850, abs=1e-12)


def test_all_zero_swing_falls_back_to_rank_order_centroid():
    weights, method = criterion_weights(priority=("a", "b"), swing={"a": 0, "b": 0})
    assert method == WeightMethod.RANK_ORDER_CENTROID
    assert weights == {"a": 0.75, "b": 0.25}


def test_swing_outside_0_to_100_is_refused():
    with pytest.raises(ValueError, match="0–100"):
        Preferences(swing={"effectiveness": 120})


# --- the worked example -------------------------------------------------------------------


def test_worked_example_fits_order_and_contributions():
    result = weigh_options(*WORKED)
    assert [item.option_id for item in result.ranked] == ["drug_b", "drug_a", "status_quo"]
    fits = {item.option_id: item.fit for item in result.ranked}
    assert fits["drug_b"] == pytest.approx(62.5, abs=1e-9)
    assert fits["drug_a"] == pytest.approx(1100 / 18, abs=1e-9)
    assert fits["status_quo"] == pytest.approx(600 / 18, abs=1e-9)
    drug_b = by_id(result)["drug_b"]
    assert drug_b.partial_values == {"effectiveness": 0.5, "serious_harm": 0.75, "convenience": 1.0}
    assert drug_b.contributions["effectiveness"] == pytest.approx(550 / 18, abs=1e-9)
    assert drug_b.contributions["serious_harm"] == pytest.approx(375 / 18, abs=1e-9)
    assert drug_b.contributions["convenience"] == pytest.approx(200 / 18, abs=1e-9)
    assert [item.rank for item in result.ranked] == [1, 2, 3]
    assert drug_b.fit_display == 63  # 62.5 rounds half up


def test_worked_example_explanation():
    result = by_id(weigh_options(*WORKED))
    # drug_b: contributions 30.6 (effectiveness) > 20.8 (harm) > 11.1 (convenience).
    # Shortfalls w·(1 − v): effectiveness 11/18·0.5 = 0.31, harm 5/18·0.25 = 0.07, convenience 0.
    assert result["drug_b"].explanation.top_drivers == ("effectiveness", "serious_harm")
    assert result["drug_b"].explanation.main_trade_off == "effectiveness"
    assert result["drug_b"].explanation.trade_off_best_option == "drug_a"
    # drug_a: only effectiveness contributes; its largest shortfall is harm (5/18 vs 2/18).
    assert result["drug_a"].explanation.top_drivers == ("effectiveness",)
    assert result["drug_a"].explanation.main_trade_off == "serious_harm"
    assert result["drug_a"].explanation.trade_off_best_option == "status_quo"


def test_worked_example_sensitivity():
    sensitivity = weigh_options(*WORKED).sensitivity
    assert (sensitivity.leader, sensitivity.runner_up) == ("drug_b", "drug_a")
    assert sensitivity.margin == pytest.approx(62.5 - 1100 / 18, abs=1e-9)
    # Effectiveness at w': drug_b = w'·0.5 + (1 − w')·(5/18·0.75 + 2/18)/(7/18)
    #                            = w'/2 + (1 − w')·23/28; drug_a = w'. Level at w' = 23/37,
    # a change of 23/37 − 11/18 = 7/666. (Harm needs −0.0136, convenience −0.0125.)
    change = sensitivity.smallest_change
    assert change is not None
    assert change.criterion == "effectiveness"
    assert change.delta == pytest.approx(7 / 666, abs=1e-12)
    assert change.new_weight == pytest.approx(23 / 37, abs=1e-12)
    assert change.new_leader == "drug_a"
    # Equal weights: status_quo 50, drug_a 33.3, drug_b 75.
    assert sensitivity.equal_weights_leader == "drug_b"
    assert sensitivity.rank_weights_leader is None
    assert sensitivity.close_call
    assert sensitivity.reasons == (
        CloseCallReason.SMALL_MARGIN,
        CloseCallReason.SMALL_WEIGHT_CHANGE,
    )


@pytest.mark.parametrize(("effectiveness_weight", "leader"), [(0.61, "drug_b"), (0.63, "drug_a")])
def test_the_reported_weight_change_is_where_the_leader_flips(effectiveness_weight, leader):
    # Keep harm:convenience at 5:2, as the proportional re-normalisation does.
    rest = 1 - effectiveness_weight
    swing = {
        "effectiveness": 100 * effectiveness_weight,
        "serious_harm": 100 * rest * 5 / 7,
        "convenience": 100 * rest * 2 / 7,
    }
    preferences = Preferences(ranking=("effectiveness", "serious_harm", "convenience"), swing=swing)
    result = weigh_options(*WORKED, preferences=preferences)
    assert result.ranked[0].option_id == leader


# --- sensitivity --------------------------------------------------------------------------

# A is best on the top criterion only, B on the two others (partial values 1/0).
A_VS_B = (
    option("a", status_quo=True, effectiveness=1, serious_harm=1, convenience=1),
    option("b", effectiveness=0, serious_harm=0, convenience=0),
)


def test_leader_that_changes_under_equal_weights_is_a_close_call():
    sensitivity = weigh_options(*A_VS_B).sensitivity
    # ROC: a = 11/18 = 61.1, b = 7/18 = 38.9 (margin 22.2); equal weights: a 33.3, b 66.7.
    assert sensitivity.leader == "a"
    assert sensitivity.equal_weights_leader == "b"
    # Effectiveness: a = w', b = 1 − w' → level at 1/2, a change of 1/2 − 11/18 = −1/9
    # (harm would need +9/22 − 5/18 = 0.131, convenience +3/11 − 1/9 = 0.162).
    change = sensitivity.smallest_change
    assert change is not None
    assert (change.criterion, change.new_leader) == ("effectiveness", "b")
    assert change.delta == pytest.approx(-1 / 9, abs=1e-12)
    assert sensitivity.reasons == (CloseCallReason.EQUAL_WEIGHTS_CHANGE_LEADER,)
    assert sensitivity.close_call


def test_swing_weights_are_checked_against_rank_weights():
    preferences = Preferences(
        ranking=("effectiveness", "serious_harm", "convenience"),
        swing={"effectiveness": 10, "serious_harm": 100, "convenience": 100},
    )
    result = weigh_options(*A_VS_B, preferences=preferences)
    # Swing: a = 10/210 → 4.8, b = 200/210 → 95.2. ROC would put a first.
    assert result.weight_method == WeightMethod.SWING
    assert result.ranked[0].option_id == "b"
    assert result.sensitivity.rank_weights_leader == "a"
    assert CloseCallReason.RANK_WEIGHTS_CHANGE_LEADER in result.sensitivity.reasons


def test_a_leader_best_on_everything_cannot_be_moved_by_one_weight():
    result = weigh_options(
        option("sq", status_quo=True, effectiveness=0, serious_harm=9, convenience=3),
        option("drug", effectiveness=90, serious_harm=1, convenience=0),
    )
    sensitivity = result.sensitivity
    assert sensitivity.leader == "drug"
    assert sensitivity.margin == pytest.approx(100.0)
    assert sensitivity.smallest_change is None
    assert not sensitivity.close_call
    assert sensitivity.reasons == ()


def test_one_option_has_no_runner_up_and_no_close_call():
    result = weigh_options(option("sq", status_quo=True, effectiveness=1), criteria=(EFF,))
    assert result.ranked[0].fit == 100.0  # all equal → partial value 1
    assert result.sensitivity.leader == "sq"
    assert result.sensitivity.runner_up is None
    assert result.sensitivity.margin is None
    assert not result.sensitivity.close_call


# --- partial values -----------------------------------------------------------------------


def test_equal_values_score_1_and_missing_values_score_0():
    result = by_id(
        weigh_options(
            option("sq", status_quo=True, effectiveness=50, serious_harm=3),
            option("x", effectiveness=50, serious_harm=3, convenience=2),
        )
    )
    assert result["sq"].partial_values == {
        "effectiveness": 1.0,
        "serious_harm": 1.0,
        "convenience": 0.0,
    }
    assert result["sq"].missing == ("convenience",)
    assert result["x"].missing == ()
    # Only x has a convenience value, so it is the best (and the worst) known: 1.0.
    assert result["x"].partial_values["convenience"] == 1.0


def test_certainty_criterion_falls_back_to_the_certainty_code():
    certainty = Criterion("certainty", Better.HIGHER)
    result = by_id(
        weigh_options(
            option("sq", status_quo=True, certainty=Certainty.VERY_LOW),
            option("x", certainty=Certainty.MODERATE),
            option("y", certainty=Certainty.HIGH),
            criteria=(certainty,),
        )
    )
    # Scores 1, 3, 4 on a 1–4 span: 0, 2/3, 1.
    assert result["sq"].values["certainty"] == Decimal(1)
    assert result["x"].partial_values["certainty"] == pytest.approx(2 / 3)
    assert result["y"].partial_values["certainty"] == 1.0


def test_not_suitable_options_do_not_stretch_the_local_scale():
    rule = Rule("r1", applies_to=("far",), effect=Effect.NOT_SUITABLE)
    result = by_id(
        weigh_options(
            option("sq", status_quo=True, effectiveness=40),
            option("x", effectiveness=60),
            option("far", effectiveness=100),
            criteria=(EFF,),
            rules=(rule,),
        )
    )
    assert result["x"].partial_values["effectiveness"] == 1.0  # 60 is the best left


# --- ties ---------------------------------------------------------------------------------


def test_identical_options_are_ordered_by_id_whatever_the_input_order():
    options = [
        option("sq", status_quo=True, effectiveness=10, serious_harm=5, convenience=3),
        option("m", effectiveness=50, serious_harm=2, convenience=1),
        option("b", effectiveness=50, serious_harm=2, convenience=1),
        option("k", effectiveness=50, serious_harm=2, convenience=1),
    ]
    forward = [item.option_id for item in weigh_options(*options).ranked]
    backward = [item.option_id for item in weigh_options(*reversed(options)).ranked]
    assert forward == backward == ["b", "k", "m", "sq"]


def test_equal_fits_go_to_the_better_option_on_the_most_important_criterion():
    # Weights 3/4, 1/4. zeta: v = (1, 0) → 75; alpha: v = (0.75, 0.75) → 56.25 + 18.75 = 75.
    criteria = (EFF, CONV)
    result = weigh_options(
        option("sq", status_quo=True, effectiveness=0, convenience=0),
        option("zeta", effectiveness=100, convenience=4),
        option("alpha", effectiveness=75, convenience=1),
        criteria=criteria,
    )
    assert [item.fit for item in result.ranked[:2]] == [75.0, 75.0]
    assert [item.option_id for item in result.ranked] == ["zeta", "alpha", "sq"]


def test_on_equal_fits_a_known_worst_value_ranks_above_a_missing_one():
    # Found by the dominance property: "b" has the worst known effectiveness (partial 0),
    # "a" has none (also 0). Same fit; "b" is at least as good everywhere, so it goes first
    # even though "a" sorts first by id.
    result = weigh_options(
        option("sq", status_quo=True, effectiveness=5),
        option("a"),
        option("b", effectiveness=0),
        criteria=(EFF,),
    )
    assert [item.option_id for item in result.ranked] == ["sq", "b", "a"]
    assert result.ranked[1].fit == result.ranked[2].fit == 0.0


# --- treatment history (built-ins) --------------------------------------------------------


def test_a_therapy_that_failed_before_is_not_suitable_with_the_reason():
    history = (
        PriorTreatment("drug_a", Outcome.NOT_EFFECTIVE),
        PriorTreatment("drug_b", Outcome.SIDE_EFFECTS),
    )
    result = weigh_options(*WORKED, prior_treatments=history)
    reasons = excluded(result)
    assert [r.code for r in reasons["drug_a"]] == [ReasonCode.DID_NOT_WORK_BEFORE]
    assert [r.code for r in reasons["drug_b"]] == [ReasonCode.STOPPED_FOR_SIDE_EFFECTS]
    assert [item.option_id for item in result.ranked] == ["status_quo"]


@pytest.mark.parametrize(
    "outcome", [Outcome.WORKED, Outcome.PARTLY, Outcome.TOO_EARLY, Outcome.UNKNOWN]
)
def test_other_outcomes_keep_the_therapy(outcome):
    result = weigh_options(*WORKED, prior_treatments=(PriorTreatment("drug_a", outcome),))
    assert result.not_suitable == ()
    assert by_id(result)["drug_a"].adjustments == ()


def test_the_current_therapy_is_the_status_quo_not_a_new_option():
    via_field = weigh_options(*WORKED, current_therapy="drug_a")
    via_history = weigh_options(
        *WORKED, prior_treatments=(PriorTreatment("drug_a", Outcome.WORKED, still_taking=True),)
    )
    for result in (via_field, via_history):
        assert [r.code for r in excluded(result)["drug_a"]] == [ReasonCode.CURRENT_TREATMENT]
        assert "status_quo" in by_id(result)


def test_the_status_quo_is_never_excluded_by_the_history():
    options = (
        option("status_quo", status_quo=True, effectiveness=40, target_class="TNF"),
        option("adalimumab", effectiveness=60, target_class="TNF"),
    )
    history = (PriorTreatment("status_quo", Outcome.NOT_EFFECTIVE, still_taking=True),)
    result = weigh_options(*options, criteria=(EFF,), prior_treatments=history)
    assert by_id(result)["status_quo"].adjustments == ()
    assert "status_quo" not in excluded(result)


def test_failure_in_the_same_target_class_lowers_effectiveness():
    options = (
        option("status_quo", status_quo=True, effectiveness=20, target_class="TNF"),
        option("adalimumab", effectiveness=60, target_class="TNF"),
        option("etanercept", effectiveness=70, target_class="TNF"),
        option("secukinumab", effectiveness=70, target_class="IL-17"),
    )
    history = (PriorTreatment("adalimumab", Outcome.NOT_EFFECTIVE),)
    result = weigh_options(*options, criteria=(EFF,), prior_treatments=history)
    ranked = by_id(result)
    etanercept = ranked["etanercept"]
    assert etanercept.values["effectiveness"] == Decimal(70) * SAME_CLASS_EFFECTIVENESS_MULTIPLIER
    assert etanercept.values["effectiveness"] == Decimal("49.0")
    (adjustment,) = etanercept.adjustments
    assert adjustment.reason.code == ReasonCode.SAME_CLASS_DID_NOT_WORK
    assert adjustment.reason.detail == {"target_class": "TNF", "therapies": ("adalimumab",)}
    assert (adjustment.before, adjustment.after) == (Decimal(70), Decimal("49.0"))
    assert ranked["secukinumab"].adjustments == ()
    assert ranked["status_quo"].adjustments == ()
    # 70 → 49 drops etanercept below secukinumab (70).
    assert [item.option_id for item in result.ranked] == ["secukinumab", "etanercept", "status_quo"]


def test_class_of_a_prior_therapy_not_among_the_options_comes_from_the_history():
    options = (
        option("status_quo", status_quo=True, effectiveness=20),
        option("secukinumab", effectiveness=70, target_class="IL-17"),
    )
    history = (PriorTreatment("brodalumab", Outcome.NOT_EFFECTIVE, target_class="IL-17"),)
    result = weigh_options(*options, criteria=(EFF,), prior_treatments=history)
    assert by_id(result)["secukinumab"].values["effectiveness"] == Decimal("49.0")


def test_side_effects_in_the_class_do_not_lower_effectiveness():
    options = (
        option("status_quo", status_quo=True, effectiveness=20),
        option("adalimumab", effectiveness=60, target_class="TNF"),
        option("etanercept", effectiveness=70, target_class="TNF"),
    )
    history = (PriorTreatment("adalimumab", Outcome.SIDE_EFFECTS),)
    result = weigh_options(*options, criteria=(EFF,), prior_treatments=history)
    assert by_id(result)["etanercept"].adjustments == ()


# --- content rules ------------------------------------------------------------------------

PREGNANT = {"q": "pregnant", "op": "eq", "value": True}


def test_a_not_suitable_rule_fires_only_when_its_condition_holds():
    rule = Rule(
        "jak-pregnancy",
        applies_to=("jak_inhibitor",),
        effect=Effect.NOT_SUITABLE,
        condition=PREGNANT,
        clinician_message={"en": "Contraindicated in pregnancy."},
        patient_message={"en": "Not used in pregnancy."},
        evidence_ids=("ev-1",),
    )
    options = (
        option("sq", status_quo=True, effectiveness=10),
        option("upadacitinib", family="jak_inhibitor", effectiveness=80),
    )
    hit = weigh_options(*options, criteria=(EFF,), rules=(rule,), answers={"pregnant": True})
    (reason,) = excluded(hit)["upadacitinib"]
    assert (reason.code, reason.rule_id, reason.evidence_ids) == (
        ReasonCode.RULE,
        "jak-pregnancy",
        ("ev-1",),
    )
    assert reason.clinician_message == {"en": "Contraindicated in pregnancy."}
    assert "upadacitinib" not in by_id(hit)
    for answers in ({"pregnant": False}, {}):
        miss = weigh_options(*options, criteria=(EFF,), rules=(rule,), answers=answers)
        assert miss.not_suitable == ()


def test_a_caution_rule_keeps_the_option_and_lists_the_message():
    rule = Rule(
        "il17-ibd",
        applies_to=("IL-17",),
        effect=Effect.CAUTION,
        condition={"q": "ibd", "op": "eq", "value": True},
        patient_message={"en": "May make bowel disease worse."},
    )
    options = (
        option("sq", status_quo=True, effectiveness=10),
        option("secukinumab", target_class="IL-17", effectiveness=80),
        option("guselkumab", target_class="IL-23", effectiveness=70),
    )
    result = by_id(weigh_options(*options, criteria=(EFF,), rules=(rule,), answers={"ibd": True}))
    (caution,) = result["secukinumab"].cautions
    assert caution.rule_id == "il17-ibd"
    assert caution.patient_message == {"en": "May make bowel disease worse."}
    assert result["guselkumab"].cautions == ()


def test_adjust_rules_apply_in_rule_id_order_and_move_the_risk_checked_against_the_limit():
    rules = (
        Rule(
            "b-add",
            applies_to=("jak",),
            effect=Effect.ADJUST,
            criterion="serious_harm",
            delta=Decimal(1),
        ),
        Rule(
            "a-double",
            applies_to=("jak",),
            effect=Effect.ADJUST,
            criterion="serious_harm",
            multiplier=Decimal(2),
        ),
    )
    options = (
        option("sq", status_quo=True, effectiveness=10, serious_harm=0, harm=0),
        option("upa", family="jak", effectiveness=80, serious_harm=4, harm=4),
    )
    result = weigh_options(
        *options,
        rules=rules,
        preferences=Preferences(mar_serious_harm=MaxRisk.ONE_IN_100),
    )
    upa = by_id(result)["upa"]
    # a-double first: 4 × 2 = 8, then b-add: 8 + 1 = 9 (b-add first would give 10).
    assert [a.reason.rule_id for a in upa.adjustments] == ["a-double", "b-add"]
    assert upa.values["serious_harm"] == Decimal(9)
    assert upa.serious_harm_per_1000 == Decimal(9)
    assert upa.conflicts == ()  # 9 ≤ 10 per 1000


def test_an_adjustment_pushing_the_risk_over_the_limit_raises_a_conflict():
    rule = Rule(
        "age",
        applies_to=("jak",),
        effect=Effect.ADJUST,
        criterion="serious_harm",
        multiplier=Decimal(3),
        condition={"q": "age", "op": "gte", "value": 65},
    )
    options = (
        option("sq", status_quo=True, effectiveness=10, harm=0),
        option("upa", family="jak", effectiveness=80, harm=4),
    )
    preferences = Preferences(mar_serious_harm=MaxRisk.ONE_IN_100)
    result = weigh_options(
        *options, criteria=(EFF,), rules=(rule,), preferences=preferences, answers={"age": 70}
    )
    upa = by_id(result)["upa"]
    assert upa.serious_harm_per_1000 == Decimal(12)
    (adjustment,) = upa.adjustments
    assert adjustment.before is None  # serious_harm is not weighed here
    assert [c.kind for c in upa.conflicts] == [ConflictKind.ABOVE_RISK_LIMIT]


def test_rules_match_the_status_quo_through_the_current_therapy():
    rule = Rule(
        "mtx-pregnancy",
        applies_to=("methotrexate",),
        effect=Effect.NOT_SUITABLE,
        condition=PREGNANT,
    )
    options = (
        option("status_quo", status_quo=True, effectiveness=30),
        option("methotrexate", effectiveness=50),
        option("nbuvb", effectiveness=40),
    )
    result = weigh_options(
        *options,
        criteria=(EFF,),
        rules=(rule,),
        answers={"pregnant": True},
        current_therapy="methotrexate",
    )
    reasons = excluded(result)
    assert [r.code for r in reasons["status_quo"]] == [ReasonCode.RULE]
    assert [r.code for r in reasons["methotrexate"]] == [
        ReasonCode.CURRENT_TREATMENT,
        ReasonCode.RULE,
    ]
    assert [item.option_id for item in result.ranked] == ["nbuvb"]


def test_a_rule_naming_nothing_applies_to_nothing():
    rule = Rule("empty", applies_to=(), effect=Effect.NOT_SUITABLE)
    result = weigh_options(*WORKED, rules=(rule,))
    assert result.not_suitable == ()


def test_everything_excluded_leaves_an_empty_ranking():
    rule = Rule("all", applies_to=("status_quo", "drug_a", "drug_b"), effect=Effect.NOT_SUITABLE)
    result = weigh_options(*WORKED, rules=(rule,))
    assert result.ranked == ()
    assert [e.option_id for e in result.not_suitable] == ["drug_a", "drug_b", "status_quo"]
    assert result.sensitivity.leader is None
    assert not result.sensitivity.close_call


# --- conflicts ----------------------------------------------------------------------------


def conflicts_of(result, option_id):
    return [(c.kind, c.level) for c in by_id(result)[option_id].conflicts]


def test_risk_above_the_stated_limit_is_a_conflict_for_every_option():
    options = (
        option("sq", status_quo=True, effectiveness=10, harm=20),
        option("at", effectiveness=50, harm=10),
        option("above", effectiveness=60, harm=11),
    )
    result = weigh_options(
        *options, criteria=(EFF,), preferences=Preferences(mar_serious_harm=MaxRisk.ONE_IN_100)
    )
    above = [(ConflictKind.ABOVE_RISK_LIMIT, ConflictLevel.CONFLICT)]
    assert conflicts_of(result, "at") == []  # the limit itself is accepted
    assert conflicts_of(result, "above") == above
    assert conflicts_of(result, "sq") == above  # staying put can break the limit too
    assert by_id(result)["above"].conflicts[0].detail["limit_per_1000"] == Decimal(10)
    assert result.risk_limit.per_1000 == Decimal(10)


def test_no_extra_risk_means_no_riskier_than_the_status_quo():
    options = (
        option("sq", status_quo=True, effectiveness=10, harm=2),
        option("same", effectiveness=50, harm=2),
        option("more", effectiveness=60, harm=3),
    )
    result = weigh_options(
        *options, criteria=(EFF,), preferences=Preferences(mar_serious_harm=MaxRisk.NONE)
    )
    assert conflicts_of(result, "sq") == []
    assert conflicts_of(result, "same") == []
    assert conflicts_of(result, "more") == [(ConflictKind.ABOVE_RISK_LIMIT, ConflictLevel.CONFLICT)]
    assert result.risk_limit.relative_to_status_quo
    assert result.risk_limit.per_1000 == Decimal(2)


def test_no_extra_risk_with_an_unknown_status_quo_risk():
    options = (
        option("sq", status_quo=True, effectiveness=10),
        option("zero", effectiveness=50, harm=0),
        option("some", effectiveness=60, harm=1),
    )
    result = weigh_options(
        *options, criteria=(EFF,), preferences=Preferences(mar_serious_harm=MaxRisk.NONE)
    )
    assert conflicts_of(result, "zero") == []
    assert conflicts_of(result, "some") == [(ConflictKind.RISK_UNKNOWN, ConflictLevel.DISCUSS)]
    assert by_id(result)["some"].conflicts[0].detail["unknown"] == "status_quo"


def test_unknown_risk_is_flagged_never_taken_as_zero():
    options = (
        option("sq", status_quo=True, effectiveness=10, harm=0),
        option("unknown", effectiveness=50),
    )
    gated = weigh_options(
        *options, criteria=(EFF,), preferences=Preferences(mar_serious_harm=MaxRisk.ONE_IN_20)
    )
    assert conflicts_of(gated, "unknown") == [(ConflictKind.RISK_UNKNOWN, ConflictLevel.DISCUSS)]
    assert by_id(gated)["unknown"].serious_harm_per_1000 is None


@pytest.mark.parametrize("code", [MaxRisk.NOT_SURE, None])
def test_not_sure_or_not_asked_means_no_risk_gate(code):
    options = (
        option("sq", status_quo=True, effectiveness=10, harm=500),
        option("unknown", effectiveness=50),
    )
    result = weigh_options(
        *options, criteria=(EFF,), preferences=Preferences(mar_serious_harm=code)
    )
    assert all(item.conflicts == () for item in result.ranked)
    assert result.risk_limit.code == code
    assert not result.risk_limit.gated


@pytest.mark.parametrize(
    ("openness", "expected"),
    [
        ("no", [(ConflictKind.EXPERIMENTAL_NOT_WANTED, ConflictLevel.CONFLICT)]),
        ("maybe", [(ConflictKind.EXPERIMENTAL_NOT_WANTED, ConflictLevel.DISCUSS)]),
        ("yes", []),
        (None, []),
    ],
)
def test_experimental_options_against_the_patients_openness(openness, expected):
    options = (
        option("sq", status_quo=True, effectiveness=10),
        option("msc", status=Status.EXPERIMENTAL, effectiveness=50),
        option("rituximab", status=Status.OFF_LABEL, effectiveness=40),
    )
    preferences = Preferences(experimental_openness=openness)
    result = weigh_options(*options, criteria=(EFF,), preferences=preferences)
    assert conflicts_of(result, "msc") == expected
    assert conflicts_of(result, "rituximab") == []  # off-label is not experimental


def test_refused_routes():
    options = (
        option("sq", status_quo=True, effectiveness=10),
        option("infusion", routes=(Route.INTRAVENOUS,), effectiveness=50),
        option("mtx", routes=(Route.ORAL, Route.SUBCUTANEOUS), effectiveness=40),
        option("tablet", routes=(Route.ORAL,), effectiveness=30),
    )
    preferences = Preferences(routes_accepted=(Route.ORAL, Route.TOPICAL))
    result = weigh_options(*options, criteria=(EFF,), preferences=preferences)
    assert conflicts_of(result, "infusion") == [
        (ConflictKind.ROUTE_REFUSED, ConflictLevel.CONFLICT)
    ]
    assert conflicts_of(result, "mtx") == [(ConflictKind.ROUTE_REFUSED, ConflictLevel.DISCUSS)]
    assert by_id(result)["mtx"].conflicts[0].detail == {
        "refused": (Route.SUBCUTANEOUS,),
        "acceptable": (Route.ORAL,),
    }
    assert conflicts_of(result, "tablet") == []
    assert conflicts_of(result, "sq") == []  # no route: nothing to refuse
    unasked = weigh_options(*options, criteria=(EFF,))
    assert all(item.conflicts == () for item in unasked.ranked)


def test_conflicts_never_remove_or_rescore_an_option_but_move_it_to_group_2():
    # Issue 8: an option that breaks the patient's own stated limit no longer ranks first
    # with a conflict attached; it is still weighed with the same fit, in group 2.
    options = (
        option("sq", status_quo=True, effectiveness=10, harm=0),
        option(
            "x", status=Status.EXPERIMENTAL, routes=(Route.PROCEDURE,), harm=90, effectiveness=90
        ),
    )
    strict = Preferences(
        mar_serious_harm=MaxRisk.NONE, routes_accepted=(Route.ORAL,), experimental_openness="no"
    )
    flagged = by_id(weigh_options(*options, criteria=(EFF,), preferences=strict))
    plain = by_id(weigh_options(*options, criteria=(EFF,)))
    assert len(flagged["x"].conflicts) == 3
    assert flagged["x"].fit == plain["x"].fit == 100.0
    assert plain["x"].rank == 1 and plain["x"].group == Group.WITHIN_LIMITS
    assert flagged["x"].rank == 2 and flagged["x"].group == Group.LIMIT_OR_RESTRICTED
    assert flagged["sq"].group == Group.WITHIN_LIMITS


# --- input checks and metadata ------------------------------------------------------------


def test_exactly_one_status_quo_is_required():
    with pytest.raises(ValueError, match="status-quo"):
        weigh_options(option("a", effectiveness=1), option("b", effectiveness=2))
    with pytest.raises(ValueError, match="status-quo"):
        weigh_options(
            option("a", status_quo=True, effectiveness=1),
            option("b", status_quo=True, effectiveness=2),
        )


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="option ids"):
        weigh_options(option("a", status_quo=True), option("a"))
    rule = Rule("r", applies_to=("a",), effect=Effect.CAUTION)
    with pytest.raises(ValueError, match="rule ids"):
        weigh_options(*WORKED, rules=(rule, rule))


@pytest.mark.parametrize(
    "make",
    [
        lambda: option("x", status="licensed"),
        lambda: option("x", certainty="medium"),
        lambda: option("x", routes=("inhaled",)),
        lambda: Rule("r", applies_to=("x",), effect=Effect.ADJUST, criterion="speed"),
        lambda: Rule("r", applies_to=("x",), effect="exclude"),
        lambda: PriorTreatment("x", "failed"),
        lambda: Preferences(mar_serious_harm="1_in_10"),
        lambda: Criterion("speed", "faster"),
    ],
)
def test_unknown_codes_are_refused(make):
    with pytest.raises(ValueError):
        make()


def test_result_records_engine_and_profile_versions_and_weights():
    options = (
        option("status_quo", status_quo=True, version=3, effectiveness=1),
        option("drug_b", version=7, effectiveness=2),
    )
    result = weigh_options(*options, criteria=(EFF, CONV))
    assert result.engine_version == ENGINE_VERSION
    assert result.profile_versions == {"drug_b": 7, "status_quo": 3}
    assert list(result.profile_versions) == ["drug_b", "status_quo"]
    assert result.weights == {"effectiveness": 0.75, "convenience": 0.25}
    assert result.priority == ("effectiveness", "convenience")
    assert by_id(result)["drug_b"].profile_version == 7


def test_display_round_is_half_up():
    assert display_round(62.5) == Decimal(63)
    assert display_round(2.5) == Decimal(3)
    assert display_round(0.125, 2) == Decimal("0.13")
    assert display_round(61.49) == Decimal(61)


# --- issue 8: guideline groups, scope, roles, log harm, administration ---------------------


def test_a_restricted_rule_moves_an_option_to_group_2_with_its_reason():
    options = (
        option("sq", status_quo=True, effectiveness=10),
        option("jak", effectiveness=90),
        option("biologic", effectiveness=60),
    )
    rule = Rule("ema_jak", applies_to=("jak",), effect=Effect.RESTRICTED)
    result = by_id(weigh_options(*options, criteria=(EFF,), rules=(rule,)))
    assert result["jak"].fit > result["biologic"].fit  # fit unchanged: it still fits best
    assert result["jak"].group == Group.LIMIT_OR_RESTRICTED
    assert [reason.rule_id for reason in result["jak"].restrictions] == ["ema_jak"]
    assert result["biologic"].rank < result["jak"].rank


def test_an_indication_scope_that_is_false_makes_the_option_not_suitable():
    scope = {"q": "sle_nephritis", "op": "eq", "value": "active"}
    nephritis_only = OptionProfile(
        "obinutuzumab",
        Status.APPROVED,
        Certainty.HIGH,
        values={"effectiveness": Decimal(3)},
        scope=scope,
        scope_note={"en": "Lupus nephritis only."},
        scope_evidence=("https://example.org/label",),
    )
    sq = option("sq", status_quo=True, effectiveness=0)
    without = weigh_options(sq, nephritis_only, criteria=(EFF,), answers={"sle_nephritis": "never"})
    (reason,) = excluded(without)["obinutuzumab"]
    assert reason.code == ReasonCode.OUT_OF_SCOPE
    assert reason.clinician_message == {"en": "Lupus nephritis only."}
    with_nephritis = weigh_options(
        sq, nephritis_only, criteria=(EFF,), answers={"sle_nephritis": "active"}
    )
    assert "obinutuzumab" in by_id(with_nephritis)


def test_bridge_and_background_roles_are_group_2():
    options = (
        option("sq", status_quo=True, effectiveness=0),
        OptionProfile(
            "steroids", Status.APPROVED, Certainty.HIGH, values={"effectiveness": 3}, role="bridge"
        ),
        OptionProfile(
            "hcq", Status.APPROVED, Certainty.HIGH, values={"effectiveness": 2}, role="background"
        ),
        option("belimumab", effectiveness=2),
    )
    result = by_id(weigh_options(*options, criteria=(EFF,)))
    assert [r.code for r in result["steroids"].restrictions] == [ReasonCode.BRIDGE_THERAPY]
    assert [r.code for r in result["hcq"].restrictions] == [ReasonCode.BACKGROUND_THERAPY]
    assert result["belimumab"].rank == 1


def test_the_status_quo_for_uncontrolled_disease_comes_last_in_group_2():
    options = (
        OptionProfile(
            "sq",
            Status.STANDARD_CARE,
            Certainty.HIGH,
            values={"effectiveness": 9},
            is_status_quo=True,
            restriction_codes=(ReasonCode.STATUS_QUO_ACTIVE_DISEASE,),
        ),
        OptionProfile(
            "steroids", Status.APPROVED, Certainty.HIGH, values={"effectiveness": 1}, role="bridge"
        ),
        option("drug", effectiveness=0),
    )
    result = weigh_options(*options, criteria=(EFF,))
    assert [item.option_id for item in result.ranked] == ["drug", "steroids", "sq"]
    assert [item.group for item in result.ranked] == [1, 2, 2]


def test_serious_harm_is_scored_on_a_log_scale():
    log_harm = Criterion("serious_harm", Better.LOWER, Scale.LOG)
    options = (
        option("sq", status_quo=True, harm="0.1", serious_harm="0.1"),
        option("one", harm=1, serious_harm=1),
        option("ten", harm=10, serious_harm=10),
    )
    result = by_id(weigh_options(*options, criteria=(log_harm,)))
    # 0.1 → 1 → 10 are equal steps: 1, 0.5, 0 (on a straight line 1 would score 0.91).
    assert result["sq"].partial_values["serious_harm"] == 1.0
    assert abs(result["one"].partial_values["serious_harm"] - 0.5) < 1e-12
    assert result["ten"].partial_values["serious_harm"] == 0.0


def test_administration_sets_the_convenience_burden():
    options = (
        OptionProfile(
            "sq", Status.STANDARD_CARE, Certainty.HIGH, is_status_quo=True, administration="none"
        ),
        OptionProfile(
            "cream",
            Status.APPROVED,
            Certainty.HIGH,
            values={"convenience": 0},
            administration="topical_daily",
        ),
        OptionProfile(
            "pen",
            Status.APPROVED,
            Certainty.HIGH,
            values={"convenience": 0},
            administration="injection_1_2_weeks",
        ),
        OptionProfile(
            "drip",
            Status.APPROVED,
            Certainty.HIGH,
            values={"convenience": 0},
            administration="infusion",
        ),
    )
    result = by_id(weigh_options(*options, criteria=(CONV,)))
    assert result["cream"].values["convenience"] == Administration.BURDEN["topical_daily"]
    assert result["sq"].values["convenience"] == 0
    assert (
        result["pen"].partial_values["convenience"] > result["drip"].partial_values["convenience"]
    )


def test_avoid_injections_is_a_limit_for_needle_only_options_and_a_point_to_discuss_otherwise():
    options = (
        option("sq", status_quo=True, effectiveness=0),
        OptionProfile(
            "pen",
            Status.APPROVED,
            Certainty.HIGH,
            routes=("subcutaneous",),
            values={"effectiveness": 3},
            administration="injection_4_12_weeks",
        ),
        OptionProfile(
            "mtx",
            Status.APPROVED,
            Certainty.HIGH,
            routes=("oral", "subcutaneous"),
            values={"effectiveness": 2},
            administration="oral_weekly",
        ),
        OptionProfile(
            "tablet", Status.APPROVED, Certainty.HIGH, routes=("oral",), values={"effectiveness": 1}
        ),
    )
    result = weigh_options(
        *options, criteria=(EFF,), preferences=Preferences(avoid_injections=True)
    )
    assert conflicts_of(result, "pen") == [
        (ConflictKind.INJECTIONS_NOT_WANTED, ConflictLevel.CONFLICT)
    ]
    assert conflicts_of(result, "mtx") == [
        (ConflictKind.INJECTIONS_NOT_WANTED, ConflictLevel.DISCUSS)
    ]
    assert conflicts_of(result, "tablet") == []
    groups = {item.option_id: item.group for item in result.ranked}
    assert groups == {"pen": 2, "mtx": 1, "tablet": 1, "sq": 1}

"""Sentences from a weighing snapshot (questionnaires/summary/explain.py)."""

from __future__ import annotations

from django.utils import translation

from questionnaires.summary import explain


def snapshot(**overrides):
    weighing = {
        "criteria": [
            {"key": "effectiveness", "name": {"en": "How well it works", "zh-hans": "疗效"}},
            {"key": "smell", "name": {"en": "Smell", "zh-hans": "气味"}},
        ],
        "options": {
            "alpha": {"name": {"en": "Alpha", "zh-hans": "阿尔法"}},
            "no_change": {"name": {"en": "No change", "zh-hans": "不做改变"}},
        },
        "preferences": {"ranking_given": True},
        "priority": ["effectiveness", "serious_harm", "speed", "certainty"],
        "sensitivity": {
            "leader": "alpha",
            "runner_up": "no_change",
            "margin": 4.4,
            "close_call": True,
            "smallest_change": {
                "criterion": "speed",
                "delta": -0.05,
                "new_weight": 0.1,
                "new_leader": "no_change",
            },
        },
    }
    weighing.update(overrides)
    return weighing


def option(drivers, trade_off=None, better=None):
    return {
        "explanation": {
            "top_drivers": drivers,
            "main_trade_off": trade_off,
            "trade_off_best_option": better,
        }
    }


def test_fit_sentence_names_drivers_and_the_trade_off():
    sentence = explain.fit_sentence(
        snapshot(), option(["effectiveness", "speed"], "serious_harm", "no_change")
    )
    assert sentence == (
        "Fits your priorities mainly because of how well it works and how soon it helps; "
        "the trade-off is the risk of serious harm (No change does better there)."
    )


def test_fit_sentence_without_a_trade_off_or_drivers():
    assert explain.fit_sentence(snapshot(), option(["certainty"])) == (
        "Fits your priorities mainly because of how sure the evidence is; no other option "
        "does better on any of them."
    )
    assert explain.fit_sentence(snapshot(), option([], "speed", "alpha")).startswith(
        "Fits few of your priorities; the trade-off is how soon it helps (Alpha does better"
    )
    assert explain.fit_sentence(snapshot(), option([])) == (
        "All options look the same on what you said matters."
    )


def test_a_criterion_is_never_both_a_driver_and_the_trade_off():
    sentence = explain.fit_sentence(
        snapshot(), option(["effectiveness", "speed"], "effectiveness", "alpha")
    )
    assert sentence.startswith("Fits your priorities mainly because of how soon it helps;")


def test_unknown_criteria_fall_back_to_their_name():
    assert explain.criterion_phrase("smell", snapshot()) == "Smell"
    assert explain.criterion_name("monitoring") == "Tests and visits"
    assert explain.criterion_name("odd_one") == "odd one"


def test_option_names_follow_the_active_language():
    weighing = snapshot()
    assert explain.option_name(weighing, "alpha") == "Alpha"
    with translation.override("zh-hans"):
        assert explain.option_name(weighing, "alpha") == "阿尔法"
    assert explain.option_name(weighing, "beta_mab") == "beta mab"


def test_reason_sentences_for_patients_and_clinicians():
    weighing = snapshot()
    rule = {
        "code": "rule",
        "rule_id": "pregnancy_alpha",
        "patient_message": {"en": "Not in pregnancy.", "zh-hans": "孕期不可用。"},
        "clinician_message": {"en": "Contraindicated in pregnancy."},
        "detail": {},
    }
    assert explain.reason_sentence(weighing, rule) == "Not in pregnancy."
    assert (
        explain.reason_sentence(weighing, rule, audience=explain.CLINICIAN)
        == "Contraindicated in pregnancy."
    )
    with translation.override("zh-hans"):
        assert explain.reason_sentence(weighing, rule) == "孕期不可用。"
    failed = {"code": "did_not_work_before", "rule_id": "", "detail": {"therapy": "alpha"}}
    assert explain.reason_sentence(weighing, failed) == "You told us Alpha did not work for you."


def test_conflict_sentences_say_which_limit():
    weighing = snapshot()
    above = {
        "kind": "above_risk_limit",
        "level": "conflict",
        "detail": {"limit": "1_in_1000", "limit_per_1000": "1", "risk_per_1000": "10"},
    }
    assert explain.conflict_sentence(weighing, above) == (
        "Its risk of serious harm (about 10 in 1000 people a year) is above the limit you "
        "chose (1 in 1000 people a year)."
    )
    route = {
        "kind": "route_refused",
        "level": "discuss",
        "detail": {"refused": ["subcutaneous"], "acceptable": ["oral"]},
    }
    assert explain.conflict_sentence(weighing, route) == (
        "It can be given as injection under the skin, which you would rather avoid, but also "
        "as by mouth."
    )
    experimental = {
        "kind": "experimental_not_wanted",
        "level": "conflict",
        "detail": {"openness": "no"},
    }
    assert "would not consider" in explain.conflict_sentence(weighing, experimental)


def test_sensitivity_sentence_for_a_close_call():
    assert explain.sensitivity_sentence(snapshot()) == (
        "This is a close call: Alpha and No change fit your priorities almost equally well. "
        "If how soon it helps mattered a little less to you, No change would fit best."
    )
    clear = snapshot(
        sensitivity={
            "leader": "alpha",
            "runner_up": "no_change",
            "margin": 23.6,
            "close_call": False,
            "smallest_change": None,
        }
    )
    assert explain.sensitivity_sentence(clear) == (
        "Alpha fits your priorities best, 24 points ahead of No change."
    )


def test_priorities_sentence():
    assert explain.priorities_sentence(snapshot()) == (
        "What matters most to you: how well it works, then the risk of serious harm and how "
        "soon it helps."
    )
    unranked = snapshot(preferences={"ranking_given": False})
    assert "every criterion counts the same" in explain.priorities_sentence(unranked)


def test_outcomes_onset_and_numbers():
    assert explain.outcome_sentence({"text": {"en": "About 50 in 100 people …"}}) == (
        "About 50 in 100 people …"
    )
    assert (
        explain.outcome_sentence(
            {"text": {}, "count": "49.0", "per": 100, "horizon": {"en": "16 weeks"}}
        )
        == "49 in 100 people (16 weeks)"
    )
    assert explain.onset_text([2, 4]) == "About 2 to 4 weeks"
    assert explain.onset_text([None, 12]) == "About 12 weeks"
    assert explain.onset_text(None) == "Not known"
    assert explain.number_text("1E+1") == "10"
    assert explain.join_words(["a", "b", "c"]) == "a, b and c"

"""The adapter between therapy profiles and the weighing engine (services.weighing).

Small made-up profiles (tests/therapy_content.py) keep the expected results checkable by
hand; the shipped profiles are exercised by the golden cases.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest

from questionnaires.engine import weighing as engine
from questionnaires.models import Indication, Therapy
from questionnaires.selectors.therapies import ProfilesMissing
from questionnaires.services.therapies import therapies_load
from questionnaires.services.therapy_content import demo_definition
from questionnaires.services.weighing import weighing_compute
from questionnaires.services.weighing_input import (
    answers_prepare,
    current_therapy_from,
    preferences_from,
    prior_treatments_from,
)
from tests.therapy_content import write_content

RANK_EFFECT_FIRST = ["effectiveness", "speed", "serious_harm"]


@pytest.fixture
def definition():
    return demo_definition()


@pytest.fixture
def loaded(tmp_path, db):
    therapies_load(path=write_content(tmp_path))


def weigh(definition, **answers):
    return weighing_compute(definition=definition, answers={"condition": "psoriasis", **answers})


# --- answers → engine facts (no database) -------------------------------------------------


def test_preferences_come_from_the_priority_answers():
    preferences = preferences_from(
        {
            "priority_ranking": ["speed", "effectiveness"],
            "mar_serious_harm": "1_in_100",
            "routes_accepted": ["oral", "intravenous"],
            "infusion_travel": "sometimes",
            "experimental_openness": "no",
        }
    )
    assert preferences.ranking == ("speed", "effectiveness")
    assert preferences.swing == {}
    assert preferences.mar_serious_harm == "1_in_100"
    assert preferences.routes_accepted == ("oral", "intravenous")
    assert preferences.experimental_openness == "no"


def test_no_travel_for_infusions_removes_the_intravenous_route():
    preferences = preferences_from(
        {"routes_accepted": ["oral", "intravenous"], "infusion_travel": "no"}
    )
    assert preferences.routes_accepted == ("oral",)


def test_without_a_ranking_every_criterion_weighs_the_same():
    preferences = preferences_from({}, criteria_keys=["effectiveness", "speed"])
    assert preferences.ranking == ()
    assert preferences.swing == {"effectiveness": Decimal(100), "speed": Decimal(100)}
    assert preferences.mar_serious_harm is None
    assert preferences.routes_accepted == ()


def test_prior_treatment_rows_become_engine_facts():
    pruned = {
        "prior_treatments": [
            {
                "prior_therapy": "alpha_mab",
                "prior_effect": "not_effective",
                "prior_stop_reason": "side_effects",
            },
            {
                "prior_therapy": "beta_mab",
                "prior_effect": "worked",
                "prior_stop_reason": "not_effective",
            },
            {
                "prior_therapy": "gamma_tablet",
                "prior_effect": "partly",
                "prior_stop_reason": "still_taking",
            },
            {"prior_therapy": "other", "prior_effect": "not_effective"},
            {"prior_effect": "worked"},
            {"prior_therapy": "delta_cells"},
        ]
    }
    facts = prior_treatments_from(pruned, target_classes={"alpha_mab": "IL-17"})
    assert facts == (
        engine.PriorTreatment("alpha_mab", engine.Outcome.NOT_EFFECTIVE, False, "IL-17"),
        engine.PriorTreatment("alpha_mab", engine.Outcome.SIDE_EFFECTS, False, "IL-17"),
        # Stopped because it stopped working: it does not work now, whatever it did once.
        engine.PriorTreatment("beta_mab", engine.Outcome.NOT_EFFECTIVE, False, ""),
        engine.PriorTreatment("gamma_tablet", engine.Outcome.PARTLY, True, ""),
        engine.PriorTreatment("delta_cells", engine.Outcome.UNKNOWN, False, ""),
    )


def test_the_current_therapy_comes_from_the_question_then_from_still_taking_rows():
    known = {"alpha_mab", "beta_mab"}
    assert current_therapy_from({"current_treatment": "alpha_mab"}, known=known) == (
        "alpha_mab",
        "alpha_mab",
    )
    assert current_therapy_from({"current_treatment": "zeta_pill"}, known=known) == (
        None,
        "zeta_pill",
    )
    assert current_therapy_from({"current_treatment": "none"}, known=known) == (None, "none")
    still = {
        "prior_treatments": [{"prior_therapy": "beta_mab", "prior_stop_reason": "still_taking"}]
    }
    assert current_therapy_from(still, known=known) == ("beta_mab", "beta_mab")
    # An explicit "none" wins over a row that still says "still taking".
    assert current_therapy_from({**still, "current_treatment": "none"}, known=known)[0] is None


def test_prepared_answers_drop_hidden_ones_and_add_derived_keys(definition):
    prepared = answers_prepare(
        definition=definition,
        answers={
            "condition": "psoriasis",
            "pso_area": "lt_3",
            "pso_itch": 2,
            "pso_sleep": 1,
            "pso_daily_life": 2,
            "safety_jcv": "positive",  # asked only in multiple sclerosis
            "weight_kg": "72.5",  # stored form of a decimal
            "prior_treatments": [
                {
                    "prior_therapy": "alpha_mab",
                    "prior_effect": "not_effective",
                    "prior_stop_reason": "infection",
                }
            ],
        },
    )
    assert "safety_jcv" not in prepared.pruned
    assert prepared.dropped == ("safety_jcv",)
    assert prepared.pruned["weight_kg"] == Decimal("72.5")
    assert prepared.derived["scale.activity_psoriasis.score"] == Decimal(2)
    assert prepared.derived["scale.activity_psoriasis.severity"] == "mild"
    assert prepared.derived["prior.tried"] == ["alpha_mab"]
    assert prepared.derived["prior.not_effective"] == ["alpha_mab"]
    assert prepared.derived["prior.stop_reasons"] == ["infection"]
    assert "prior.side_effects" not in prepared.derived


# --- the weighing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_condition_means_nothing_to_weigh(definition, loaded):
    assert weighing_compute(definition=definition, answers={"age": 40}) is None


@pytest.mark.django_db
def test_without_the_status_quo_profile_the_weighing_refuses(definition):
    with pytest.raises(ProfilesMissing):
        weigh(definition)


@pytest.mark.django_db
def test_options_are_the_indicated_therapies_plus_no_change(definition, loaded):
    result = weigh(definition, priority_ranking=RANK_EFFECT_FIRST)

    ranked = [option["option_id"] for option in result["ranked"]]
    assert sorted(ranked) == ["alpha_mab", "beta_mab", "delta_cells", "gamma_tablet", "no_change"]
    # alpha_mab beats beta_mab on effectiveness and equals it on everything else.
    assert ranked.index("alpha_mab") < ranked.index("beta_mab")
    assert result["not_recommended"] == []
    assert result["disease"] == "psoriasis"
    assert result["preferences"]["ranking_given"] is True
    assert result["priority"][:3] == RANK_EFFECT_FIRST


@pytest.mark.django_db
def test_not_recommended_indications_are_listed_never_weighed(definition, loaded):
    result = weighing_compute(definition=definition, answers={"condition": "multiple_sclerosis"})
    assert result["not_recommended"] == ["alpha_mab"]
    assert [option["option_id"] for option in result["ranked"]] == ["no_change"]
    assert result["options"]["alpha_mab"]["status"] == "not_recommended"


@pytest.mark.django_db
def test_rules_and_history_reach_the_engine(definition, loaded):
    result = weigh(
        definition,
        safety_pregnancy=True,
        safety_ibd=True,
        prior_treatments=[
            {
                "prior_therapy": "beta_mab",
                "prior_effect": "not_effective",
                "prior_stop_reason": "not_effective",
            }
        ],
    )

    not_suitable = {item["option_id"]: item["reasons"] for item in result["not_suitable"]}
    assert set(not_suitable) == {"beta_mab", "gamma_tablet"}
    assert not_suitable["beta_mab"][0]["code"] == "did_not_work_before"
    pregnancy = not_suitable["gamma_tablet"][0]
    assert pregnancy["rule_id"] == "pregnancy_no_biologic_x"
    assert pregnancy["patient_message"]["en"] == "Not used in pregnancy."
    assert pregnancy["evidence"] == ["https://example.org/guideline-b"]
    alpha = next(option for option in result["ranked"] if option["option_id"] == "alpha_mab")
    assert [reason["rule_id"] for reason in alpha["cautions"]] == ["ibd_il17_caution"]
    # beta_mab failed and alpha_mab shares its class: 80 × 0.7.
    (adjustment,) = alpha["adjustments"]
    assert adjustment["reason"]["code"] == "same_class_did_not_work"
    assert (adjustment["before"], adjustment["after"]) == ("80", "56")


@pytest.mark.django_db
def test_limits_become_conflicts_not_exclusions(definition, loaded):
    result = weigh(
        definition,
        mar_serious_harm="1_in_1000",
        routes_accepted=["oral", "topical"],
        experimental_openness="no",
    )
    conflicts = {
        option["option_id"]: sorted(conflict["kind"] for conflict in option["conflicts"])
        for option in result["ranked"]
    }
    assert conflicts == {
        "alpha_mab": ["above_risk_limit", "route_refused"],
        "beta_mab": ["above_risk_limit", "route_refused"],
        "gamma_tablet": [],  # 1 in 1000 is not above a limit of 1 in 1000
        "delta_cells": ["above_risk_limit", "experimental_not_wanted", "route_refused"],
        "no_change": [],
    }
    assert result["not_suitable"] == []


@pytest.mark.django_db
def test_staying_on_a_known_therapy_takes_its_profile(definition, loaded):
    result = weigh(definition, current_treatment="gamma_tablet", priority_ranking=RANK_EFFECT_FIRST)

    assert result["current_therapy"] == "gamma_tablet"
    not_suitable = {item["option_id"]: item["reasons"] for item in result["not_suitable"]}
    assert [reason["code"] for reason in not_suitable["gamma_tablet"]] == ["current_treatment"]
    status_quo = next(option for option in result["ranked"] if option["is_status_quo"])
    assert status_quo["option_id"] == "no_change"
    # gamma_tablet's values. How well it works was not said, so its own wait stands
    # (issue 8: "no change" is never 0 weeks by default).
    assert status_quo["values"]["effectiveness"] == "40"
    assert status_quo["values"]["speed"] == "8"
    assert result["status_quo"] == {
        "response": "unknown",
        "disease_active": None,
        "restricted": False,
    }
    assert status_quo["routes"] == ["oral"]
    display = result["options"]["no_change"]
    assert display["based_on"] == "gamma_tablet"
    assert display["name"]["en"] == "Stay on Gamma Tablet"
    assert display["routes"] == ["oral"]


@pytest.mark.django_db
def test_staying_on_a_therapy_that_works_has_its_benefit_already(definition, loaded):
    result = weigh(
        definition,
        current_treatment="gamma_tablet",
        current_treatment_satisfaction=8,
        priority_ranking=RANK_EFFECT_FIRST,
    )
    status_quo = next(option for option in result["ranked"] if option["is_status_quo"])
    assert status_quo["values"]["effectiveness"] == "40"
    assert status_quo["values"]["speed"] == "0"
    assert status_quo["group"] == 1
    assert result["status_quo"]["response"] == "works"


@pytest.mark.django_db
def test_staying_on_a_therapy_that_does_not_work_does_not_help(definition, loaded):
    # Issue 8: it used to take the "no change" profile's effectiveness and a 0-week wait.
    result = weigh(
        definition,
        current_treatment="gamma_tablet",
        prior_treatments=[
            {
                "prior_therapy": "gamma_tablet",
                "prior_effect": "not_effective",
                "prior_stop_reason": "still_taking",
            }
        ],
    )
    status_quo = next(option for option in result["ranked"] if option["is_status_quo"])
    assert status_quo["values"]["effectiveness"] == "0"
    assert status_quo["values"]["speed"] == "52"
    # Activity was not answered, so not known to be quiet: uncontrolled, group 2.
    assert status_quo["group"] == 2
    assert [r["code"] for r in status_quo["restrictions"]] == ["status_quo_active_disease"]


@pytest.mark.django_db
def test_the_result_is_json_and_records_the_profile_versions(definition, loaded):
    alpha = Therapy.objects.get(slug="alpha_mab")
    alpha.benefits_en = "Clearer skin for many."
    alpha.save()
    alpha.refresh_from_db()

    result = weigh(definition, current_treatment="gamma_tablet")

    assert json.loads(json.dumps(result)) == result
    versions = result["profile_versions"]
    assert set(versions["therapies"]) == {
        "alpha_mab",
        "beta_mab",
        "delta_cells",
        "gamma_tablet",
        "no_change",
    }
    alpha_version = versions["therapies"]["alpha_mab"]
    assert alpha_version["revision"] == alpha.revision
    assert alpha_version["history_id"] == alpha.history.latest().history_id
    indication = alpha.indications.get(disease="psoriasis")
    assert alpha_version["indication_history_id"] == indication.history.latest().history_id
    assert set(versions["rules"]) == {"ibd_il17_caution", "pregnancy_no_biologic_x"}
    assert set(versions["criteria"]) == set(engine.CriterionKey.ALL)


@pytest.mark.django_db
def test_the_snapshot_carries_what_the_patient_reads(definition, loaded):
    result = weigh(definition)

    alpha = result["options"]["alpha_mab"]
    assert alpha["name"] == {"en": "Alpha Mab", "zh-hans": "Alpha Mab（中文）"}
    assert alpha["common_side_effects"]["en"] == ["Sore throat", "Redness where injected"]
    assert alpha["onset_weeks"] == [2, 4]
    (outcome,) = alpha["outcomes"]
    assert (outcome["count"], outcome["per"], outcome["certainty"]) == ("80", 100, "high")
    assert outcome["evidence"]["url"] == "https://example.org/trial-a"
    assert result["options"]["delta_cells"]["status"] == "experimental"
    assert result["options"]["delta_cells"]["certainty"] == "very_low"


@pytest.mark.django_db
def test_evidence_past_its_review_date_is_flagged(definition, loaded):
    before = weighing_compute(
        definition=definition,
        answers={"condition": "psoriasis"},
        today=datetime.date(2025, 6, 1),
    )
    after = weighing_compute(
        definition=definition,
        answers={"condition": "psoriasis"},
        today=datetime.date(2026, 6, 1),
    )
    assert before["evidence"]["overdue"] == []
    (overdue,) = after["evidence"]["overdue"]
    assert overdue["url"] == "https://example.org/trial-a"
    assert overdue["options"] == ["alpha_mab", "beta_mab", "delta_cells", "gamma_tablet"]
    assert after["evidence"]["next_review"] == "2026-01-10"
    assert after["options"]["alpha_mab"]["evidence"][0]["overdue"] is True


@pytest.mark.django_db
def test_weighing_is_deterministic(definition, loaded):
    answers = {"priority_ranking": ["certainty", "speed"], "mar_serious_harm": "1_in_100"}
    assert weigh(definition, **answers) == weigh(definition, **answers)


@pytest.mark.django_db
def test_stored_and_engine_forms_of_the_answers_weigh_the_same(definition, loaded):
    """result_freeze passes pruned engine answers; simulate passes stored (JSON) ones."""
    stored = {"condition": "psoriasis", "weight_kg": "72.5", "age": 40}
    engine_form = {"condition": "psoriasis", "weight_kg": Decimal("72.5"), "age": 40}
    assert weighing_compute(definition=definition, answers=stored) == weighing_compute(
        definition=definition, answers=engine_form
    )


@pytest.mark.django_db
def test_texts_written_for_the_condition_replace_the_general_ones(definition, loaded):
    """Issue 8: a therapy serving several conditions shows each its own texts."""
    indication = Indication.objects.get(therapy__slug="alpha_mab", disease="psoriasis")
    indication.text = {
        "benefits": {"en": "Clearer skin, for psoriasis.", "zh-hans": "银屑病皮损更少。"}
    }
    indication.role = "bridge"
    indication.save()

    result = weigh(definition, priority_ranking=RANK_EFFECT_FIRST)

    display = result["options"]["alpha_mab"]
    assert display["benefits"] == {
        "en": "Clearer skin, for psoriasis.",
        "zh-hans": "银屑病皮损更少。",
    }
    assert display["role"] == "bridge"
    alpha = next(option for option in result["ranked"] if option["option_id"] == "alpha_mab")
    assert alpha["group"] == 2
    assert [reason["code"] for reason in alpha["restrictions"]] == ["bridge_therapy"]

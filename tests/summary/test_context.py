"""The summary context: one fetch, then pure functions; languages; flags; trend; options."""

from __future__ import annotations

from decimal import Decimal

import pytest

from questionnaires.models import Questionnaire, Response, Result
from questionnaires.selectors.definitions import version_definition
from questionnaires.summary.context import summary_context_build
from questionnaires.summary.flags import FlagKind
from tests.summary.builders import (
    CHINESE_TEXT,
    COMMON,
    CONDITIONS,
    demo_answers,
    submitted_demo_response,
)


def _definition(response_id: int):
    return version_definition(Response.objects.get(pk=response_id).version)


def _build(response_id: int, language: str = "en", audience: str = "clinician"):
    return summary_context_build(response=response_id, language=language, audience=audience)


def test_the_context_is_built_from_two_queries(demo, django_assert_num_queries):
    response_id = demo.responses["psoriasis"]
    _definition(response_id)  # the definition of a published version is cached per process
    with django_assert_num_queries(2):  # the response with its relations; earlier results
        _build(response_id)


def test_the_same_snapshot_gives_the_same_context(demo):
    response_id = demo.responses["multiple_sclerosis"]
    assert _build(response_id) == _build(response_id)


def test_a_chinese_answered_response_read_in_english(demo):
    summary = _build(demo.chinese, language="en")
    questions = _definition(demo.chinese).question_map()
    assert summary.header.patient_language == "Simplified Chinese"
    assert summary.header.patient_language_code == "zh-hans"
    # Coded answers become the definition's English labels ...
    therapy_label = next(c for c in questions["prior_therapy"].choices if c.value == "methotrexate")
    assert summary.history.rows[0][0] == therapy_label.label["en"]
    # ... free text is quoted as written, marked with the patient's language.
    texts = {text.label: text for text in summary.patient_texts}
    goal = texts[questions["goal"].text["en"]]
    assert goal.lines == (CHINESE_TEXT["goal"],)
    assert goal.lang == "zh-hans"
    own = texts[questions["own_questions"].text["en"]]
    assert own.lines == tuple(CHINESE_TEXT["own_questions"].splitlines())


def test_an_english_answered_response_read_in_chinese(demo):
    response_id = demo.responses["psoriasis"]
    summary = _build(response_id, language="zh-hans")
    questions = _definition(response_id).question_map()
    labels = {c.value: c.label["zh-hans"] for c in questions["prior_therapy"].choices}
    assert [row[0] for row in summary.history.rows] == [
        labels["methotrexate"],
        labels["adalimumab"],
    ]
    assert summary.header.condition == next(
        c.label["zh-hans"] for c in questions["condition"].choices if c.value == "psoriasis"
    )
    goal = next(t for t in summary.patient_texts if t.label == questions["goal"].text["zh-hans"])
    assert goal.lines == (COMMON["goal"],)
    assert goal.lang == "en"


def test_red_flags_come_in_their_order_with_what_matters(demo):
    response_id = demo.responses["psoriasis"]
    summary = _build(response_id)
    questions = _definition(response_id).question_map()
    kinds = [flag.kind for flag in summary.flags]
    assert kinds == [
        FlagKind.ANSWER,
        FlagKind.ANSWER,
        FlagKind.SEVERE_BAND,
        FlagKind.DECISIONAL_CONFLICT,
    ]
    tb, joints, severe, sure = summary.flags
    assert tb.title == questions["safety_tb"].text["en"]
    assert tb.detail == "Yes"
    assert "TB" in tb.note
    # Issue 8: joint pain with psoriasis is a red flag (possible psoriatic arthritis).
    assert joints.title == questions["pso_joint_pain"].text["en"]
    assert "psoriatic arthritis" in joints.note
    # The demo psoriasis answers give a mean of 9 on 0–10: the "severe" band.
    assert severe.detail.startswith("9")
    # Two SURE items were answered "no": 2 of 4.
    assert "2 of 4" in sure.detail


def test_options_excluded_by_a_clinical_rule_are_red_flags(demo):
    summary = _build(demo.responses["multiple_sclerosis"])
    result = Result.objects.get(response_id=demo.responses["multiple_sclerosis"])
    by_rule = [
        item["option_id"]
        for item in result.weighing["not_suitable"]
        if any(reason["rule_id"] for reason in item["reasons"])
    ]
    assert by_rule, "the MS demo case (pregnancy planned) excludes options by rule"
    flagged = [flag for flag in summary.flags if flag.kind == FlagKind.NOT_SUITABLE]
    assert len(flagged) == len(by_rule)
    # History-based exclusions (did not work before) are listed with the options instead.
    history_only = [item for item in summary.options.not_suitable if not item.by_rule]
    assert any("did not work" in " ".join(item.reasons) for item in history_only)


def test_the_current_treatment_is_not_listed_as_left_out(demo):
    summary = _build(demo.responses["atopic_dermatitis"])
    result = Result.objects.get(response_id=demo.responses["atopic_dermatitis"])
    current = result.weighing["current_therapy"]
    assert current
    names = {item.name for item in summary.options.not_suitable}
    assert not any(current.replace("_", " ") in name.lower() for name in names)


def test_the_trend_shows_earlier_visits_of_the_same_patient_in_the_same_team(demo):
    summary = _build(demo.responses["psoriasis"])
    (activity,) = summary.activity
    assert activity.key == "activity_psoriasis"
    # The earlier visit in this team and this one; the other team's visit is not there.
    assert activity.visits == 2
    earlier = Result.objects.get(response_id=demo.earlier).scores
    earlier_score = Decimal(next(s["score"] for s in earlier if s["key"] == activity.key))
    current_score = Decimal(activity.score)
    assert current_score > earlier_score
    assert (
        activity.change
        == f"Worse by {(current_score - earlier_score).normalize():f} since last visit"
    )
    assert str(activity.chart).count("<circle") == 2


def test_a_first_visit_has_no_comparison(demo):
    (activity,) = _build(demo.responses["sle"]).activity
    assert activity.visits == 1
    assert activity.change == "First visit"


def test_options_follow_the_frozen_ranking(demo):
    response_id = demo.responses["vitiligo"]
    summary = _build(response_id)
    weighing = Result.objects.get(response_id=response_id).weighing
    assert [row.option_id for row in summary.options.rows] == [
        option["option_id"] for option in weighing["ranked"]
    ]
    assert [row.fit for row in summary.options.rows] == [
        option["fit_display"] for option in weighing["ranked"]
    ]
    sensitivity = weighing["sensitivity"]
    close = {row.option_id for row in summary.options.rows if row.close_call}
    expected = (
        {sensitivity["leader"], sensitivity["runner_up"]} if sensitivity["close_call"] else set()
    )
    assert close == expected
    # Experimental options the patient would not consider are conflicts, never dropped.
    experimental = [row for row in summary.options.rows if row.conflicts]
    assert experimental


def test_priorities_carry_the_frozen_weights(demo):
    response_id = demo.responses["sle"]
    summary = _build(response_id)
    weighing = Result.objects.get(response_id=response_id).weighing
    assert [item.rank for item in summary.priorities] == list(range(1, 8))
    assert [item.weight_percent for item in summary.priorities] == [
        round(100 * weighing["weights"][key]) for key in weighing["priority"]
    ]
    assert summary.ranking_given is True


def test_readiness_lists_the_sure_items_and_the_preferred_role(demo):
    response_id = demo.responses["psoriasis"]
    readiness = _build(response_id).readiness
    questions = _definition(response_id).question_map()
    assert [item.is_no for item in readiness.items] == [True, False, True, False]
    assert readiness.conflict is True
    role = next(c for c in questions["preferred_role"].choices if c.value == "share")
    assert readiness.role == role.label["en"]


def test_the_footer_names_versions_and_instrument_notices(demo):
    response_id = demo.responses["psoriasis"]
    footer = _build(response_id).footer
    result = Result.objects.get(response_id=response_id)
    definition = _definition(response_id)
    assert footer.engine_version == result.engine_version
    sure = next(i for i in definition.instruments if i.key == "sure")
    assert footer.copyright_notices == (sure.copyright_notice,)
    assert footer.evidence_sources == result.weighing["evidence"]["sources"]


def test_the_patient_copy_uses_the_patient_wording(demo):
    summary = _build(demo.responses["psoriasis"], audience="patient")
    assert summary.is_patient_copy
    assert all(flag.note == "" for flag in summary.flags if flag.kind == FlagKind.ANSWER)
    assert all(row.sentence for row in summary.options.rows)
    assert summary.options.sensitivity.startswith(
        ("This is a close call", summary.options.rows[0].name)
    )


def test_an_unknown_audience_is_refused(demo):
    with pytest.raises(ValueError):
        _build(demo.responses["psoriasis"], audience="insurer")


@pytest.mark.parametrize("condition", CONDITIONS)
def test_the_stored_red_flag_count_is_the_number_the_summary_shows(demo, condition):
    """The dashboard sorts by ``Result.red_flags``: it must be the summary's own count."""
    response_id = demo.responses[condition]
    context = summary_context_build(response=response_id, language="en", audience="clinician")
    assert Result.objects.get(response_id=response_id).red_flags == len(context.flags)


QUIET_MS_SYMPTOMS = {
    "ms_walking": "no_problem",
    "ms_fatigue": 3,
    "ms_daily_life": 3,
    "ms_symptoms_change": "same_or_better",
}


def _activity_row(team, condition: str, answers: dict, *, audience: str):
    """The activity row of a submitted demo response with these answers."""
    response = submitted_demo_response(
        questionnaire=Questionnaire.objects.get(slug="treatment-discussion"),
        condition=condition,
        patient_ref=f"{condition}-band",
        team=team,
        answers=demo_answers(condition, **answers),
    )
    (row,) = _build(response.pk, audience=audience).activity
    assert row.key == f"activity_{condition}"
    return row


def _ms_activity(team, audience: str = "clinician", **activity):
    answers = {**QUIET_MS_SYMPTOMS, **activity}
    return _activity_row(team, "multiple_sclerosis", answers, audience=audience)


def test_a_mild_ms_band_is_not_the_verdict_when_relapses_and_mri_show_high_activity(team):
    """Issue 8 class 4 (docs/clinical-safety.md H13): the symptom score of the golden case
    highly_active_ms_high_efficacy_first reads "Mild activity"; beside it the clinician reads
    that the relapses and MRI show highly active MS, and the patient that their MS has been
    active. The score itself is unchanged."""
    row = _ms_activity(team, ms_relapses_12m=2, ms_mri_activity="yes")
    assert (row.score, row.severity, row.band) == ("1.5", "mild", "Mild activity")
    assert row.band_note.startswith("Symptom score only, not the activity verdict")
    assert "highly active relapsing MS" in row.band_note
    patient = _ms_activity(team, audience="patient", ms_relapses_12m=2, ms_mri_activity="yes")
    assert "your MS has been active" in patient.band_note


@pytest.mark.parametrize(
    ("activity", "highly_active"),
    [
        ({"ms_relapses_12m": 1, "ms_mri_activity": "no"}, False),
        ({"ms_relapses_12m": 0, "ms_mri_activity": "yes"}, False),
        ({"ms_relapses_12m": 1, "ms_mri_activity": "yes"}, True),
    ],
)
def test_any_relapse_or_mri_activity_qualifies_a_quiet_ms_band(team, activity, highly_active):
    row = _ms_activity(team, **activity)
    assert row.severity == "mild"
    assert row.band_note
    assert ("highly active relapsing MS" in row.band_note) is highly_active


def test_a_quiet_ms_band_with_no_relapse_and_no_mri_activity_has_no_note(team):
    row = _ms_activity(team, ms_relapses_12m=0, ms_mri_activity="no")
    assert row.severity == "mild"
    assert row.band_note == ""


QUIET_SLE_SYMPTOMS = {"sle_fatigue": 2, "sle_pain": 2, "sle_overall": 2, "sle_daily_life": 2}
NO_SLE_ORGAN_ACTIVITY = {"sle_flares_12m": 0, "sle_kidney": "no", "sle_cns": False}


def _sle_activity(team, audience: str = "clinician", **activity):
    answers = {**QUIET_SLE_SYMPTOMS, **NO_SLE_ORGAN_ACTIVITY, **activity}
    return _activity_row(team, "sle", answers, audience=audience)


@pytest.mark.parametrize(
    "activity",
    [
        {"sle_flares_12m": 1},
        {"sle_kidney": "yes_now"},
        {"sle_cns": True},
    ],
)
def test_a_mild_lupus_band_is_not_the_verdict_with_a_flare_or_organ_involvement(team, activity):
    """H13 for lupus: active nephritis with few symptoms must not read as mild lupus."""
    row = _sle_activity(team, **activity)
    assert (row.severity, row.band) == ("mild", "Mild activity")
    assert row.band_note.startswith("Symptom score only, not the activity verdict")
    assert "organ-threatening lupus" in row.band_note
    patient = _sle_activity(team, audience="patient", **activity)
    assert "your lupus needs a closer look" in patient.band_note


def test_a_quiet_lupus_band_with_no_flare_and_no_organ_involvement_has_no_note(team):
    row = _sle_activity(team)
    assert row.severity == "mild"
    assert row.band_note == ""


def test_a_moderate_ms_band_has_no_note(demo):
    (row,) = _build(demo.responses["multiple_sclerosis"]).activity
    assert row.severity not in ("none", "mild")
    assert row.band_note == ""

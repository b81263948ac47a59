"""Demo responses for the summary tests and the benchmark, made through the real services.

``demo_content_ensure()`` publishes the shipped questionnaire and loads the therapy profiles;
``submitted_demo_response()`` invites a patient, saves every walked step with
``response_save_step`` and submits with ``response_submit``: the same path a patient's
browser takes, so the ``Result`` snapshot is the real one.

Answers are plain dicts per condition (engine form: ratings int, yes/no bool, ranking a
list, the repeat group a list of dicts). Each condition's case is chosen to exercise the
summary: a safety answer that matters, a severe band or not, a SURE score of 3 or less in
some, free text in the patient's own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questionnaires.models import Questionnaire, Response, Team
from questionnaires.patient.walk import Walk
from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
from questionnaires.services.invitations import invitation_create
from questionnaires.services.responses import response_save_step, response_start, response_submit
from questionnaires.services.therapies import therapies_load

CONDITIONS = ("psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo")

NO_SAFETY_ISSUES = {
    "safety_pregnancy": False,
    "safety_breastfeeding": False,
    "safety_infection": False,
    "safety_tb": False,
    "safety_hepatitis_b": False,
    "safety_cancer": False,
    "safety_live_vaccine": False,
    "safety_heart_failure": False,
    "safety_ibd": False,
    "safety_demyelinating": False,
    "safety_smoker": False,
    "safety_cardiovascular": False,
}

SURE_ALL_YES = {
    "sure_sure": True,
    "sure_understand": True,
    "sure_risk_benefit": True,
    "sure_encouragement": True,
}

COMMON = {
    "age": 38,
    "priority_ranking": [
        "effectiveness",
        "serious_harm",
        "convenience",
        "speed",
        "side_effects",
        "monitoring",
        "certainty",
    ],
    "mar_serious_harm": "1_in_100",
    "routes_accepted": ["topical", "oral", "subcutaneous"],
    "experimental_openness": "maybe",
    "goal": "Clear skin before my sister's wedding in June",
    "own_questions": "Can I still travel abroad for work?\nWill injections hurt?",
    "preferred_role": "share",
    **NO_SAFETY_ISSUES,
    **SURE_ALL_YES,
}

# Per condition: the activity questions and what makes the case interesting.
CONDITION_ANSWERS: dict[str, dict[str, Any]] = {
    "psoriasis": {
        "pso_area": "gt_10",
        "pso_itch": 9,
        "pso_sleep": 8,
        "pso_daily_life": 9,
        "pso_visible_areas": ["scalp", "hands"],
        "pso_joint_pain": True,
        "prior_treatments": [
            {
                "prior_therapy": "methotrexate",
                "prior_duration": "3_12_months",
                "prior_effect": "partly",
                "prior_stop_reason": "side_effects",
            },
            {
                "prior_therapy": "adalimumab",
                "prior_duration": "1_3_years",
                "prior_effect": "not_effective",
                "prior_stop_reason": "not_effective",
            },
        ],
        "current_treatment": "topical_corticosteroids",
        "current_treatment_satisfaction": 3,
        # A latent TB answer and an unsure patient: both must reach the red flags.
        "safety_tb": True,
        "sure_sure": False,
        "sure_risk_benefit": False,
    },
    "atopic_dermatitis": {
        "ad_area": "3_to_10",
        "ad_itch": 7,
        "ad_sleep": 6,
        "ad_flare_days": 5,
        "ad_skin_damage": "few_places",
        "ad_daily_life": 6,
        "prior_treatments": [
            {
                "prior_therapy": "cyclosporine",
                "prior_duration": "3_12_months",
                "prior_effect": "worked",
                "prior_stop_reason": "side_effects",
            }
        ],
        "current_treatment": "topical_corticosteroids",
        "current_treatment_satisfaction": 4,
        "safety_live_vaccine": True,
    },
    "multiple_sclerosis": {
        "goal": "No more relapses, so I can keep working full time",
        "own_questions": "Can I still have children on these treatments?\nHow often are scans?",
        "ms_relapses_12m": 2,
        "ms_walking": "some_difficulty",
        "ms_fatigue": 7,
        "ms_daily_life": 6,
        "ms_symptoms_change": "slightly_worse",
        "ms_mri_activity": "yes",
        "safety_jcv": "positive",
        "prior_treatments": [
            {
                "prior_therapy": "dimethyl_fumarate",
                "prior_duration": "1_3_years",
                "prior_effect": "not_effective",
                "prior_stop_reason": "not_effective",
            }
        ],
        "current_treatment": "none",
        "routes_accepted": ["oral", "subcutaneous", "intravenous"],
        "infusion_travel": "yes",
        "mar_serious_harm": "1_in_1000",
        "safety_pregnancy": True,
    },
    "sle": {
        "goal": "Less tiredness and joint pain",
        "sle_flares_12m": 3,
        "sle_symptoms": ["joint_pain", "rash", "fatigue"],
        "sle_kidney": "yes_now",
        "sle_fatigue": 8,
        "sle_pain": 7,
        "sle_overall": 8,
        "sle_daily_life": 7,
        "prior_treatments": [
            {
                "prior_therapy": "hydroxychloroquine",
                "prior_duration": "gt_3_years",
                "prior_effect": "partly",
                "prior_stop_reason": "still_taking",
            }
        ],
        "current_treatment": "hydroxychloroquine",
        "current_treatment_satisfaction": 5,
        "safety_infection": True,
        "sure_understand": False,
    },
    "vitiligo": {
        "vit_spreading": "slow",
        "vit_area": "lt_3",
        "vit_sites": ["face", "hands"],
        "vit_impact": 4,
        "prior_treatments": [],
        "current_treatment": "none",
        "experimental_openness": "no",
    },
}

# The same patient answering in Chinese: the free text is theirs, in their words.
CHINESE_TEXT = {
    "goal": "希望在夏天之前皮肤好转",
    "own_questions": "打针会疼吗？\n我还能出国工作吗？",
}


def demo_answers(condition: str, **overrides: Any) -> dict[str, Any]:
    """The demo answers for ``condition`` (the condition itself is preset by the invitation)."""
    answers = {**COMMON, **CONDITION_ANSWERS[condition], **overrides}
    if condition == "multiple_sclerosis":
        answers.pop("safety_demyelinating", None)  # not asked for MS
    return answers


def demo_content_ensure() -> Questionnaire:
    """The shipped questionnaire (published) and therapy profiles, loaded once per database."""
    demo_questionnaire_ensure(path=DEMO_QUESTIONNAIRES[0])
    therapies_load()
    return Questionnaire.objects.get(slug="treatment-discussion")


def submitted_demo_response(
    *,
    questionnaire: Questionnaire,
    condition: str,
    language: str = "en",
    patient_ref: str = "DEMO-001",
    team: Team | None = None,
    answers: Mapping[str, Any] | None = None,
) -> Response:
    """Invite, answer every walked step through the services, submit; returns the response."""
    invitation, _token = invitation_create(
        questionnaire=questionnaire,
        patient_ref=patient_ref,
        disease=condition,
        language=language,
        team=team,
    )
    response = submitted_response_for(
        invitation=invitation, answers=answers or demo_answers(condition), language=language
    )
    return response


def submitted_response_for(*, invitation, answers: Mapping[str, Any], language: str) -> Response:
    response = response_start(invitation=invitation, language=language)
    walked: set[str] = set()
    # Steps appear as answers make them visible: save each newly walked step until none is left.
    while True:
        walk = Walk.for_response(response)
        pending = [key for key in walk.step_keys if key not in walked]
        if not pending:
            break
        step_key = pending[0]
        step = walk.step(step_key)
        values = {
            question.key: answers[question.key]
            for question in step.questions
            if question.key in answers and question.key not in walk.preset
        }
        response = response_save_step(
            response=response,
            step=step_key,
            expected_revision=response.revision,
            values=values,
        )
        walked.add(step_key)
    return response_submit(response=response, expected_revision=response.revision)


# The clinician PDF: page 1 (the consultation's view), the options, then the appendix of
# every answer (issue 10). Psoriasis, with 19 options since issue 8, takes five pages; the
# three-page aim of issue 5 is not met there (next step: compact rows for the options not
# suitable now). A longer document fails here, so growth is a decision, not an accident.
CLINICIAN_PDF_MAX_PAGES = 5

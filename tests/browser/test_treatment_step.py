"""Issue 10, acceptance 2: the treatment-history step of a psoriasis patient with two earlier
treatments fits in three phone screens (390×844), with and without JavaScript, axe clean.
"""

from __future__ import annotations

import pytest

from tests.browser.support import (
    PatientPages,
    assert_accessible,
    assert_accessible_without_scripts,
    response_for,
    screenshot,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MAX_SCREENS = 3
TWO_EARLIER_TREATMENTS = [
    {
        "prior_therapy": "methotrexate",
        "prior_duration": "1_3_years",
        "prior_effect": "partly",
        "prior_stop_reason": "side_effects",
    },
    {
        "prior_therapy": "adalimumab",
        "prior_duration": "3_12_months",
        "prior_effect": "not_effective",
        "prior_stop_reason": "not_effective",
    },
]


def walk_to_treatment_step(patient: PatientPages) -> None:
    patient.start()
    while patient.step_key != "treatment_history":
        patient.fill_step()
        patient.continue_()


@pytest.mark.parametrize(
    ("language", "javascript"),
    [("en", True), ("en", False), ("zh-hans", True)],
    ids=["en-js", "en-no-js", "zh-js"],
)
def test_treatment_step_with_two_earlier_treatments_fits_three_phone_screens(
    new_context, invitation_link, language, javascript
):
    link = invitation_link(disease="psoriasis", lang=language)
    page = new_context(viewport=PHONE, java_script_enabled=javascript).new_page()
    patient = PatientPages(page)
    page.goto(link)
    walk_to_treatment_step(patient)

    patient.fill_step(
        {
            "prior_treatments": TWO_EARLIER_TREATMENTS,
            "current_treatment": "secukinumab",
            "current_treatment_satisfaction": 7,
        }
    )
    height = page.evaluate("document.documentElement.scrollHeight")
    name = f"treatment-step-psoriasis-two-rows-{language}-{'js' if javascript else 'no-js'}"
    screenshot(page, name)
    assert height <= MAX_SCREENS * PHONE["height"], (
        f"the treatment step is {height} px tall: {height / PHONE['height']:.1f} phone screens"
    )
    if javascript:
        assert_accessible(page, name)
    else:
        scanner = new_context(viewport=PHONE).new_page()
        assert_accessible_without_scripts(page, name, scanner=scanner)

    patient.continue_()
    assert patient.step_key == "safety"
    answers = response_for(link).answers
    assert answers["prior_treatments"] == TWO_EARLIER_TREATMENTS
    assert answers["current_treatment"] == "secukinumab"
    assert answers["current_treatment_satisfaction"] == 7

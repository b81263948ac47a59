"""Issue 3: a patient answers the demo questionnaire in Chromium, from the link the
``create_invitation`` command prints to the confirmation page.

English and Chinese, with and without JavaScript; going back and changing answers;
resuming on another device; a branch that drops answers of questions that became hidden;
axe-core on every page and on the error state; small screens and 200 % zoom.
"""

from __future__ import annotations

import pytest

from tests.browser.support import (
    CJK,
    PatientPages,
    assert_accessible,
    assert_accessible_without_scripts,
    assert_no_horizontal_overflow,
    response_for,
    screenshot,
)

pytestmark = pytest.mark.browser

# The psoriasis walk: the condition is preset by the invitation, so its question is not shown.
PSORIASIS_STEPS = [
    "about_you",
    "activity_psoriasis",
    "treatment_history",
    "safety",
    "priorities",
    "your_questions",
    "readiness",
]
# One row of the repeat group "treatments used before" (the walk adds a second with the button).
PRIOR_METHOTREXATE = {
    "prior_therapy": "methotrexate",
    "prior_duration": "1_3_years",
    "prior_effect": "partly",
    "prior_stop_reason": "side_effects",
}


def test_english_with_javascript_every_page_accessible_and_hidden_answers_dropped(
    new_context, invitation_link
):
    link = invitation_link()
    page = new_context().new_page()
    patient = PatientPages(page)
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "en"
    # The live server serves the static files: the site's stylesheet is applied.
    assert page.evaluate("document.styleSheets[0].href").endswith("/static/css/sdm.css")
    assert page.evaluate("getComputedStyle(document.body).overflowWrap") == "break-word"
    assert_accessible(page, "en-js-landing")
    patient.start()

    # The error state: "Continue" on a step with a required question left empty.
    assert patient.step_key == "about_you"
    patient.click_and_wait("continue")
    summary = page.get_by_test_id("error-summary")
    assert summary.is_visible()
    assert page.title().startswith("Error:")
    assert page.evaluate("document.activeElement.dataset.testid") == "error-summary"
    assert_accessible(page, "en-js-error-about_you")
    summary.locator("a[href='#id_about_you-age']").click()
    assert page.evaluate("document.activeElement.id") == "id_about_you-age"

    def on_step(step: str) -> None:
        progress = page.get_by_test_id("progress").inner_text()
        assert f"Step {PSORIASIS_STEPS.index(step) + 1} of {len(PSORIASIS_STEPS)}" in progress
        if step == "priorities":
            # A question that depends on an answer on the same page appears as it applies.
            travel = patient.wrapper("infusion_travel")
            assert not travel.is_visible()
            patient.set_answer("routes_accepted", ["oral", "intravenous"])
            assert travel.is_visible()
        assert_accessible(page, f"en-js-step-{step}")

    visited = patient.walk_to_check(
        {"routes_accepted": ["oral", "intravenous"], "infusion_travel": "sometimes"},
        on_step=on_step,
    )
    assert visited == PSORIASIS_STEPS
    assert "infusion_travel" in patient.check_page_rows()["priorities"]
    assert_accessible(page, "en-js-check")

    # Change the branch from the check page: intravenous no longer accepted.
    patient.click_and_wait("change-routes_accepted")
    assert patient.step_key == "priorities"
    assert page.get_by_test_id("continue").inner_text() == "Save and go back to your answers"
    patient.set_answer("routes_accepted", ["oral"])
    assert not patient.wrapper("infusion_travel").is_visible()
    patient.continue_()
    assert patient.on_check_page(), "a Change link must lead back to the check page"
    rows = patient.check_page_rows()
    assert "routes_accepted" in rows["priorities"]
    assert "infusion_travel" not in rows["priorities"]
    assert page.get_by_test_id("change-infusion_travel").count() == 0

    patient.submit()
    assert page.get_by_test_id("confirmation").is_visible()
    assert_accessible(page, "en-js-confirmation")
    answers = response_for(link).answers
    assert answers["routes_accepted"] == ["oral"]
    assert "infusion_travel" not in answers
    assert answers["condition"] == "psoriasis"


def test_chinese_with_javascript_after_switching_language(new_context, invitation_link):
    link = invitation_link(lang="en")
    page = new_context().new_page()
    patient = PatientPages(page)
    definition = patient.definition
    page.goto(link)
    patient.click_and_wait("language-zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == definition.title["zh-hans"]
    assert page.get_by_test_id("language-en").is_visible()  # the way back to English
    assert_accessible(page, "zh-js-landing")
    patient.start()

    steps = {step.key: step for step in definition.steps}

    def on_step(step: str) -> None:
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator("h1").inner_text() == steps[step].title["zh-hans"]
        # The page's own words are translated too, not only the questionnaire's.
        assert CJK.search(page.get_by_test_id("progress").inner_text())
        assert CJK.search(page.get_by_test_id("continue").inner_text())
        for question in steps[step].questions:
            wrapper = patient.wrapper(question.key)
            if question.kind != "display" and wrapper.count() and wrapper.is_visible():
                assert question.text["zh-hans"] in wrapper.inner_text()
        assert_accessible(page, f"zh-js-step-{step}")

    patient.walk_to_check(
        {"goal": "皮肤好一些", "own_questions": "需要多久才见效？"}, on_step=on_step
    )
    headings = page.locator("h2").all_inner_texts()
    for step in PSORIASIS_STEPS:
        assert steps[step].title["zh-hans"] in headings
    assert "需要多久才见效？" in page.get_by_test_id("summary-your_questions").inner_text()
    assert_accessible(page, "zh-js-check")
    patient.submit()
    assert page.get_by_test_id("confirmation").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert_accessible(page, "zh-js-confirmation")
    response = response_for(link)
    assert response.language == "zh-hans"
    assert response.answers["own_questions"] == "需要多久才见效？"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_without_javascript(new_context, invitation_link, language):
    link = invitation_link(lang=language)
    page = new_context(java_script_enabled=False).new_page()
    patient = PatientPages(page)
    scanner = new_context().new_page()

    def scan(name: str) -> None:
        assert_accessible_without_scripts(page, name, scanner=scanner)

    page.goto(link)
    assert page.locator("html").get_attribute("lang") == language
    patient.start()

    # The error state, rendered by the server alone.
    patient.click_and_wait("continue")
    assert page.get_by_test_id("error-summary").is_visible()
    assert page.locator("#id_about_you-age-error").is_visible()
    scan(f"{language}-nojs-error-about_you")

    def on_step(step: str) -> None:
        if step == "priorities":
            # Without JavaScript the dependent question stays on the page; the patient may
            # answer it although intravenous is not ticked, and the server ignores it.
            assert patient.wrapper("infusion_travel").is_visible()
        scan(f"{language}-nojs-step-{step}")

    visited = patient.walk_to_check(
        {"routes_accepted": ["subcutaneous"], "infusion_travel": "yes"}, on_step=on_step
    )
    assert visited == PSORIASIS_STEPS
    assert "infusion_travel" not in patient.check_page_rows()["priorities"]

    # "Back" works without JavaScript too and shows the saved answers.
    with page.expect_navigation():
        page.locator("form a.link[href$='/step/readiness/']").click()
    assert patient.step_key == "readiness"
    assert patient.is_answered("preferred_role")
    patient.continue_()
    assert patient.on_check_page()
    scan(f"{language}-nojs-check")
    patient.submit()
    assert page.get_by_test_id("confirmation").is_visible()
    assert page.locator("html").get_attribute("lang") == language
    scan(f"{language}-nojs-confirmation")
    answers = response_for(link).answers
    assert answers["routes_accepted"] == ["subcutaneous"]
    assert "infusion_travel" not in answers


def test_back_and_change(new_context, invitation_link):
    link = invitation_link()
    page = new_context().new_page()
    patient = PatientPages(page)
    page.goto(link)
    patient.start()
    patient.fill_step({"age": 40})
    patient.continue_()
    patient.fill_step({"pso_area": "lt_3"})
    patient.continue_()
    assert patient.step_key == "treatment_history"

    # Back, change an answer, continue: the change sticks.
    patient.click_and_wait("back")
    assert patient.step_key == "activity_psoriasis"
    assert page.locator("#id_activity_psoriasis-pso_area_1").is_checked()
    patient.set_answer("pso_area", "gt_10")
    patient.continue_()
    patient.click_and_wait("back")
    assert page.locator("#id_activity_psoriasis-pso_area_3").is_checked()
    assert not page.locator("#id_activity_psoriasis-pso_area_1").is_checked()

    # What was typed before pressing "Back" is kept, not lost.
    patient.continue_()
    patient.set_answer("current_treatment", "adalimumab")
    patient.click_and_wait("back")
    patient.continue_()
    assert patient.step_key == "treatment_history"
    # A long list is a select (issue 10: the treatment step on a phone).
    current = page.locator("select#id_treatment_history-current_treatment")
    assert current.input_value() == "adalimumab"

    patient.walk_to_check({"current_treatment": "adalimumab"})
    area_labels = {c.value: c.label["en"] for c in patient.questions["pso_area"].choices}
    area_text = page.get_by_test_id("summary-activity_psoriasis").inner_text()
    assert area_labels["gt_10"] in area_text
    assert area_labels["lt_3"] not in area_text

    # A "Change" link returns to the check page once the step is saved.
    patient.click_and_wait("change-age")
    assert patient.step_key == "about_you"
    assert page.locator("#id_about_you-age").input_value() == "40"
    patient.set_answer("age", 55)
    patient.continue_()
    assert patient.on_check_page()
    assert "55" in page.get_by_test_id("summary-about_you").inner_text()
    response = response_for(link)
    assert response.answers["age"] == 55
    assert response.answers["pso_area"] == "gt_10"


def test_resume_on_another_device_lands_on_the_first_unanswered_step(new_context, invitation_link):
    link = invitation_link()
    first = PatientPages(new_context().new_page())
    first.page.goto(link)
    first.start()
    first.fill_step({"age": 61})
    first.continue_()
    first.fill_step({"pso_area": "3_to_10", "pso_joint_pain": True})
    first.continue_()
    assert first.step_key == "treatment_history"
    first.click_and_wait("save-exit")
    assert first.page.get_by_test_id("saved-notice").is_visible()
    assert_accessible(first.page, "en-js-saved")

    # Another device: nothing shared with the first context but the link.
    second = PatientPages(new_context(viewport={"width": 390, "height": 844}).new_page())
    second.page.goto(link)
    second.click_and_wait("continue")
    assert second.step_key == "treatment_history"
    second.click_and_wait("back")
    assert second.step_key == "activity_psoriasis"
    area = second.option_index(second.questions["pso_area"], "3_to_10")
    assert second.page.locator(f"#id_activity_psoriasis-pso_area_{area}").is_checked()
    assert second.page.locator("#id_activity_psoriasis-pso_joint_pain_0").is_checked()
    second.click_and_wait("back")
    assert second.page.locator("#id_about_you-age").input_value() == "61"
    second.continue_()
    second.continue_()
    assert second.step_key == "treatment_history"


def test_small_screen_and_200_percent_zoom_do_not_scroll_sideways(new_context, invitation_link):
    """360 CSS px is a small phone. 200 % zoom of that window is emulated honestly with a
    180 CSS px layout viewport at device scale factor 2: browser zoom makes each CSS pixel two
    device pixels, so the page lays out in half as many CSS pixels (the same media queries
    and line breaks as real zoom); the screenshots are 360 device pixels wide either way."""
    link = invitation_link()
    phone = PatientPages(new_context(viewport={"width": 360, "height": 740}).new_page())
    zoomed = PatientPages(
        new_context(viewport={"width": 180, "height": 370}, device_scale_factor=2).new_page()
    )
    phone.page.goto(link)
    assert_no_horizontal_overflow(phone.page, width=360, name="landing at 360px")
    phone.start()
    step_urls = {}

    def on_step(step: str) -> None:
        step_urls[step] = phone.page.url
        assert_no_horizontal_overflow(phone.page, width=360, name=f"{step} at 360px")

    phone.walk_to_check(
        {"prior_treatments": [PRIOR_METHOTREXATE, PRIOR_METHOTREXATE]}, on_step=on_step
    )
    screenshot(phone.page, "360px-check")
    assert_no_horizontal_overflow(phone.page, width=360, name="check page at 360px")
    phone.page.goto(step_urls["priorities"])
    screenshot(phone.page, "360px-step-priorities")
    phone.page.goto(step_urls["treatment_history"])
    screenshot(phone.page, "360px-step-treatment_history")

    for step, url in step_urls.items():
        zoomed.page.goto(url)
        assert zoomed.step_key == step
        assert_no_horizontal_overflow(zoomed.page, width=180, name=f"{step} at 200% zoom")
    screenshot(zoomed.page, "200pct-step-readiness")
    zoomed.page.goto(link)
    zoomed.click_and_wait("continue")
    assert zoomed.on_check_page()
    assert_no_horizontal_overflow(zoomed.page, width=180, name="check page at 200% zoom")
    screenshot(zoomed.page, "200pct-check")

    phone.page.goto(link)
    phone.click_and_wait("continue")
    phone.submit()
    assert phone.page.get_by_test_id("confirmation").is_visible()
    assert_no_horizontal_overflow(phone.page, width=360, name="confirmation at 360px")
    screenshot(phone.page, "360px-confirmation")
    zoomed.page.goto(link)  # a submitted response's link leads to its confirmation
    assert zoomed.page.get_by_test_id("confirmation").is_visible()
    assert_no_horizontal_overflow(zoomed.page, width=180, name="confirmation at 200% zoom")
    screenshot(zoomed.page, "200pct-confirmation")

"""Issue 10, acceptance 6 in Chromium: the character count (limit stated without JavaScript,
a live count with it) and a language switch that keeps the page's unsaved answers."""

from __future__ import annotations

import pytest

from tests.browser.support import PatientPages, assert_accessible, response_for

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def walk_to(patient: PatientPages, step: str) -> None:
    patient.start()
    while patient.step_key != step:
        patient.fill_step()
        patient.continue_()


def test_character_count_is_live_with_javascript(new_context, invitation_link):
    page = new_context(viewport=PHONE).new_page()
    patient = PatientPages(page)
    page.goto(invitation_link())
    walk_to(patient, "your_questions")
    goal = page.locator("#id_your_questions-goal")
    count = patient.wrapper("goal").locator(".character-count-message[aria-hidden='true']")
    assert count.inner_text() == "You have 200 characters remaining"
    goal.fill("希望能控制复发")
    assert count.inner_text() == "You have 193 characters remaining"
    goal.fill("x" * 201)
    assert count.inner_text() == "You have 1 character too many"
    assert "character-count-over" in count.get_attribute("class")
    # The stated limit stays the field's description for screen readers.
    assert "id_your_questions-goal-info" in goal.get_attribute("aria-describedby")
    assert_accessible(page, "character-count-over")


def test_limit_is_stated_before_typing_and_language_switch_keeps_typing_without_javascript(
    new_context, invitation_link
):
    link = invitation_link()
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    patient = PatientPages(page)
    page.goto(link)
    walk_to(patient, "your_questions")
    info = page.locator("#id_your_questions-goal-info")
    assert info.is_visible() and info.inner_text() == "You can enter up to 200 characters"

    page.locator("#id_your_questions-goal").fill("Keep my job")
    page.locator("#id_your_questions-own_questions").fill("How often are the injections?")
    patient.click_and_wait("language-zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert patient.step_key == "your_questions"
    assert page.locator("#id_your_questions-goal").input_value() == "Keep my job"
    assert (
        page.locator("#id_your_questions-own_questions").input_value()
        == "How often are the injections?"
    )
    assert page.locator("#id_your_questions-goal-info").inner_text() == "最多可以输入 200 个字"
    assert "goal" not in response_for(link).answers  # kept as typed, not yet answered
    patient.continue_()
    assert response_for(link).answers["goal"] == "Keep my job"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_enter_in_a_field_continues_and_never_switches_language(
    new_context, invitation_link, javascript
):
    link = invitation_link()
    page = new_context(viewport=PHONE, java_script_enabled=javascript).new_page()
    patient = PatientPages(page)
    page.goto(link)
    walk_to(patient, "your_questions")
    page.locator("#id_your_questions-goal").fill("Keep my job")
    with page.expect_navigation():
        page.locator("#id_your_questions-goal").press("Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert patient.step_key == "readiness"
    assert response_for(link).answers["goal"] == "Keep my job"


def test_none_of_these_unticks_the_others_and_is_unticked_by_them(new_context, invitation_link):
    page = new_context(viewport=PHONE).new_page()
    patient = PatientPages(page)
    page.goto(invitation_link())
    walk_to(patient, "activity_psoriasis")
    question = patient.questions["pso_visible_areas"]
    values = [choice.value for choice in question.choices]
    boxes = {
        v: page.locator(f"#id_activity_psoriasis-pso_visible_areas_{i}")
        for i, v in enumerate(values)
    }
    boxes["face"].check()
    boxes["scalp"].check()
    boxes["none"].check()
    assert [v for v in values if boxes[v].is_checked()] == ["none"]
    boxes["nails"].check()
    assert [v for v in values if boxes[v].is_checked()] == ["nails"]
    divider = patient.wrapper("pso_visible_areas").locator(".choices-divider")
    assert divider.inner_text() == "or"
    assert_accessible(page, "exclusive-checkboxes")

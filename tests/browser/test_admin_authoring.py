"""The content admin's journey in Chromium: clone the published demo questionnaire, change a
question's wording, add a choice, add a question shown only when joint pain is "yes" (its
condition picked in the builder, no JSON typed), preview it as a patient and publish it
through the confirmation page. axe-core runs on every admin page and every preview step visited,
and finds nothing there, not even a minor finding."""

from __future__ import annotations

import json

import pytest

from questionnaires.models import Question, QuestionnaireVersion, Step, VersionStatus
from questionnaires.services.definitions import definition_for_version
from questionnaires.services.demo_accounts import demo_accounts_ensure
from tests.browser.support import (
    PatientPages,
    format_violations,
    output_path,
    safe_name,
)
from tests.browser.support import assert_accessible as assert_patient_page_accessible

pytestmark = pytest.mark.django_db(transaction=True)

NEW_WORDING = "Right now, roughly how much of your skin has psoriasis on it?"
NEW_QUESTION = "swollen_joints_today"


def assert_accessible(page, name: str) -> None:
    """axe-core as in ``support.assert_accessible``, without axe's stylesheet preloading:
    Django's admin ``forms.css`` uses ``@import``, which axe reads by injecting an inline
    <style> that our Content Security Policy (rightly) refuses. Only the one rule that
    reads the CSSOM (css-orientation-lock) is affected.

    Unlike the patient pages' check, any violation fails, whatever its impact: the admin
    pages were made clean (an h1 on the login page, a named first column in the inline
    tables), and stay so."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False}).response
    output_path("axe", f"{safe_name(name)}.json").write_text(
        json.dumps({"url": page.url, "violations": results["violations"]}, indent=2),
        encoding="utf-8",
    )
    violations = results["violations"]
    assert not violations, f"axe-core on {name} ({page.url}):\n" + format_violations(violations)


def assert_preview_step_accessible(page, name: str) -> None:
    """A patient page of the preview: the patient pages' check (its stylesheets preloaded),
    and here too no violation of any impact."""
    violations = assert_patient_page_accessible(page, name)
    assert not violations, f"axe-core on {name} ({page.url}):\n" + format_violations(violations)


def admin_login(page, live_server) -> None:
    credentials = {username: password for _role, username, password in demo_accounts_ensure()}
    page.goto(f"{live_server.url}/admin/login/?next=/admin/questionnaires/questionnaireversion/")
    assert_accessible(page, "admin-login")
    page.fill("#id_username", "admin")
    page.fill("#id_password", credentials["admin"])
    with page.expect_navigation():
        page.locator("input[type=submit]").click()


def save_and_continue(page) -> None:
    with page.expect_navigation():
        page.locator("input[name=_continue]").click()
    errors = page.locator(".errornote, .errorlist")
    assert errors.count() == 0, errors.all_inner_texts()


def test_clone_edit_build_a_condition_preview_and_publish(new_context, demo_content, live_server):
    published = demo_content
    page = new_context().new_page()
    admin_login(page, live_server)

    # Clone the published version from the list.
    assert_accessible(page, "admin-version-list")
    page.locator(f"input[name=_selected_action][value='{published.pk}']").check()
    page.select_option("select[name=action]", "clone_to_draft")
    with page.expect_navigation():
        page.locator("button[name=index]").click()
    draft = QuestionnaireVersion.objects.get(
        questionnaire=published.questionnaire, status=VersionStatus.DRAFT
    )
    with page.expect_navigation():
        page.locator(f"a[href$='/questionnaireversion/{draft.pk}/change/']").first.click()
    assert page.get_by_test_id("lint-report").is_visible()
    assert_accessible(page, "admin-version-page")

    # The psoriasis step's page: new wording for one question, one new question.
    step = Step.objects.get(version=draft, key="activity_psoriasis")
    with page.expect_navigation():
        page.locator(f"a[href$='/step/{step.pk}/change/']").click()
    assert_accessible(page, "admin-step-page")
    row = page.locator("input[value='pso_area']").get_attribute("name").removesuffix("-key")
    page.fill(f"[name='{row}-text_en']", NEW_WORDING)
    total = int(page.locator("[name='questions-TOTAL_FORMS']").input_value())
    page.get_by_text("Add another Question").click()
    new = f"questions-{total}"
    page.fill(f"[name='{new}-order']", "99")
    page.fill(f"[name='{new}-key']", NEW_QUESTION)
    page.select_option(f"[name='{new}-kind']", "yes_no")
    page.fill(f"[name='{new}-text_en']", "Is any joint swollen today?")
    page.fill(f"[name='{new}-text_zh_hans']", "今天有关节肿胀吗？")
    save_and_continue(page)
    assert Question.objects.get(step=step, key="pso_area").text_en == NEW_WORDING
    added = Question.objects.get(step=step, key=NEW_QUESTION)

    # The new question's page: its condition from the builder's lists.
    with page.expect_navigation():
        page.locator(f"a[href$='/question/{added.pk}/change/']").click()
    assert_accessible(page, "admin-question-page")
    page.select_option("[name=cond_0_q]", "pso_joint_pain")
    # The script narrows the lists to what fits a yes/no question.
    hidden = "option => option.hidden"
    assert page.locator("[name=cond_0_op] option[value=gt]").evaluate(hidden)
    assert not page.locator("[name=cond_0_op] option[value=eq]").evaluate(hidden)
    assert page.locator("[name=cond_0_choice] optgroup[label=pso_area]").evaluate(hidden)
    page.select_option("[name=cond_0_op]", "eq")
    page.select_option("[name=cond_0_choice]", "pso_joint_pain=true")
    save_and_continue(page)
    added.refresh_from_db()
    assert added.show_if == {"q": "pso_joint_pain", "op": "eq", "value": True}

    # A new choice on another question of the step.
    visible_areas = Question.objects.get(step=step, key="pso_visible_areas")
    with page.expect_navigation():
        page.locator("[data-testid=step-link]").click()
    with page.expect_navigation():
        page.locator(f"a[href$='/question/{visible_areas.pk}/change/']").click()
    assert_accessible(page, "admin-question-page-with-choices")
    choices = int(page.locator("[name$='choices-TOTAL_FORMS']").input_value())
    prefix = page.locator("[name$='choices-TOTAL_FORMS']").get_attribute("name")
    prefix = prefix.removesuffix("-TOTAL_FORMS")
    page.get_by_text("Add another Choice").click()
    page.fill(f"[name='{prefix}-{choices}-order']", "4")
    page.fill(f"[name='{prefix}-{choices}-value']", "feet")
    page.fill(f"[name='{prefix}-{choices}-label_en']", "Feet")
    page.fill(f"[name='{prefix}-{choices}-label_zh_hans']", "脚")
    save_and_continue(page)
    assert "feet" in visible_areas.choices.values_list("value", flat=True)

    # Back on the version page the linter is satisfied; preview as a patient.
    with page.expect_navigation():
        page.goto(f"{live_server.url}/admin/questionnaires/questionnaireversion/{draft.pk}/change/")
    assert "Ready to publish" in page.get_by_test_id("lint-report").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("preview-as-patient").click()
    assert_accessible(page, "admin-preview-start")
    page.select_option("#preview-disease", "psoriasis")
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    patient = PatientPages(page, definition_for_version(draft))
    if page.get_by_test_id("start").count():
        patient.start()
    while patient.step_key != "activity_psoriasis":
        assert_preview_step_accessible(page, f"admin-preview-step-{patient.step_key}")
        patient.fill_step()
        patient.continue_()
    assert NEW_WORDING in patient.wrapper("pso_area").inner_text()
    assert page.locator("[id^='id_activity_psoriasis-pso_visible_areas_']").count() == 7
    assert not patient.wrapper(NEW_QUESTION).is_visible()
    patient.set_answer("pso_joint_pain", True)
    assert patient.wrapper(NEW_QUESTION).is_visible()
    assert_preview_step_accessible(page, "admin-preview-step-activity_psoriasis")
    patient.set_answer("pso_joint_pain", False)
    assert not patient.wrapper(NEW_QUESTION).is_visible()

    # Publish through the confirmation page.
    page.goto(f"{live_server.url}/admin/questionnaires/questionnaireversion/{draft.pk}/change/")
    with page.expect_navigation():
        page.get_by_test_id("publish").click()
    diff = page.get_by_test_id("diff").inner_text()
    assert NEW_QUESTION in diff and "feet" in diff and NEW_WORDING in diff
    assert_accessible(page, "admin-publish-confirm")
    with page.expect_navigation():
        page.get_by_test_id("confirm-publish").click()
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    assert published.status == VersionStatus.RETIRED
    assert_accessible(page, "admin-version-published")


def test_import_report_and_test_case_pages_are_accessible(new_context, demo_content, live_server):
    from questionnaires.models import Questionnaire
    from questionnaires.services.interop import version_export

    page = new_context().new_page()
    admin_login(page, live_server)
    with page.expect_navigation():
        page.get_by_test_id("import").click()
    assert_accessible(page, "admin-import-upload")
    _name, content = version_export(version=demo_content, fmt="fhir")
    page.set_input_files(
        "#id_file",
        files=[
            {"name": "demo.fhir.json", "mimeType": "application/json", "buffer": content.encode()}
        ],
    )
    with page.expect_navigation():
        page.get_by_test_id("upload").click()
    assert page.get_by_test_id("import-report").is_visible()
    assert_accessible(page, "admin-import-review")
    versions = demo_content.questionnaire.versions.count()
    with page.expect_navigation():
        page.get_by_test_id("cancel-import").click()
    assert demo_content.questionnaire.versions.count() == versions
    assert Questionnaire.objects.count() == 1

    page.goto(f"{live_server.url}/admin/questionnaires/simulationcase/add/")
    assert_accessible(page, "admin-test-case-add")

"""Issue 13, acceptance 2: an imported PHQ-9 whose total is a FHIRPath calculatedExpression.

Walked in the system Chromium: the total is computed on the server from the answers,
shown read-only (no input to type into) and marked as calculated; the exported
QuestionnaireResponse carries the same total, the sum of the chosen options' scores.
"""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from questionnaires.models import Response, Team
from questionnaires.selectors.definitions import version_definition
from questionnaires.services.response_export import response_export
from tests.browser.support import PatientPages, assert_accessible, response_for, screenshot

pytestmark = pytest.mark.browser

PHQ9 = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "fhir"
    / "findings"
    / ("10-phq9-calculated-total.json")
)
# Option codes by score (LOINC answer list LL358-3).
CODES = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
SCORES = [1, 2, 0, 3, 1, 2, 0, 1, 2]  # the patient's answers to the nine items


def _invitation(live_server) -> tuple[str, str]:
    out = StringIO()
    call_command("import_questionnaire", str(PHQ9), "--publish", stdout=out, stderr=StringIO())
    slug = out.getvalue().strip().splitlines()[-1].split()[0]
    out = StringIO()
    call_command(
        "create_invitation",
        "--questionnaire",
        slug,
        "--team",
        Team.objects.get_or_create(name="PHQ-9 test clinic")[0].name,
        "--base-url",
        live_server.url,
        stdout=out,
    )
    return slug, out.getvalue().strip().splitlines()[-1]


def test_acceptance_2_phq9_total_is_computed_read_only_and_exported(live_server, new_context):
    slug, link = _invitation(live_server)
    page = new_context().new_page()
    page.goto(link)
    if page.get_by_test_id("start").count():
        with page.expect_navigation():
            page.get_by_test_id("start").click()
    response = response_for(link)
    definition = version_definition(response.version)
    by_link = {q.link_id: q for q in definition.question_map().values()}
    items = [
        by_link[f"/{code}"]
        for code in (
            "44250-9",
            "44255-8",
            "44259-0",
            "44254-1",
            "44251-7",
            "44258-2",
            "44252-5",
            "44253-3",
            "44260-8",
        )
    ]
    total = by_link["/44261-6"]
    answers = {item.key: CODES[score] for item, score in zip(items, SCORES, strict=True)}

    patient = PatientPages(page, definition)
    patient.fill_step(answers)
    patient.continue_()
    # The score step: the total is there, computed, with nothing to type into.
    wrapper = patient.wrapper(total.key)
    assert wrapper.locator("input, select, textarea").count() == 0
    assert page.get_by_test_id(f"value-{total.key}").inner_text() == str(sum(SCORES))
    assert "Calculated from your answers" in wrapper.inner_text()
    screenshot(page, "phq9-calculated-total")
    assert_accessible(page, "phq9-calculated-total")
    patient.continue_()
    assert patient.on_check_page()
    patient.submit()

    response = Response.objects.get(pk=response.pk)
    assert response.is_submitted
    assert response.answers[total.key] == sum(SCORES)  # stored at submit
    exported = json.loads(response_export(response=response, fmt="fhir"))
    score_group = next(item for item in exported["item"] if item["linkId"] == "/score")
    (answer,) = score_group["item"][0]["answer"]
    scores = {c.value: c.score for c in items[0].choices}
    assert answer == {"valueInteger": int(sum(scores[answers[i.key]] for i in items))}
    assert sum(scores[answers[i.key]] for i in items) == Decimal(sum(SCORES))
    assert exported["questionnaire"] == (
        f"http://example.org/fhir/Questionnaire/phq-9-calculated|{response.version.number}"
    )
    assert slug

"""Issue 5: a clinician invites a patient, the patient answers, the clinician reads and reviews.

Login, dashboard, "invite a patient" (with its error state), the invitation page with the
link shown once, the patient's walk in a separate browser context, the dashboard showing
"Submitted", the response page with the summary, its PDF downloaded, "Mark as reviewed";
axe-core on every clinician page.
"""

from __future__ import annotations

import pytest

from questionnaires.models import AuditAction, AuditEvent, Response
from questionnaires.services.demo_accounts import demo_accounts_ensure
from tests.browser.support import PatientPages, assert_accessible, screenshot

pytestmark = pytest.mark.browser

PATIENT_REF = "BRW-0042"


def clinician_credentials() -> tuple[str, str]:
    return next(
        (username, password)
        for role, username, password in demo_accounts_ensure()
        if role == "clinician"
    )


def row_of(page, patient_ref: str):
    return page.locator("table.clinic-table tbody tr").filter(
        has=page.locator("th", has_text=patient_ref)
    )


def test_clinician_invites_reads_downloads_and_reviews(
    new_context, demo_content, live_server, settings
):
    settings.SDM_BASE_URL = live_server.url  # the link the invitation page shows
    username, password = clinician_credentials()
    clinic = new_context().new_page()

    # Login (the workspace sends an anonymous visitor there).
    clinic.goto("/clinic/")
    assert "/accounts/login/" in clinic.url
    assert_accessible(clinic, "clinic-login")
    clinic.locator("#id_username").fill(username)
    clinic.locator("#id_password").fill(password)
    with clinic.expect_navigation():
        clinic.locator("form.clinic-login button[type='submit']").click()
    assert clinic.url.rstrip("/").endswith("/clinic")
    assert clinic.locator("h1").inner_text() == "Patients"
    assert_accessible(clinic, "clinic-dashboard-empty")

    # Invite: first the error state, then a valid invitation.
    with clinic.expect_navigation():
        clinic.locator(".clinic-nav a[href$='/clinic/invitations/new/']").click()
    assert_accessible(clinic, "clinic-invite-form")
    with clinic.expect_navigation():
        clinic.locator("form.clinic-form button[type='submit']").click()
    assert clinic.locator(".clinic-error-summary").is_visible()
    assert_accessible(clinic, "clinic-invite-form-errors")
    clinic.locator("#id_patient_ref").fill(PATIENT_REF)
    clinic.locator("#id_condition").select_option("psoriasis")
    clinic.locator("#id_language").select_option("en")
    with clinic.expect_navigation():
        clinic.locator("form.clinic-form button[type='submit']").click()
    assert PATIENT_REF in clinic.locator("h1").inner_text()
    link = clinic.locator("#patient-link").input_value()
    assert link.startswith(f"{live_server.url}/p/")
    assert clinic.locator(".clinic-qr svg").count() == 1
    assert_accessible(clinic, "clinic-invitation-created")
    screenshot(clinic, "clinic-invitation-created")

    clinic.goto("/clinic/")
    assert row_of(clinic, PATIENT_REF).locator(".clinic-status-invited").is_visible()

    # The patient, on their own device.
    patient = PatientPages(new_context(viewport={"width": 390, "height": 844}).new_page())
    patient.page.goto(link)
    patient.start()
    patient.walk_to_check({"own_questions": "Is it safe with my asthma inhaler?"})
    patient.submit()
    assert patient.page.get_by_test_id("confirmation").is_visible()

    # The dashboard shows the submission; the response page shows the summary.
    clinic.reload()
    row = row_of(clinic, PATIENT_REF)
    assert row.locator(".clinic-status-submitted").inner_text() == "Submitted"
    assert_accessible(clinic, "clinic-dashboard-submitted")
    with clinic.expect_navigation():
        row.locator("th a").click()
    assert f"Patient {PATIENT_REF}" in clinic.locator("h1").inner_text()
    summary = clinic.locator(".summary-web")
    assert summary.is_visible()
    assert "Is it safe with my asthma inhaler?" in summary.inner_text()
    assert_accessible(clinic, "clinic-response-summary")
    screenshot(clinic, "clinic-response-summary")

    # The PDF.
    pdf_link = summary.locator("a[href*='summary.pdf']").first
    with clinic.expect_download() as download_info:
        pdf_link.click()
    download = download_info.value
    pdf = download.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    assert download.suggested_filename.endswith(".pdf")

    # Mark as reviewed.
    response = Response.objects.get(invitation__patient_ref=PATIENT_REF)
    assert response.reviewed_at is None
    with clinic.expect_navigation():
        clinic.locator("form.clinic-review button[type='submit']").click()
    assert clinic.locator(".clinic-message-success").is_visible()
    assert clinic.locator(".clinic-status-reviewed").is_visible()
    assert clinic.locator("form.clinic-review").count() == 0
    assert_accessible(clinic, "clinic-response-reviewed")
    response.refresh_from_db()
    assert response.reviewed_at is not None
    assert response.reviewed_by.username == username
    clinic.goto("/clinic/")
    assert row_of(clinic, PATIENT_REF).locator(".clinic-status-reviewed").is_visible()

    # Reading the summary and downloading its PDF were audit-logged.
    actions = set(
        AuditEvent.objects.filter(response_id_ref=response.pk).values_list("action", flat=True)
    )
    assert {AuditAction.SUMMARY_VIEWED, AuditAction.SUMMARY_PDF_DOWNLOADED} <= actions

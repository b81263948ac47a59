"""Patient URLs, mounted at /p/.

A patient reaches everything through the invitation token in the path; a content
admin's preview uses the same pages under ``preview/<response id>/`` (staff only).
Names: ``patient:<page>`` with ``token``, ``patient:preview_<page>`` with ``response_id``.
"""

from django.urls import path

from questionnaires.patient.wizard import PatientWizard
from questionnaires.views import patient, summary

app_name = "patient"


def _pages(base: str, name_prefix: str) -> list:
    wizard = PatientWizard.as_view(url_name=f"patient:{name_prefix}step")
    return [
        path(base, patient.landing, name=f"{name_prefix}landing"),
        path(f"{base}start/", patient.start, name=f"{name_prefix}start"),
        path(f"{base}resume/", patient.resume, name=f"{name_prefix}resume"),
        path(f"{base}language/", patient.language, name=f"{name_prefix}language"),
        path(f"{base}step/<str:step>/", wizard, name=f"{name_prefix}step"),
        path(f"{base}check/", patient.check_answers, name=f"{name_prefix}check"),
        path(f"{base}done/", patient.confirmation, name=f"{name_prefix}done"),
        path(f"{base}summary.pdf", summary.patient_summary_pdf, name=f"{name_prefix}summary_pdf"),
    ]


urlpatterns = _pages("preview/<int:response_id>/", "preview_") + _pages("<str:token>/", "")

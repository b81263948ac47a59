"""The project's URLs plus the summary routes, as the lead wires them (see the report).

Used with ``@pytest.mark.urls("tests.summary.urls")`` until the routes are in
``urls_clinician.py`` and ``urls_patient.py``; the lines added here are exactly those.
"""

from django.urls import include, path

from questionnaires import urls_clinician, urls_patient
from questionnaires.views import home, summary

clinician_patterns = [
    *urls_clinician.urlpatterns,
    path(
        "responses/<int:pk>/summary.pdf",
        summary.response_summary_pdf,
        name="response_summary_pdf",
    ),
]
patient_patterns = [
    path(
        "preview/<int:response_id>/summary.pdf",
        summary.patient_summary_pdf,
        name="preview_summary_pdf",
    ),
    path("<str:token>/summary.pdf", summary.patient_summary_pdf, name="summary_pdf"),
    *urls_patient.urlpatterns,
]

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", home.home, name="home"),
    path("p/", include((patient_patterns, "patient"), namespace="patient")),
    path("clinic/", include((clinician_patterns, "clinician"), namespace="clinician")),
]

"""Clinician URLs, mounted at /clinic/ (login and team membership required for every page)."""

from django.urls import path

from questionnaires.views import clinician, summary

app_name = "clinician"
urlpatterns = [
    path("", clinician.dashboard, name="dashboard"),
    path("invitations/new/", clinician.invitation_new, name="invitation_new"),
    path("invitations/<int:pk>/letter/", clinician.invitation_letter, name="invitation_letter"),
    path(
        "invitations/<int:pk>/revoke/",
        clinician.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("responses/<int:pk>/", clinician.response_detail, name="response_detail"),
    path("responses/<int:pk>/review/", clinician.response_review, name="response_review"),
    path(
        "responses/<int:pk>/summary.pdf",
        summary.response_summary_pdf,
        name="response_summary_pdf",
    ),
]

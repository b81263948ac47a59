"""Clinician URLs (owned by the clinician-workspace work)."""

app_name = "clinician"
urlpatterns: list = []

"""Patient URLs (owned by the patient-journey work)."""

app_name = "patient"
urlpatterns: list = []

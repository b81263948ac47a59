from django.urls import include, path

from questionnaires.views import home, patient_code

urlpatterns = [
    path("", home.home, name="home"),
    path("code/", patient_code.enter_code, name="enter_code"),
    path("p/", include("questionnaires.urls_patient")),
    path("clinic/", include("questionnaires.urls_clinician")),
]

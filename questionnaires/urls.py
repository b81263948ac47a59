from django.urls import include, path

from questionnaires.views import home

urlpatterns = [
    path("", home.home, name="home"),
    path("p/", include("questionnaires.urls_patient")),
    path("clinic/", include("questionnaires.urls_clinician")),
]

from django.urls import path

from questionnaires.views import home

urlpatterns = [
    path("", home.home, name="home"),
]

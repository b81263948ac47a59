from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from questionnaires.views import mfa
from questionnaires.views.auth import login_rate_limited, password_reset

urlpatterns = [
    # Both staff logins are rate-limited; these routes come before the ones they shadow.
    path("admin/login/", login_rate_limited(admin.site.login)),
    path(
        "accounts/login/",
        login_rate_limited(auth_views.LoginView.as_view()),
        name="login",
    ),
    # Shadows django.contrib.auth's: switched off without EMAIL_URL, rate-limited with it.
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("accounts/mfa/", mfa.verify, name="mfa_verify"),
    path("accounts/mfa/enrol/", mfa.enrol, name="mfa_enrol"),
    path("admin/", admin.site.urls),
    path("nested_admin/", include("nested_admin.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("questionnaires.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()

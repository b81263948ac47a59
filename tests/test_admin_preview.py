"""'Preview as patient': the view the lead wires into the version admin, and its link."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from questionnaires.admin.preview import preview_urls, version_preview
from questionnaires.models import QuestionnaireVersion, Response
from tests.factories import clinic_definition, draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_admin():
    return admin.site._registry[QuestionnaireVersion]


@pytest.fixture
def editor():
    return get_user_model().objects.create_superuser("editor", "e@example.org", "pw")


def request_as(user, method="get", data=None):
    request = getattr(RequestFactory(), method)("/admin/preview/", data or {})
    request.user = user
    request._dont_enforce_csrf_checks = True
    return request


def test_get_shows_the_choices_and_creates_nothing(model_admin, editor):
    version = draft(clinic_definition())
    page = version_preview(request_as(editor), version.pk, model_admin=model_admin)
    page.render()
    text = page.content.decode()
    assert 'name="language"' in text and 'name="disease"' in text
    assert not Response.objects.exists()


def test_post_starts_a_preview_response_of_the_draft(model_admin, editor):
    version = draft(clinic_definition())
    answer = version_preview(
        request_as(editor, "post", {"language": "zh-hans", "disease": "sle"}),
        version.pk,
        model_admin=model_admin,
    )
    preview = Response.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse(
        "patient:preview_resume", kwargs={"response_id": preview.pk}
    )
    assert preview.is_preview and preview.invitation is None and preview.version == version
    assert (preview.language, preview.answers) == ("zh-hans", {"condition": "sle"})


def test_staff_without_view_permission_is_refused(model_admin):
    version = publish(clinic_definition())
    staff = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    with pytest.raises(PermissionDenied):
        version_preview(request_as(staff, "post"), version.pk, model_admin=model_admin)
    assert not Response.objects.exists()


def test_preview_url_pattern_comes_before_the_admins_catch_all(model_admin):
    patterns = preview_urls(model_admin)
    assert [pattern.name for pattern in patterns] == ["questionnaires_questionnaireversion_preview"]
    assert patterns[0].resolve("12/preview/") is not None


def test_version_change_page_still_renders_without_the_preview_url_wired(client, editor):
    version = draft(clinic_definition())
    client.force_login(editor)
    url = reverse("admin:questionnaires_questionnaireversion_change", args=[version.pk])
    assert client.get(url).status_code == 200

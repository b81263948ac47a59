"""The authoring pages i11 added to the admin ask for the model permission, not just staff.

``admin_view`` lets any staff member in (the access matrix checks that non-staff are sent
to the admin login); past that door, previewing needs the view permission, publishing the
change permission, importing the add permission and exporting the view permission. A staff
member without them gets 403 and nothing happens.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from questionnaires.models import QuestionnaireVersion
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


def _urls(version_id: int) -> dict[str, str]:
    name = "admin:questionnaires_questionnaireversion_"
    return {
        "preview": reverse(name + "preview", args=[version_id]),
        "publish": reverse(name + "publish", args=[version_id]),
        "import": reverse(name + "import"),
        "import_review": reverse(name + "import_review", args=["no-such-upload"]),
        "export": reverse(name + "export", args=[version_id, "sdm"]),
    }


@pytest.fixture
def version_id() -> int:
    return make.published_questionnaire().published_version().pk


def _staff(client, *codenames: str):
    user = make.user("editor", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def test_staff_without_permissions_is_refused_every_authoring_page(client, version_id):
    _staff(client)
    before = QuestionnaireVersion.objects.count()
    answers = {page: client.get(url).status_code for page, url in _urls(version_id).items()}
    assert answers == dict.fromkeys(answers, 403)
    assert client.post(_urls(version_id)["publish"]).status_code == 403
    assert QuestionnaireVersion.objects.count() == before


def test_a_viewer_may_preview_and_export_but_not_publish_or_import(client, version_id):
    _staff(client, "view_questionnaireversion")
    answers = {page: client.get(url).status_code for page, url in _urls(version_id).items()}
    assert answers["publish"] == answers["import"] == answers["import_review"] == 403
    assert answers["export"] == 200
    assert answers["preview"] == 200  # the page that starts a preview walk

"""The short type-in code is a secret like the token: never in a URL we log unredacted.

``/code/`` takes it in the POST body; the browser is then sent to ``/p/<CODE>/``, which the
log filter redacts like any patient path (``questionnaires.logging``; the live gunicorn
check of that filter is ``test_live_logs.py``).
"""

from __future__ import annotations

import pytest
from django.test import Client

from questionnaires.logging import redact
from questionnaires.services.invitation_codes import code_for_token, grouped
from questionnaires.services.invitations import invitation_create
from tests import clinic_factories as make
from tests.factories import fresh_rate_limits  # noqa: F401  (autouse: clean counters)

pytestmark = pytest.mark.django_db


def test_a_typed_code_travels_in_the_body_and_its_patient_path_is_redacted():
    questionnaire = make.published_questionnaire()
    _invitation, token = invitation_create(
        questionnaire=questionnaire, patient_ref="P-CODE", team=make.team("Team A")
    )
    code = code_for_token(token)
    client = Client()
    form = client.get("/code/").content.decode()
    assert 'method="post" action="/code/"' in form
    answer = client.post("/code/", {"code": grouped(code).lower()})
    assert answer.status_code == 302
    location = answer["Location"]
    assert location == f"/p/{code}/"
    assert code not in redact(f"GET {location} HTTP/1.1")
    assert client.get(location).status_code == 200

"""A form body that cannot be decoded is a 400 with a message, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import clinic_definition, invite, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def start_url():
    _invitation, token = invite(publish(clinic_definition()))
    return f"/p/{token}/start/"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/x-www-form-urlencoded; charset=no-such-charset",
        "multipart/form-data; boundary=xyz; charset=utf-16",
    ],
)
def test_a_form_in_another_charset_is_refused_with_400(start_url, content_type):
    client = Client(enforce_csrf_checks=True)
    answer = client.generic("POST", start_url, b"a=\xff\xfe\x00\xd8x", content_type=content_type)
    assert answer.status_code == 400
    assert "could not be read" in answer.content.decode()
    assert "no-store" in answer["Cache-Control"]


def test_an_ordinary_form_passes_through(start_url):
    answer = Client().post(start_url, {"x": "y"})
    assert answer.status_code == 302

"""Therapy profiles as forms: routes as checkboxes; "mark reviewed" is a separate, audited
action that moves the evidence-review state (an edit does not)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from questionnaires.models import AuditAction, AuditEvent, Evidence, Therapy
from questionnaires.services.therapies import therapies_load
from tests.admin_forms import form_data
from tests.therapy_content import write_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_superuser("editor", "e@example.org", "pw")
    client.force_login(user)
    return user


@pytest.fixture
def loaded(tmp_path):
    therapies_load(path=write_content(tmp_path))


def overdue(therapy: Therapy) -> None:
    today = datetime.date.today()
    Evidence.objects.filter(therapy_links__therapy=therapy).update(
        checked=today - datetime.timedelta(days=400), next_review=today - datetime.timedelta(days=1)
    )


def test_marking_a_profile_reviewed_moves_its_review_date_and_is_audited(client, editor, loaded):
    therapy = Therapy.objects.get(slug="alpha_mab")
    overdue(therapy)
    changelist = reverse("admin:questionnaires_therapy_changelist")
    assert "past review" in client.get(changelist).content.decode()

    page = client.post(
        changelist, {"action": "mark_reviewed", "_selected_action": [therapy.pk]}, follow=True
    )
    assert "alpha_mab marked reviewed" in page.content.decode().lower()  # (capitalised)
    today = datetime.date.today()
    for source in Evidence.objects.filter(therapy_links__therapy=therapy):
        assert source.checked == today
        assert source.next_review == today + datetime.timedelta(days=365)
    event = AuditEvent.objects.get(action=AuditAction.THERAPY_REVIEWED)
    assert event.actor == editor
    assert event.object_repr == "alpha_mab"
    html = client.get(reverse("admin:questionnaires_therapy_change", args=[therapy.pk]))
    assert "past review" not in html.content.decode()


def test_editing_a_profile_does_not_count_as_reviewing_it(client, editor, loaded):
    therapy = Therapy.objects.get(slug="alpha_mab")
    overdue(therapy)
    url = reverse("admin:questionnaires_therapy_change", args=[therapy.pk])
    data = form_data(client.get(url).content.decode())
    data.pop("csrfmiddlewaretoken", None)
    data["name_en"] = "Alpha Mab (edited)"
    response = client.post(url, {**data, "_continue": "1"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert "past review" in client.get(url).content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.THERAPY_REVIEWED).exists()


def test_routes_are_ticked_not_typed(client, editor, loaded):
    therapy = Therapy.objects.get(slug="alpha_mab")
    url = reverse("admin:questionnaires_therapy_change", args=[therapy.pk])
    html = client.get(url).content.decode()
    assert 'type="checkbox" name="routes" value="oral"' in html
    data = form_data(html)
    data.pop("csrfmiddlewaretoken", None)
    data["routes"] = ["oral", "subcutaneous"]
    assert client.post(url, {**data, "_continue": "1"}).status_code == 302
    therapy.refresh_from_db()
    assert therapy.routes == ["oral", "subcutaneous"]


def test_criterion_values_are_one_number_field_each(client, editor, loaded):
    from questionnaires.models import Indication

    therapy = Therapy.objects.get(slug="alpha_mab")
    indication = Indication.objects.filter(therapy=therapy).order_by("pk").first()
    url = reverse("admin:questionnaires_therapy_change", args=[therapy.pk])
    html = client.get(url).content.decode()
    data = form_data(html)
    data.pop("csrfmiddlewaretoken", None)
    prefix = next(
        name.removesuffix("-id")
        for name, value in data.items()
        if name.endswith("-id") and value == str(indication.pk) and "indications" in name
    )
    stored = dict(indication.values)
    key = next(iter(stored))
    assert data[f"{prefix}-criterion__{key}"] == str(stored[key])  # shown as a number field
    assert f'name="{prefix}-values"' not in html  # no raw JSON to type

    # A save without changes keeps the revision and the values as they were.
    revision = therapy.revision
    assert client.post(url, {**data, "_continue": "1"}).status_code == 302
    therapy.refresh_from_db()
    indication.refresh_from_db()
    assert therapy.revision == revision
    assert indication.values == stored

    data[f"{prefix}-criterion__{key}"] = "12.50"
    data[f"{prefix}-uncertain"] = [key]
    response = client.post(url, {**data, "_continue": "1"})
    assert response.status_code == 302
    indication.refresh_from_db()
    assert indication.values == {**stored, key: "12.5"}
    assert indication.uncertain == [key]  # ticked, not typed
    therapy.refresh_from_db()
    assert therapy.revision == revision + 1

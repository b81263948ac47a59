"""The therapy admin: pages render, saving a change raises the revision, review flags,
and the simulator test-case actions."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from questionnaires.admin.therapy import _formsets_changed
from questionnaires.models import Evidence, SimulationCase, Therapy, TherapyRule
from questionnaires.services.definitions import version_create_from_definition
from questionnaires.services.therapies import therapies_load
from questionnaires.services.therapy_content import demo_definition
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


@pytest.mark.parametrize(
    "model", [Therapy, Evidence, TherapyRule, SimulationCase, "criterion"], ids=str
)
def test_list_and_add_pages_render(client, editor, loaded, model):
    name = model if isinstance(model, str) else model._meta.model_name
    for view in ("changelist", "add"):
        page = client.get(reverse(f"admin:questionnaires_{name}_{view}"))
        assert page.status_code == 200, (name, view)


def test_the_therapy_page_shows_indications_outcomes_and_references(client, editor, loaded):
    therapy = Therapy.objects.get(slug="alpha_mab")
    page = client.get(reverse("admin:questionnaires_therapy_change", args=[therapy.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "had clear or almost clear skin" in text  # an outcome, two inlines deep
    assert "Trial A, 2020" in text  # a reference
    assert "Alpha Mab（中文）" in text  # the Chinese column


def test_evidence_past_review_is_flagged_and_filterable(client, editor, loaded):
    today = datetime.date.today()
    Evidence.objects.filter(url="https://example.org/trial-a").update(
        checked=today - datetime.timedelta(days=400), next_review=today - datetime.timedelta(days=1)
    )
    url = reverse("admin:questionnaires_evidence_changelist")
    overdue = client.get(url, {"review": "overdue"}).content.decode()
    assert "Trial A, 2020" in overdue and "Guideline B, 2023" not in overdue
    assert "1 source(s) past review" in overdue
    therapies = client.get(reverse("admin:questionnaires_therapy_changelist")).content.decode()
    assert "past review" in therapies


def test_saving_a_change_raises_the_revision_and_a_no_op_save_does_not(editor, loaded):
    model_admin = admin.site._registry[Therapy]
    therapy = Therapy.objects.get(slug="alpha_mab")
    request = RequestFactory().post("/")
    request.user = editor

    def form(changed: bool):
        return SimpleNamespace(instance=therapy, has_changed=lambda: changed, save_m2m=lambda: None)

    model_admin.save_related(request, form(False), [], change=True)
    assert Therapy.objects.get(pk=therapy.pk).revision == 1
    model_admin.save_related(request, form(True), [], change=True)
    assert Therapy.objects.get(pk=therapy.pk).revision == 2


def test_nested_inline_changes_count_as_changes():
    unchanged = SimpleNamespace(has_changed=lambda: False, deleted_forms=[], forms=[])
    nested_change = SimpleNamespace(
        has_changed=lambda: False,
        deleted_forms=[],
        forms=[SimpleNamespace(nested_formsets=[SimpleNamespace(has_changed=lambda: True)])],
    )
    assert not _formsets_changed([unchanged])
    assert _formsets_changed([unchanged, nested_change])


def test_a_rule_with_a_condition_on_an_unknown_question_is_refused(client, editor, loaded):
    page = client.post(
        reverse("admin:questionnaires_therapyrule_add"),
        {
            "rule_id": "new_rule",
            "active": "on",
            "effect": "caution",
            "therapies": '["alpha_mab"]',
            "families": "[]",
            "target_classes": "[]",
            "condition": '{"q": "favourite_colour", "op": "answered"}',
            "clinician_message_en": "x",
            "patient_message_en": "y",
            "evidence_links-TOTAL_FORMS": "0",
            "evidence_links-INITIAL_FORMS": "0",
        },
    )
    assert page.status_code == 200
    assert "unknown question" in page.content.decode()
    assert not TherapyRule.objects.filter(rule_id="new_rule").exists()


def test_the_run_action_reports_each_case(client, editor, loaded):
    version = version_create_from_definition(definition=demo_definition())
    answers = {"condition": "psoriasis", "priority_ranking": ["effectiveness"]}
    passing = SimulationCase.objects.create(
        version=version, name="passes", answers=answers, expected_leader="alpha_mab"
    )
    failing = SimulationCase.objects.create(
        version=version, name="fails", answers=answers, expected_leader="beta_mab"
    )
    page = client.post(
        reverse("admin:questionnaires_simulationcase_changelist"),
        {"action": "run_cases", "_selected_action": [passing.pk, failing.pk]},
        follow=True,
    )
    text = page.content.decode()
    # (the admin capitalises the first letter of a message)
    assert "Passes: passed." in text
    assert "Fails: failed." in text and "expected &#x27;beta_mab&#x27;" in text

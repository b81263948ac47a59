"""Therapy profiles kept per process (selectors.therapies.profiles_current): a weighing after
the first reads only the stamp of the profile tables, and every way content changes (the
admin, loading the content files, "mark reviewed", a delete) is in the next weighing."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questionnaires.models import Indication, Result, Therapy
from questionnaires.selectors.therapies import PROFILE_MODELS
from questionnaires.services.therapies import demo_definition, therapies_load
from questionnaires.services.therapy_reviews import therapy_mark_reviewed
from questionnaires.services.weighing import weighing_compute
from tests.admin_forms import form_data
from tests.summary.builders import demo_content_ensure, submitted_demo_response
from tests.therapy_content import therapies_document, write_content

pytestmark = pytest.mark.django_db

PROFILE_TABLES = tuple(f'"{model._meta.db_table}"' for model in PROFILE_MODELS)


@pytest.fixture
def definition():
    return demo_definition()


@pytest.fixture
def loaded(tmp_path):
    therapies_load(path=write_content(tmp_path))


def weigh(definition):
    return weighing_compute(definition=definition, answers={"condition": "psoriasis"})


def profile_reads(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if any(f"FROM {table}" in query["sql"] for table in PROFILE_TABLES)
    ]


def test_a_second_weighing_reads_only_the_stamp(definition, loaded):
    with CaptureQueriesContext(connection) as queries:
        first = weigh(definition)
    assert profile_reads(queries), "the first weighing must read the profiles"
    with CaptureQueriesContext(connection) as queries:
        second = weigh(definition)
    assert len(queries) == 1, [query["sql"] for query in queries.captured_queries]
    assert profile_reads(queries) == []
    assert second == first


def test_changing_what_a_weighing_returned_does_not_change_the_next(definition, loaded):
    first = weigh(definition)
    expected = json.loads(json.dumps(first))
    alpha = first["options"]["alpha_mab"]
    alpha["common_side_effects"]["en"].append("Written by a caller")
    alpha["evidence"][0]["citation"] = "Changed by a caller"
    alpha["name"]["en"] = "Renamed by a caller"
    first["options"]["no_change"]["evidence"].clear()
    assert json.loads(json.dumps(weigh(definition))) == expected


def test_loading_changed_content_is_in_the_next_weighing(definition, loaded, tmp_path):
    assert weigh(definition)["options"]["alpha_mab"]["schedule"]["en"] == "Every 2 weeks"
    document = therapies_document()
    alpha = next(entry for entry in document["therapies"] if entry["slug"] == "alpha_mab")
    alpha["schedule"] = {"en": "Every 4 weeks", "zh-hans": "每4周一次"}
    therapies_load(path=write_content(tmp_path / "changed", therapies=document))
    assert weigh(definition)["options"]["alpha_mab"]["schedule"]["en"] == "Every 4 weeks"


def test_marking_a_profile_reviewed_is_in_the_next_weighing(definition, loaded):
    """Reviewing changes only the sources (not the therapy's revision): still seen."""
    today = timezone.localdate()
    before = weigh(definition)["options"]["alpha_mab"]["evidence"]
    assert all(entry["checked"] != today.isoformat() for entry in before)
    therapy = Therapy.objects.get(slug="alpha_mab")
    revision = therapy.revision
    therapy_mark_reviewed(therapy=therapy, actor=None)
    assert Therapy.objects.get(pk=therapy.pk).revision == revision
    after = weigh(definition)["options"]["alpha_mab"]["evidence"]
    assert [entry["checked"] for entry in after] == [today.isoformat()] * len(before)


def test_a_deleted_indication_is_gone_from_the_next_weighing(definition, loaded):
    assert "beta_mab" in weigh(definition)["options"]
    Indication.objects.get(therapy__slug="beta_mab", disease="psoriasis").delete()
    assert "beta_mab" not in weigh(definition)["options"]


# --- through the submit, with the shipped content --------------------------------------------


def test_an_admin_edit_is_in_the_next_submit_and_the_earlier_result_keeps_its_own(client):
    questionnaire = demo_content_ensure()
    first = submitted_demo_response(questionnaire=questionnaire, condition="psoriasis")
    before = Result.objects.get(response=first).weighing["options"]["adalimumab"]["name"]["en"]

    editor = get_user_model().objects.create_superuser("editor", "e@example.org", "pw")
    client.force_login(editor)
    therapy = Therapy.objects.get(slug="adalimumab")
    url = reverse("admin:questionnaires_therapy_change", args=[therapy.pk])
    data = form_data(client.get(url).content.decode())
    data.pop("csrfmiddlewaretoken", None)
    data["name_en"] = f"{before} (edited)"
    saved = client.post(url, {**data, "_continue": "1"})
    assert saved.status_code == 302, saved.context["adminform"].form.errors

    second = submitted_demo_response(
        questionnaire=questionnaire, condition="psoriasis", patient_ref="DEMO-002"
    )
    options = Result.objects.get(response=second).weighing["options"]
    assert options["adalimumab"]["name"]["en"] == f"{before} (edited)"
    assert options["adalimumab"]["revision"] == therapy.revision + 1
    frozen = Result.objects.get(response=first).weighing["options"]["adalimumab"]["name"]["en"]
    assert frozen == before

"""The condition builder on step and question pages: plain fields (no JavaScript) that write
the condition language, checked on save by the linter with its messages at the field."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from questionnaires.models import Question, Step
from questionnaires.services.definitions import version_create_from_definition, version_lint
from tests.admin_forms import form_data
from tests.builders import sample_definition

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 12))
    return client


@pytest.fixture
def version():
    return version_create_from_definition(definition=sample_definition())


def question_url(version, key: str) -> str:
    question = Question.objects.get(step__version=version, key=key)
    return f"/admin/questionnaires/question/{question.pk}/change/"


def page_data(admin_client, url: str, **changes) -> dict:
    data = form_data(admin_client.get(url).content.decode())
    data.pop("csrfmiddlewaretoken", None)
    for name in [name for name in data if name.startswith("cond_")]:
        data.pop(name)  # start from an empty builder; each test picks its own tests
    data.update(changes)
    data["_continue"] = "1"
    return data


def save(admin_client, url: str, **changes):
    return admin_client.post(url, page_data(admin_client, url, **changes))


def stored_condition(version, key: str):
    return Question.objects.get(step__version=version, key=key).show_if


def test_one_picked_test_is_saved_as_a_condition(admin_client, version):
    url = question_url(version, "sleep")
    response = save(
        admin_client,
        url,
        cond_0_q="itch",
        cond_0_op="eq",
        cond_0_choice='itch="a_lot"',
        cond_combinator="all",
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert stored_condition(version, "sleep") == {"q": "itch", "op": "eq", "value": "a_lot"}
    assert version_lint(version=version) == []


def test_several_tests_are_combined_with_any(admin_client, version):
    url = question_url(version, "sleep")
    response = save(
        admin_client,
        url,
        cond_combinator="any",
        cond_0_q="itch",
        cond_0_op="eq",
        cond_0_choice='itch="a_lot"',
        cond_1_q="itch",
        cond_1_op="in",
        cond_1_text="some, none",
    )
    assert response.status_code == 302
    assert stored_condition(version, "sleep") == {
        "any": [
            {"q": "itch", "op": "eq", "value": "a_lot"},
            {"q": "itch", "op": "in", "value": ["some", "none"]},
        ]
    }


def test_an_operator_that_does_not_fit_is_refused_at_the_operator(admin_client, version):
    url = question_url(version, "sleep")
    before = stored_condition(version, "sleep")
    response = save(admin_client, url, cond_0_q="itch", cond_0_op="gt", cond_0_text="1")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "cond_0_op" in errors
    assert "operator 'gt' does not fit question 'itch'" in errors["cond_0_op"][0]
    assert stored_condition(version, "sleep") == before


def test_a_value_that_is_not_a_choice_is_refused_at_the_value(admin_client, version):
    url = question_url(version, "sleep")
    response = save(admin_client, url, cond_0_q="itch", cond_0_op="eq", cond_0_text="severe")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["cond_0_text"] == ["'severe' is not one of the choices of question 'itch'"]


def test_advanced_json_with_wrong_keys_is_refused_at_the_field_and_nothing_changes(
    admin_client, version
):
    url = question_url(version, "sleep")
    before = stored_condition(version, "sleep")
    response = save(
        admin_client,
        url,
        cond_advanced="on",
        show_if=json.dumps({"question": "itch", "op": "eq", "value": "some"}),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["show_if"]
    assert any("unknown condition field 'question'" in error for error in errors)
    assert stored_condition(version, "sleep") == before
    assert "unknown condition field" in response.content.decode()  # shown on the page


def test_advanced_json_that_the_rows_cannot_say_is_kept(admin_client, version):
    url = question_url(version, "sleep")
    condition = {"not": {"q": "itch", "op": "eq", "value": "none"}}
    response = save(admin_client, url, cond_advanced="on", show_if=json.dumps(condition))
    assert response.status_code == 302
    assert stored_condition(version, "sleep") == condition
    html = admin_client.get(url).content.decode()
    assert 'name="cond_advanced" id="id_cond_advanced" checked' in html


def test_only_earlier_questions_can_be_picked(admin_client, version):
    html = admin_client.get(question_url(version, "itch")).content.decode()
    assert '<option value="sleep"' not in html  # comes after itch
    step = Step.objects.get(version=version, key="history")
    html = admin_client.get(f"/admin/questionnaires/step/{step.pk}/change/").content.decode()
    assert '<option value="itch" data-kind="single_choice"' in html
    assert '<option value="sleep" data-kind="rating"' in html


def test_the_builder_shows_the_stored_condition(admin_client, version):
    html = admin_client.get(question_url(version, "sleep")).content.decode()
    data = form_data(html)
    assert data["cond_0_q"] == "itch"
    assert data["cond_0_op"] == "ne"
    assert data["cond_0_choice"] == 'itch="none"'


def test_emptying_the_builder_removes_the_condition(admin_client, version):
    response = save(admin_client, question_url(version, "sleep"))
    assert response.status_code == 302
    assert stored_condition(version, "sleep") is None


def test_a_steps_condition_is_built_the_same_way(admin_client, version):
    step = Step.objects.get(version=version, key="history")
    url = f"/admin/questionnaires/step/{step.pk}/change/"
    response = save(admin_client, url, cond_0_q="sleep", cond_0_op="gte", cond_0_text="3")
    assert response.status_code == 302, response.context["adminform"].form.errors
    step.refresh_from_db()
    assert step.show_if == {"q": "sleep", "op": "gte", "value": 3}


def test_a_question_wording_and_a_new_choice_save_from_their_pages(admin_client, version):
    step = Step.objects.get(version=version, key="symptoms")
    url = f"/admin/questionnaires/step/{step.pk}/change/"
    data = page_data(admin_client, url)
    itch_row = next(
        name[: -len("-key")]
        for name, value in data.items()
        if name.endswith("-key") and value == "itch"
    )
    data[f"{itch_row}-text_en"] = "How much does it itch?"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Question.objects.get(step=step, key="itch").text_en == "How much does it itch?"

    url = question_url(version, "itch")
    data = page_data(admin_client, url)
    prefix = next(name[: -len("-TOTAL_FORMS")] for name in data if name.endswith("-TOTAL_FORMS"))
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-order": "3",
            f"{prefix}-{total}-value": "unbearable",
            f"{prefix}-{total}-label_en": "Unbearable",
            f"{prefix}-{total}-label_zh_hans": "难以忍受",
            f"{prefix}-{total}-score": "3",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    itch = Question.objects.get(step=step, key="itch")
    assert list(itch.choices.values_list("value", flat=True)) == [
        "none",
        "some",
        "a_lot",
        "unbearable",
    ]


def test_a_question_is_added_without_javascript_in_the_blank_row(admin_client, version):
    step = Step.objects.get(version=version, key="symptoms")
    url = f"/admin/questionnaires/step/{step.pk}/change/"
    data = page_data(admin_client, url)
    total = int(data["questions-TOTAL_FORMS"])
    blank = f"questions-{total - 1}"  # the page's blank row, no "add another" needed
    assert data[f"{blank}-key"] == ""
    data.update(
        {
            f"{blank}-order": "5",
            f"{blank}-key": "flares",
            f"{blank}-kind": "yes_no",
            f"{blank}-text_en": "Any flares this month?",
            f"{blank}-text_zh_hans": "这个月有发作吗？",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Question.objects.get(step=step, key="flares").kind == "yes_no"
    assert Question.objects.filter(step=step).count() == 3  # the blank rows add nothing

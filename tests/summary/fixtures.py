"""Demo responses shared by the summary tests, built once per test module.

Loading the shipped questionnaire and therapy profiles and submitting a response per
condition takes seconds, so it happens once per module inside an outer transaction: each
test runs in a savepoint inside it (pytest-django's usual rollback), and the outer
transaction is rolled back when the module ends, so nothing leaks into other tests.

Use from another test folder by importing the fixtures into the test module.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import override_settings

from questionnaires.models import Team
from tests.summary.builders import (
    CHINESE_TEXT,
    CONDITIONS,
    demo_answers,
    demo_content_ensure,
    submitted_demo_response,
)

PATIENT_REF = "PSO-001"


@dataclass(frozen=True)
class DemoData:
    team_id: int
    other_team_id: int
    responses: dict[str, int]  # condition → an English-answered response of the team
    chinese: int  # psoriasis, answered in Simplified Chinese with Chinese free text
    earlier: int  # an earlier psoriasis visit of the same patient (PATIENT_REF)
    other_team_same_ref: int  # the same patient reference in another team


def build_demo_data() -> DemoData:
    # Summaries are rendered by the tests about rendering, not on every submit here.
    with override_settings(SDM_SUMMARY_RENDER_ON_SUBMIT=False):
        questionnaire = demo_content_ensure()
        team = Team.objects.create(name="Summary team A")
        other_team = Team.objects.create(name="Summary team B")
        earlier = submitted_demo_response(
            questionnaire=questionnaire,
            condition="psoriasis",
            patient_ref=PATIENT_REF,
            team=team,
            answers=demo_answers(
                "psoriasis", pso_area="3_to_10", pso_itch=4, pso_sleep=3, pso_daily_life=5
            ),
        )
        other = submitted_demo_response(
            questionnaire=questionnaire,
            condition="psoriasis",
            patient_ref=PATIENT_REF,
            team=other_team,
            answers=demo_answers("psoriasis", pso_itch=1, pso_sleep=1, pso_daily_life=1),
        )
        responses = {
            condition: submitted_demo_response(
                questionnaire=questionnaire,
                condition=condition,
                patient_ref=PATIENT_REF if condition == "psoriasis" else f"{condition[:3]}-001",
                team=team,
            ).pk
            for condition in CONDITIONS
        }
        chinese = submitted_demo_response(
            questionnaire=questionnaire,
            condition="psoriasis",
            language="zh-hans",
            patient_ref="PSO-ZH-001",
            team=team,
            answers=demo_answers("psoriasis", **CHINESE_TEXT),
        )
    return DemoData(
        team_id=team.pk,
        other_team_id=other_team.pk,
        responses=responses,
        chinese=chinese.pk,
        earlier=earlier.pk,
        other_team_same_ref=other.pk,
    )


@pytest.fixture(scope="module")
def module_demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        data = build_demo_data()
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(module_demo, db) -> DemoData:
    return module_demo


@pytest.fixture
def team(demo) -> Team:
    return Team.objects.get(pk=demo.team_id)

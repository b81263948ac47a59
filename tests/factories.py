"""Test data for the patient journey: definitions built in code, published through the services.

``clinic_definition()`` covers every question kind the wizard renders: a condition
question (preset by invitations), a step shown only for psoriasis, a question that
depends on an answer on its own step, a repeat group, a ranking, a date, a decimal
with a unit, free text and a scored scale.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    Kind,
    QuestionDef,
    ScaleDef,
    StepDef,
    VersionDef,
)
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.services.definitions import version_create_from_definition, version_publish
from questionnaires.services.invitations import invitation_create


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache; every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def text(english: str) -> dict[str, str]:
    return {"en": english, "zh-hans": f"【中】{english}"}


def choice(value: str, label: str | None = None, score=None) -> ChoiceDef:
    return ChoiceDef(
        value=value,
        label=text(label or value.replace("_", " ").capitalize()),
        score=None if score is None else Decimal(score),
    )


def question(key: str, kind: str = Kind.SHORT_TEXT, **kwargs) -> QuestionDef:
    kwargs.setdefault("text", text(key.replace("_", " ").capitalize() + "?"))
    return QuestionDef(key=key, kind=kind, **kwargs)


def step(key: str, *questions: QuestionDef, show_if=None, intro: str = "") -> StepDef:
    return StepDef(
        key=key,
        title=text(key.replace("_", " ").capitalize()),
        intro=text(intro) if intro else {},
        show_if=show_if,
        questions=tuple(questions),
    )


def definition(slug: str, *steps: StepDef, scales=(), **kwargs) -> VersionDef:
    return VersionDef(
        slug=slug,
        title=text(f"Questionnaire {slug}"),
        description=text("Questions before your visit."),
        estimated_minutes=kwargs.pop("estimated_minutes", 10),
        steps=tuple(steps),
        scales=tuple(scales),
        **kwargs,
    )


CONDITIONS = ("psoriasis", "atopic_dermatitis", "multiple_sclerosis", "sle", "vitiligo")


def clinic_definition(slug: str = "clinic") -> VersionDef:
    return definition(
        slug,
        step(
            "about",
            question("welcome", Kind.DISPLAY, text=text("Thank you for taking part.")),
            question(
                "condition",
                Kind.SINGLE_CHOICE,
                required=True,
                choices=tuple(choice(value) for value in CONDITIONS),
            ),
            question(
                "age", Kind.INTEGER, required=True, min_value=Decimal(0), max_value=Decimal(120)
            ),
        ),
        step(
            "skin",
            question("itch", Kind.RATING, required=True),
            question("flares", Kind.YES_NO, required=True),
            question(
                "flare_count",
                Kind.INTEGER,
                required=True,
                min_value=Decimal(1),
                max_value=Decimal(99),
                show_if={"q": "flares", "op": "eq", "value": True},
            ),
            show_if={"q": "condition", "op": "eq", "value": "psoriasis"},
        ),
        step(
            "history",
            question(
                "treatments",
                Kind.REPEAT_GROUP,
                max_rows=5,
                children=(
                    question("drug", Kind.SHORT_TEXT, required=True, max_length=80),
                    question("months", Kind.INTEGER, min_value=Decimal(0), max_value=Decimal(600)),
                    question(
                        "outcome",
                        Kind.SINGLE_CHOICE,
                        choices=(choice("better"), choice("same"), choice("worse")),
                    ),
                ),
            ),
            question("last_visit", Kind.DATE),
        ),
        step(
            "priorities",
            question(
                "ranking",
                Kind.RANKING,
                required=True,
                choices=(choice("effect"), choice("safety"), choice("convenience")),
            ),
            question(
                "weight",
                Kind.DECIMAL,
                unit="kg",
                min_value=Decimal(20),
                max_value=Decimal(300),
            ),
            question("topics", Kind.MULTIPLE_CHOICE, choices=(choice("cost"), choice("travel"))),
            question("notes", Kind.LONG_TEXT, max_length=500),
        ),
        scales=(
            ScaleDef(
                key="itch_scale",
                name=text("Itch"),
                items=("itch",),
                min_score=Decimal(0),
                max_score=Decimal(10),
                bands=(
                    BandDef(Decimal(0), Decimal(4), text("Mild"), "mild"),
                    BandDef(Decimal(4), Decimal(10), text("Severe"), "severe"),
                ),
            ),
        ),
    )


def generated_definition(slug: str, *, steps: int, questions_per_step: int) -> VersionDef:
    """A plain questionnaire of any size (for query-count tests)."""
    return definition(
        slug,
        *(
            step(
                f"s{step_index}",
                *(
                    question(
                        f"q{step_index}_{index}",
                        Kind.SINGLE_CHOICE if index % 2 else Kind.INTEGER,
                        choices=(choice("a"), choice("b")) if index % 2 else (),
                    )
                    for index in range(questions_per_step)
                ),
            )
            for step_index in range(steps)
        ),
    )


def publish(version_def: VersionDef) -> QuestionnaireVersion:
    draft = version_create_from_definition(definition=version_def)
    return version_publish(version=draft)


def draft(version_def: VersionDef) -> QuestionnaireVersion:
    return version_create_from_definition(definition=version_def)


def invite(questionnaire: Questionnaire | QuestionnaireVersion, **kwargs):
    """(invitation, token) for a published questionnaire."""
    if isinstance(questionnaire, QuestionnaireVersion):
        questionnaire = questionnaire.questionnaire
    kwargs.setdefault("patient_ref", "P-0001")
    return invitation_create(questionnaire=questionnaire, **kwargs)


class PatientBrowser:
    """Drives the patient pages through the Django test client, as a browser without JS would."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def url(self, page: str, **kwargs) -> str:
        from django.urls import reverse

        return reverse(f"patient:{page}", kwargs={"token": self.token, **kwargs})

    def step_url(self, step: str) -> str:
        return self.url("step", step=step)

    def response(self):
        from questionnaires.models import Response

        return Response.objects.get(invitation__token_hash=_hash(self.token))

    def start(self):
        return self.client.post(self.url("start"))

    def get(self, step: str, **params):
        return self.client.get(self.step_url(step), params)

    def post(self, step: str, data: dict | None = None, *, action=None, revision=None, url=None):
        """POST a step as its form would (management form and revision included)."""
        response = self.response()
        payload = {
            f"response_{response.pk}-current_step": step,
            "revision": str(response.revision if revision is None else revision),
            **(data or {}),
        }
        if action:
            payload.update(action)
        return self.client.post(url or self.step_url(step), payload)

    def submit(self, revision=None):
        response = self.response()
        return self.client.post(
            self.url("check"),
            {"revision": str(response.revision if revision is None else revision)},
        )


def _hash(token: str) -> str:
    from questionnaires.models.response import hash_token

    return hash_token(token)


def treatments(*rows, total=None, prefix="history-treatments") -> dict[str, str]:
    """Form data for the clinic definition's repeat group."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows) if total is None else total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "5",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def snapshot(response_id: int) -> dict:
    """Everything a hostile request must leave unchanged."""
    from questionnaires.models import AuditEvent, Response, Result

    row = Response.objects.filter(pk=response_id).values(
        "answers", "wizard_state", "revision", "status", "language", "submitted_at"
    )[0]
    return {
        **row,
        "responses": Response.objects.count(),
        "results": Result.objects.count(),
        "audit": AuditEvent.objects.count(),
    }

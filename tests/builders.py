"""Small valid definitions for tests, built in code (no files, no database)."""

from __future__ import annotations

from decimal import Decimal

from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    InstrumentDef,
    Kind,
    QuestionDef,
    ScaleDef,
    StepDef,
    VersionDef,
)


def text(en: str, zh: str | None = None) -> dict[str, str]:
    return {"en": en, "zh-hans": zh if zh is not None else f"{en}（中文）"}


def sample_definition(slug: str = "sample", *, extra_steps: int = 0) -> VersionDef:
    """Two steps with a branch, a choice scale with bands, an instrument and a repeat group."""
    severity = QuestionDef(
        key="itch",
        kind=Kind.SINGLE_CHOICE,
        text=text("How bad is the itch?"),
        required=True,
        instrument="demo_instrument",
        choices=(
            ChoiceDef("none", text("None"), Decimal(0)),
            ChoiceDef("some", text("Some"), Decimal(1)),
            ChoiceDef("a_lot", text("A lot"), Decimal(2)),
        ),
    )
    sleep = QuestionDef(
        key="sleep",
        kind=Kind.RATING,
        text=text("Sleep lost (0–10)"),
        min_value=Decimal(0),
        max_value=Decimal(10),
        show_if={"q": "itch", "op": "ne", "value": "none"},
    )
    history = QuestionDef(
        key="treatments",
        kind=Kind.REPEAT_GROUP,
        text=text("Earlier treatments"),
        max_rows=5,
        children=(
            QuestionDef(
                key="treatment_name", kind=Kind.SHORT_TEXT, text=text("Name"), max_length=80
            ),
            QuestionDef(
                key="treatment_weeks",
                kind=Kind.INTEGER,
                text=text("Weeks"),
                min_value=Decimal(0),
                max_value=Decimal(520),
            ),
        ),
    )
    steps = [
        StepDef(key="symptoms", title=text("Symptoms"), questions=(severity, sleep)),
        StepDef(
            key="history",
            title=text("History"),
            intro=text("Tell us what you tried."),
            show_if={"q": "itch", "op": "in", "value": ["some", "a_lot"]},
            questions=(history,),
        ),
    ]
    for index in range(extra_steps):
        steps.append(
            StepDef(
                key=f"extra_{index}",
                title=text(f"Extra {index}"),
                questions=(
                    QuestionDef(key=f"extra_q_{index}", kind=Kind.YES_NO, text=text("Yes or no?")),
                ),
            )
        )
    return VersionDef(
        slug=slug,
        title=text("Sample questionnaire"),
        description=text("For tests."),
        estimated_minutes=5,
        steps=tuple(steps),
        scales=(
            ScaleDef(
                key="itch_score",
                name=text("Itch score"),
                items=("itch",),
                min_score=Decimal(0),
                max_score=Decimal(2),
                bands=(
                    BandDef(Decimal(0), Decimal(1), text("Mild"), "mild"),
                    BandDef(Decimal(1), Decimal(2), text("Severe"), "severe"),
                ),
                instrument="demo_instrument",
            ),
        ),
        instruments=(
            InstrumentDef(
                key="demo_instrument",
                name="Demo instrument",
                licence="CC0",
                copyright_notice="No rights reserved",
                allowed_use="Any",
            ),
        ),
    )

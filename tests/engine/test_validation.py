"""The answer checks the step form and the submit share."""

from __future__ import annotations

from decimal import Decimal

from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, StepDef
from questionnaires.engine.kinds import answer_problem
from questionnaires.engine.validation import REQUIRED, row_state, step_answer_problems
from questionnaires.engine.visibility import Visibility
from tests.builders import text

PRIOR = QuestionDef(
    key="prior",
    kind=Kind.REPEAT_GROUP,
    text=text("Earlier treatments"),
    children=(
        QuestionDef(key="drug", kind=Kind.SHORT_TEXT, text=text("Drug"), required=True),
        QuestionDef(key="stopped", kind=Kind.YES_NO, text=text("Stopped?")),
        QuestionDef(
            key="why",
            kind=Kind.SHORT_TEXT,
            text=text("Why?"),
            required=True,
            show_if={"q": "stopped", "op": "eq", "value": True},
        ),
    ),
)
COLOUR = QuestionDef(
    key="colour",
    kind=Kind.SINGLE_CHOICE,
    text=text("Colour"),
    choices=(ChoiceDef("red", text("Red")), ChoiceDef("blue", text("Blue"))),
)
WEIGHT = QuestionDef(
    key="weight", kind=Kind.DECIMAL, text=text("Weight"), min_value=Decimal(1), max_value=None
)
STEP = StepDef(key="step", title=text("Step"), questions=(COLOUR, WEIGHT, PRIOR))


def visible(*keys: str) -> Visibility:
    return Visibility(steps=("step",), questions=frozenset(keys))


def test_a_row_child_counts_only_where_it_shows():
    assert row_state(PRIOR, {"drug": "X", "stopped": False}, {}) == (frozenset({"why"}), ())
    assert row_state(PRIOR, {"drug": "X", "stopped": True}, {}) == (frozenset(), ("why",))
    assert row_state(PRIOR, {"stopped": True, "why": "rash"}, {}) == (frozenset(), ("drug",))


def test_each_kind_checks_its_own_answers():
    assert answer_problem(COLOUR, "red") is None
    assert answer_problem(COLOUR, "green") == "invalid_choice"
    assert answer_problem(WEIGHT, Decimal("0.5")) == "min_value"
    assert answer_problem(WEIGHT, "heavy") == "invalid"


def test_step_problems_name_the_visible_answers_that_fail():
    kept = {"colour": "green", "weight": Decimal("70"), "prior": [{"stopped": True}]}
    assert step_answer_problems(
        STEP, kept=kept, visibility=visible("colour", "weight", "prior")
    ) == {
        "colour": "invalid_choice",
        "prior": REQUIRED,
    }
    # A hidden or preset question is not the patient's to fix.
    assert step_answer_problems(STEP, kept=kept, visibility=visible("weight")) == {}
    assert (
        step_answer_problems(
            STEP, kept=kept, visibility=visible("colour", "weight"), preset=frozenset({"colour"})
        )
        == {}
    )


AREAS = QuestionDef(
    key="areas",
    kind=Kind.MULTIPLE_CHOICE,
    text=text("Where?"),
    choices=(
        ChoiceDef("face", text("Face")),
        ChoiceDef("hands", text("Hands")),
        ChoiceDef("none", text("None of these"), exclusive=True),
    ),
)


def test_an_exclusive_option_is_an_answer_alone_never_with_others():
    assert answer_problem(AREAS, ["none"]) is None
    assert answer_problem(AREAS, ["face", "hands"]) is None
    assert answer_problem(AREAS, ["face", "none"]) == "exclusive_with_others"
    # The submit rechecks stored answers by the same rule.
    areas_step = StepDef(key="step", title=text("Step"), questions=(AREAS,))
    assert step_answer_problems(
        areas_step, kept={"areas": ["face", "none"]}, visibility=visible("areas")
    ) == {"areas": "exclusive_with_others"}

from dataclasses import replace
from decimal import Decimal

import pytest

from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    InstrumentDef,
    Kind,
    Problem,
    QuestionDef,
    ScaleDef,
    StepDef,
    VersionDef,
)
from questionnaires.engine.lint import lint, lint_structure


def text(english):
    return {"en": english, "zh-hans": f"{english} (中文)"}


def choice(value, score=None):
    return ChoiceDef(value=value, label=text(value.title()), score=score)


def question(key, kind, **fields):
    return QuestionDef(key=key, kind=kind, text=text(f"Question {key}?"), **fields)


def band(lower, upper, label, severity="none"):
    return BandDef(Decimal(lower), Decimal(upper), text(label), severity)


def valid_definition():
    """A version touching every kind and feature, with nothing wrong in it."""
    return VersionDef(
        slug="ms-pre-visit-2",
        title=text("Before your visit"),
        description=text("About ten minutes."),
        steps=(
            StepDef(
                key="about_you",
                title=text("About you"),
                intro=text("A few questions."),
                questions=(
                    question("disease", Kind.SINGLE_CHOICE, choices=(choice("ms"), choice("pso"))),
                    question(
                        "relapses",
                        Kind.INTEGER,
                        min_value=Decimal(0),
                        max_value=Decimal(20),
                        show_if={"q": "disease", "op": "eq", "value": "ms"},
                    ),
                    question("pain", Kind.RATING, min_value=Decimal(0), max_value=Decimal(10)),
                    question("weight", Kind.DECIMAL, unit="kg"),
                    question("diagnosed", Kind.DATE),
                    question("note", Kind.SHORT_TEXT, max_length=200, help=text("Optional.")),
                    question("story", Kind.LONG_TEXT),
                    question("info", Kind.DISPLAY),
                ),
            ),
            StepDef(
                key="treatments",
                title=text("Treatments"),
                show_if={"q": "relapses", "op": "gte", "value": 1},
                questions=(
                    question(
                        "history",
                        Kind.REPEAT_GROUP,
                        max_rows=10,
                        children=(
                            question(
                                "therapy",
                                Kind.SINGLE_CHOICE,
                                choices=(choice("ocrelizumab"), choice("other")),
                            ),
                            question(
                                "other_name",
                                Kind.SHORT_TEXT,
                                show_if={"q": "therapy", "op": "eq", "value": "other"},
                            ),
                            question(
                                "months",
                                Kind.INTEGER,
                                show_if={"q": "disease", "op": "eq", "value": "ms"},
                            ),
                        ),
                    ),
                    question(
                        "symptoms",
                        Kind.MULTIPLE_CHOICE,
                        choices=(choice("itch", Decimal(1)), choice("pain", Decimal(2))),
                        show_if={"q": "history", "op": "answered"},
                    ),
                    question(
                        "priorities",
                        Kind.RANKING,
                        choices=(choice("speed"), choice("safety")),
                        show_if={"q": "symptoms", "op": "contains", "value": "itch"},
                    ),
                ),
            ),
            StepDef(
                key="sure",
                title=text("How sure are you?"),
                questions=tuple(
                    question(key, Kind.YES_NO, instrument="sure")
                    for key in ("sure_1", "sure_2", "sure_3", "sure_4")
                ),
            ),
        ),
        scales=(
            ScaleDef(
                key="sure_total",
                name=text("SURE"),
                items=("sure_1", "sure_2", "sure_3", "sure_4"),
                min_score=Decimal(0),
                max_score=Decimal(4),
                higher_is="better",
                bands=(band(0, 4, "Decisional conflict", "moderate"), band(4, 4, "Sure")),
                instrument="sure",
            ),
            ScaleDef(
                key="burden",
                name=text("Burden"),
                items=("pain", "relapses", "symptoms", "disease_score"),
                max_missing=1,
                min_score=Decimal(0),
                max_score=Decimal("33.5"),
                bands=(
                    band(0, 5, "Low"),
                    band(5, "20.5", "Medium", "moderate"),
                    band("20.5", "33.5", "High", "severe"),
                ),
            ),
        ),
        instruments=(InstrumentDef(key="sure", name="SURE test"),),
    )


def with_scored_disease(definition):
    """The burden scale scores a single choice; give it one with scores."""
    scored = question(
        "disease_score", Kind.SINGLE_CHOICE, choices=(choice("low", Decimal(0)), choice("high", 3))
    )
    first = definition.steps[0]
    return replace(
        definition,
        steps=(replace(first, questions=(*first.questions, scored)), *definition.steps[1:]),
    )


VALID = with_scored_disease(valid_definition())


def change_question(definition, step_index, question_index, **changes):
    step = definition.steps[step_index]
    questions = list(step.questions)
    questions[question_index] = replace(questions[question_index], **changes)
    steps = list(definition.steps)
    steps[step_index] = replace(step, questions=tuple(questions))
    return replace(definition, steps=tuple(steps))


def change_child(definition, child_index, **changes):
    history = definition.steps[1].questions[0]
    children = list(history.children)
    children[child_index] = replace(children[child_index], **changes)
    return change_question(definition, 1, 0, children=tuple(children))


def change_scale(definition, scale_index, **changes):
    scales = list(definition.scales)
    scales[scale_index] = replace(scales[scale_index], **changes)
    return replace(definition, scales=tuple(scales))


def test_a_valid_definition_has_no_problems():
    assert lint(VALID) == []


# --- version, steps, keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["MS-visit", "ms_visit", "ms--visit", "-ms", "ms-", "", "ms visit"]
)
def test_slug_format(slug):
    [problem] = lint(replace(VALID, slug=slug))
    assert problem.path == "slug"
    assert problem.message.startswith(f"slug '{slug}' may use only lowercase letters")


def test_a_version_needs_a_step():
    assert lint(replace(VALID, steps=(), scales=())) == [
        Problem("steps", "a questionnaire needs at least one step")
    ]


def test_a_step_needs_a_question():
    definition = replace(VALID, steps=(*VALID.steps, StepDef(key="empty", title=text("Empty"))))
    assert lint(definition) == [Problem("steps[3].questions", "a step needs at least one question")]


@pytest.mark.parametrize("key", ["About", "1st", "_x", "with-hyphen", "", "a" * 65])
def test_key_format(key):
    definition = replace(VALID, steps=(replace(VALID.steps[0], key=key), *VALID.steps[1:]))
    [problem] = lint(definition)
    assert problem.path == "steps[0].key"
    assert problem.message.startswith(f"step key '{key}' must start with a lowercase letter")


def test_longest_key_is_fine():
    definition = change_question(VALID, 0, 7, key="a" * 64)
    assert lint(definition) == []


def test_step_keys_are_unique():
    definition = replace(VALID, steps=(*VALID.steps[:2], replace(VALID.steps[2], key="about_you")))
    assert lint(definition) == [
        Problem("steps[2].key", "step key 'about_you' is already used by steps[0]")
    ]


def test_question_keys_are_unique_across_steps_and_repeat_groups():
    definition = change_question(VALID, 2, 3, key="note")  # sure_4 → note
    definition = change_child(definition, 2, key="pain")  # months → pain
    problems = lint(definition)
    assert (
        Problem(
            "steps[1].questions[0].children[2].key",
            "question key 'pain' is already used by steps[0].questions[2]",
        )
        in problems
    )
    assert (
        Problem(
            "steps[2].questions[3].key",
            "question key 'note' is already used by steps[0].questions[5]",
        )
        in problems
    )


def test_unknown_kind():
    [problem] = lint(change_question(VALID, 0, 6, kind="slider"))
    assert problem.path == "steps[0].questions[6].kind"
    assert problem.message.startswith("unknown kind 'slider'; use one of single_choice,")


# --- choices, bounds, limits ----------------------------------------------------------------


def test_choice_questions_need_choices():
    definition = change_question(VALID, 0, 8, choices=())
    definition = change_question(definition, 1, 2, choices=(choice("speed"),))
    assert lint(definition) == [
        Problem(
            "steps[0].questions[8].choices", "a single_choice question needs at least one choice"
        ),
        Problem("steps[1].questions[2].choices", "a ranking question needs at least 2 choices"),
    ]


def test_choice_values_are_unique_and_not_blank():
    choices = (choice("ms"), ChoiceDef(" ", text("Blank")), choice("pso"), choice("ms"))
    assert lint(change_question(VALID, 0, 0, choices=choices)) == [
        Problem("steps[0].questions[0].choices[1].value", "a choice needs a value"),
        Problem(
            "steps[0].questions[0].choices[3].value",
            "choice value 'ms' is already used by steps[0].questions[0].choices[0]",
        ),
    ]


def test_other_kinds_have_no_choices():
    assert lint(change_question(VALID, 0, 1, choices=(choice("one"),))) == [
        Problem("steps[0].questions[1].choices", "a integer question cannot have choices")
    ]


def test_min_value_not_above_max_value():
    definition = change_question(VALID, 0, 1, min_value=Decimal(5), max_value=Decimal("2.50"))
    assert lint(definition) == [
        Problem("steps[0].questions[1].min_value", "min_value 5 is greater than max_value 2.5")
    ]


def test_rating_bounds_stay_within_0_to_10():
    definition = change_question(VALID, 0, 2, min_value=Decimal(-1), max_value=Decimal(11))
    assert lint(definition) == [
        Problem(
            "steps[0].questions[2].min_value", "a rating runs from 0 to 10; min_value -1 is outside"
        ),
        Problem(
            "steps[0].questions[2].max_value", "a rating runs from 0 to 10; max_value 11 is outside"
        ),
    ]


def test_bounds_only_on_numeric_questions_and_finite():
    definition = change_question(VALID, 0, 5, max_value=Decimal(3))
    definition = change_question(definition, 0, 3, min_value=Decimal("NaN"))
    assert lint(definition) == [
        Problem("steps[0].questions[3].min_value", "must be a finite number, not NaN"),
        Problem(
            "steps[0].questions[5].max_value",
            "min_value and max_value only apply to integer, decimal and rating questions",
        ),
    ]


def test_limits_are_positive():
    definition = change_question(VALID, 0, 5, max_length=0)
    definition = change_question(definition, 1, 0, max_rows=-2)
    definition = change_question(definition, 0, 6, max_rows=3)
    assert lint(definition) == [
        Problem("steps[0].questions[5].max_length", "max_length must be a positive number, not 0"),
        Problem("steps[0].questions[6].max_rows", "max_rows only applies to repeat groups"),
        Problem("steps[1].questions[0].max_rows", "max_rows must be a positive number, not -2"),
    ]


def test_display_questions_are_not_required():
    assert lint(change_question(VALID, 0, 7, required=True)) == [
        Problem(
            "steps[0].questions[7].required",
            "a display question has no answer and cannot be required",
        )
    ]


# --- repeat groups --------------------------------------------------------------------------


def test_repeat_group_needs_children():
    assert lint(change_question(VALID, 1, 0, children=())) == [
        Problem("steps[1].questions[0].children", "a repeat group needs at least one question")
    ]


def test_repeat_group_children_are_answerable_and_flat():
    definition = change_child(VALID, 1, kind=Kind.DISPLAY)
    definition = change_child(definition, 2, kind=Kind.REPEAT_GROUP)
    assert lint(definition) == [
        Problem(
            "steps[1].questions[0].children[1].kind",
            "a repeat group row cannot contain a display question",
        ),
        Problem(
            "steps[1].questions[0].children[2].kind",
            "a repeat group row cannot contain a repeat_group question",
        ),
    ]


def test_only_repeat_groups_have_children():
    definition = change_question(VALID, 0, 6, children=(question("extra", Kind.SHORT_TEXT),))
    assert lint(definition) == [
        Problem("steps[0].questions[6].children", "only repeat groups have child questions")
    ]


# --- conditions -----------------------------------------------------------------------------


def test_step_condition_may_only_use_earlier_steps():
    # "disease" is on step 0, "history" on step 1 itself, "sure_1" on a later step.
    step = replace(
        VALID.steps[1],
        show_if={
            "all": [
                {"q": "disease", "op": "eq", "value": "ms"},
                {"q": "history", "op": "answered"},
                {"q": "sure_1", "op": "eq", "value": True},
            ]
        },
    )
    definition = replace(VALID, steps=(VALID.steps[0], step, VALID.steps[2]))
    assert [problem.path for problem in lint(definition)] == [
        "steps[1].show_if.all[1]",
        "steps[1].show_if.all[2]",
    ]


def test_question_condition_may_use_earlier_questions_in_its_own_step():
    definition = change_question(VALID, 0, 2, show_if={"q": "relapses", "op": "gt", "value": 0})
    assert lint(definition) == []
    definition = change_question(VALID, 0, 2, show_if={"q": "weight", "op": "gt", "value": 0})
    assert lint(definition) == [
        Problem(
            "steps[0].questions[2].show_if",
            "refers to question 'weight', which comes later; conditions may only use earlier "
            "answers",
        )
    ]


def test_question_condition_cannot_refer_to_itself():
    definition = change_question(VALID, 0, 2, show_if={"q": "pain", "op": "gt", "value": 0})
    assert lint(definition) == [
        Problem("steps[0].questions[2].show_if", "question 'pain' refers to itself")
    ]


def test_condition_problems_come_from_the_condition_validator():
    show_if = {
        "any": [{"q": "disease", "op": "gt", "value": 1}, {"q": "relapse", "op": "answered"}]
    }
    problems = lint(change_question(VALID, 0, 2, show_if=show_if))
    assert [problem.path for problem in problems] == [
        "steps[0].questions[2].show_if.any[0]",
        "steps[0].questions[2].show_if.any[1]",
    ]
    assert problems[1].message == "unknown question 'relapse'"


def test_repeat_group_children_may_use_earlier_siblings_and_outer_questions_only():
    assert lint(change_child(VALID, 0, show_if={"q": "other_name", "op": "answered"})) == [
        Problem(
            "steps[1].questions[0].children[0].show_if",
            "refers to question 'other_name', which comes later; conditions may only use "
            "earlier answers",
        )
    ]
    # A later top-level question cannot look into a row.
    definition = change_question(
        VALID, 1, 1, show_if={"q": "therapy", "op": "eq", "value": "other"}
    )
    assert lint(definition) == [
        Problem(
            "steps[1].questions[1].show_if",
            "refers to question 'therapy', which belongs to a repeat group; only later questions "
            "in the same row may use it",
        )
    ]


# --- scales ---------------------------------------------------------------------------------


def test_scale_keys_are_unique_and_well_formed():
    definition = change_scale(VALID, 1, key="sure_total")
    assert lint(definition) == [
        Problem("scales[1].key", "scale key 'sure_total' is already used by scales[0]")
    ]
    [problem] = lint(change_scale(VALID, 1, key="Burden"))
    assert problem.path == "scales[1].key"


def test_scale_items_exist_once_and_are_scorable():
    items = ("pain", "pain", "note", "therapy", "nope", "symptoms", "priorities", "disease")
    assert lint(change_scale(VALID, 1, items=items)) == [
        Problem("scales[1].items[1]", "item 'pain' is listed twice"),
        Problem("scales[1].items[2]", "question 'note' (short_text) cannot be scored"),
        Problem(
            "scales[1].items[3]", "question 'therapy' is inside a repeat group and cannot be scored"
        ),
        Problem("scales[1].items[4]", "unknown question 'nope'"),
        Problem("scales[1].items[6]", "question 'priorities' (ranking) cannot be scored"),
        Problem("scales[1].items[7]", "choice 'ms' of question 'disease' has no score"),
    ]


def test_scale_needs_items():
    assert lint(change_scale(VALID, 1, items=(), max_missing=0)) == [
        Problem("scales[1].items", "a scale needs at least one item")
    ]


def test_scale_method_direction_and_missing_rule():
    definition = change_scale(VALID, 1, method="median", higher_is="up", max_missing=4)
    assert lint(definition) == [
        Problem("scales[1].method", "unknown method 'median'; use one of sum, mean"),
        Problem(
            "scales[1].max_missing",
            "max_missing must be from 0 to 3 (fewer than the 4 items), not 4",
        ),
        Problem("scales[1].higher_is", "unknown direction 'up'; use one of better, worse"),
    ]
    [problem] = lint(change_scale(VALID, 1, max_missing=-1))
    assert problem.path == "scales[1].max_missing"


def test_scale_range_must_be_increasing():
    definition = change_scale(VALID, 0, min_score=Decimal(4), max_score=Decimal(4))
    problems = lint(definition)
    assert problems[0] == Problem("scales[0].max_score", "min_score 4 must be below max_score 4")


def test_bands_must_exist():
    assert lint(change_scale(VALID, 0, bands=())) == [
        Problem("scales[0].bands", "a scale needs at least one band")
    ]


def test_bands_must_cover_the_range_from_end_to_end():
    bands = (band(1, 5, "Low"), band(5, "20.5", "Medium"), band("20.5", 30, "High"))
    assert lint(change_scale(VALID, 1, bands=bands)) == [
        Problem("scales[1].bands[0]", "the first band starts at 1 but the scale starts at 0"),
        Problem("scales[1].bands[2]", "the last band ends at 30 but the scale ends at 33.5"),
    ]


def test_gaps_and_overlaps_between_bands_are_told_apart():
    bands = (
        band(0, 5, "Low"),
        band(6, 20, "Medium"),
        band("19.5", "33.5", "High"),
    )
    assert lint(change_scale(VALID, 1, bands=bands)) == [
        Problem(
            "scales[1].bands[1]",
            "gap between bands: bands[0] ends at 5 and bands[1] starts at 6, so scores from 5 to 6 "
            "have no band",
        ),
        Problem(
            "scales[1].bands[2]",
            "overlap between bands: bands[1] ends at 20 but bands[2] already starts at 19.5",
        ),
    ]


def test_band_bounds_and_severity():
    bands = (band(0, 5, "Low"), band(5, 5, "Empty", "grave"), band(5, "33.5", "High"))
    assert lint(change_scale(VALID, 1, bands=bands)) == [
        Problem(
            "scales[1].bands[1].severity",
            "unknown severity 'grave'; use one of none, mild, moderate, severe, very_severe",
        ),
        Problem(
            "scales[1].bands[1]",
            "the band runs from 5 to 5; its lower bound must be below its upper bound",
        ),
    ]


def test_only_the_last_band_may_be_a_single_score():
    # The valid SURE scale ends with band(4, 4): the last band includes its upper bound.
    assert VALID.scales[0].bands[-1].lower == VALID.scales[0].bands[-1].upper
    bands = (band(0, 4, "Conflict"), band(4, 3, "Backwards"))
    problems = lint(change_scale(VALID, 0, bands=bands))
    assert (
        Problem(
            "scales[0].bands[1]",
            "the band runs from 4 to 3; its lower bound must be below its upper bound",
        )
        in problems
    )


# --- instruments ----------------------------------------------------------------------------


def test_instrument_references_and_keys():
    definition = replace(
        change_scale(change_question(VALID, 2, 0, instrument="dlqi"), 1, instrument="poem"),
        instruments=(*VALID.instruments, InstrumentDef("sure", "Again"), InstrumentDef(" ", "X")),
    )
    assert lint(definition) == [
        Problem("instruments[2].key", "an instrument needs a key"),
        Problem("instruments[1].key", "instrument key 'sure' is already used by instruments[0]"),
        Problem("steps[2].questions[0].instrument", "unknown instrument 'dlqi'"),
        Problem("scales[1].instrument", "unknown instrument 'poem'"),
    ]


# --- the full list --------------------------------------------------------------------------


def test_every_problem_is_reported_not_just_the_first():
    definition = replace(VALID, slug="Bad Slug")
    definition = change_question(definition, 0, 0, choices=())
    definition = change_question(definition, 0, 2, max_value=Decimal(12))
    definition = change_scale(definition, 0, bands=())
    paths = [problem.path for problem in lint(definition)]
    assert paths == [
        "slug",
        "steps[0].questions[0].choices",
        # two conditions name the choice 'ms', which "disease" no longer offers
        "steps[0].questions[1].show_if.value",
        "steps[0].questions[2].max_value",
        "steps[1].questions[0].children[2].show_if.value",
        "scales[0].bands",
    ]


# --- translations ---------------------------------------------------------------------------


def test_required_text_needs_every_language():
    definition = replace(VALID, title={"en": "Before your visit", "zh-hans": "  "})
    definition = change_question(definition, 0, 0, text={})
    definition = change_scale(definition, 0, name={"en": "SURE"})
    assert lint(definition) == [
        Problem("title", "missing zh-hans translation"),
        Problem("steps[0].questions[0].text", "missing en and zh-hans translations"),
        Problem("scales[0].name", "missing zh-hans translation"),
    ]
    assert lint_structure(definition) == []


def test_choice_labels_band_labels_and_step_titles_are_required():
    definition = change_question(VALID, 0, 0, choices=(choice("ms"), ChoiceDef("pso", {})))
    definition = change_child(definition, 1, text={"zh-hans": "名称"})
    definition = replace(
        definition,
        steps=(replace(definition.steps[0], title={"en": "About you"}), *definition.steps[1:]),
    )
    definition = change_scale(definition, 1, bands=(BandDef(Decimal(0), Decimal("33.5"), {}),))
    assert lint(definition) == [
        Problem("steps[0].title", "missing zh-hans translation"),
        Problem("steps[0].questions[0].choices[1].label", "missing en and zh-hans translations"),
        Problem("steps[1].questions[0].children[1].text", "missing en translation"),
        Problem("scales[1].bands[0].label", "missing en and zh-hans translations"),
    ]


def test_optional_text_is_in_all_languages_or_none():
    definition = replace(VALID, description={})  # none at all is fine
    definition = change_question(definition, 0, 5, help={"zh-hans": "可选"})
    definition = replace(
        definition,
        steps=(replace(definition.steps[0], intro={"en": "Hi"}), *definition.steps[1:]),
    )
    assert lint(definition) == [
        Problem("steps[0].intro", "missing zh-hans translation"),
        Problem("steps[0].questions[5].help", "missing en translation"),
    ]


def test_translation_languages_can_be_chosen_or_skipped():
    definition = change_question(VALID, 0, 0, text={"en": "Which condition?"})
    assert lint(definition, languages=["en"]) == []
    assert lint(definition, languages=["en", "fr", "zh-hans"])[0] == Problem(
        "title", "missing fr translation"
    )
    assert lint(definition, check_translations=False) == []
    assert lint(replace(definition, languages=("en",))) == []

from decimal import Decimal

import pytest

from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    Kind,
    QuestionDef,
    ScaleDef,
    StepDef,
    VersionDef,
)
from questionnaires.engine.scoring import ScaleResult, find_band, score_scales


def question(key, kind, choices=()):
    return QuestionDef(
        key=key,
        kind=kind,
        text={"en": key},
        choices=tuple(ChoiceDef(value, {"en": value}, score) for value, score in choices),
    )


def band(lower, upper, label, severity="none"):
    return BandDef(Decimal(lower), Decimal(upper), {"en": label}, severity)


def version(questions, scales):
    step = StepDef(key="only", title={"en": "Only"}, questions=tuple(questions))
    return VersionDef(slug="test", title={"en": "Test"}, steps=(step,), scales=tuple(scales))


# SURE: four yes/no items, yes = 1; a total of 3 or less means decisional conflict.
SURE_ITEMS = ("sure_sure", "sure_understand", "sure_risk_benefit", "sure_support")
SURE_BANDS = (band(0, 4, "Decisional conflict", "moderate"), band(4, 4, "No conflict"))
SURE = version(
    [question(key, Kind.YES_NO) for key in SURE_ITEMS],
    [
        ScaleDef(
            key="sure",
            name={"en": "SURE"},
            items=SURE_ITEMS,
            min_score=Decimal(0),
            max_score=Decimal(4),
            higher_is="better",
            bands=SURE_BANDS,
        )
    ],
)


def sure_answers(*values):
    return {key: value for key, value in zip(SURE_ITEMS, values, strict=True) if value is not None}


def test_sure_all_yes_is_no_conflict():
    [result] = score_scales(SURE, sure_answers(True, True, True, True))
    assert result == ScaleResult(
        key="sure",
        score=Decimal(4),
        status="complete",
        answered=4,
        missing=0,
        band_index=1,
        band=SURE_BANDS[1],
        severity="none",
        item_values=tuple((key, Decimal(1)) for key in SURE_ITEMS),
    )


def test_sure_one_no_is_decisional_conflict():
    [result] = score_scales(SURE, sure_answers(True, False, True, True))
    assert (result.score, result.status, result.band_index, result.severity) == (
        Decimal(3),
        "complete",
        0,
        "moderate",
    )
    assert result.item_values[1] == ("sure_understand", Decimal(0))


def test_sure_all_no_is_zero_not_missing():
    [result] = score_scales(SURE, sure_answers(False, False, False, False))
    assert (result.score, result.answered, result.band_index) == (Decimal(0), 4, 0)


def test_sure_with_a_missing_item_is_incomplete():
    # max_missing defaults to 0: SURE is only meaningful with all four answers.
    [result] = score_scales(SURE, sure_answers(True, None, True, True))
    assert result == ScaleResult(
        key="sure",
        score=None,
        status="incomplete",
        answered=3,
        missing=1,
        band_index=None,
        band=None,
        severity=None,
        item_values=(
            ("sure_sure", Decimal(1)),
            ("sure_understand", None),
            ("sure_risk_benefit", Decimal(1)),
            ("sure_support", Decimal(1)),
        ),
    )


# A 0-3 item scale (DLQI-like): four items, one may be missing, bands over 0-12.
ZERO_TO_THREE = tuple((value, Decimal(score)) for score, value in enumerate("abcd"))
ITEMS = ("i1", "i2", "i3", "i4")
BANDS = (band(0, 2, "None"), band(2, 6, "Mild", "mild"), band(6, 12, "Severe", "severe"))


def items_version(method="sum", max_missing=1, items=ITEMS):
    return version(
        [question(key, Kind.SINGLE_CHOICE, ZERO_TO_THREE) for key in ITEMS],
        [
            ScaleDef(
                key="burden",
                name={"en": "Burden"},
                items=items,
                method=method,
                max_missing=max_missing,
                min_score=Decimal(0),
                max_score=Decimal(12),
                bands=BANDS,
            )
        ],
    )


def test_sum_with_one_missing_is_prorated():
    # 3 + 2 + 1 = 6 over three answered items of four: 6 × 4 / 3 = 8.
    [result] = score_scales(items_version(), {"i1": "d", "i2": "c", "i4": "b"})
    assert (result.score, result.status, result.answered, result.missing) == (
        Decimal("8.00"),
        "prorated",
        3,
        1,
    )
    assert (result.band_index, result.severity) == (2, "severe")


def test_prorated_sum_is_rounded_half_up_to_two_places():
    # 1 + 1 + 0 = 2 over three of four: 2 × 4 / 3 = 2.666… → 2.67.
    [result] = score_scales(items_version(), {"i1": "b", "i2": "b", "i3": "a"})
    assert result.score == Decimal("2.67")
    # Nine items, eight answered, sum 1: 9 / 8 = 1.125 exactly; half-up gives 1.13
    # where banker's rounding would give 1.12.
    keys = tuple(f"i{index}" for index in range(9))
    definition = version(
        [question(key, Kind.INTEGER) for key in keys],
        [ScaleDef("nine", {"en": "Nine"}, keys, max_missing=1, max_score=Decimal(27))],
    )
    answers = dict.fromkeys(keys[:8], 0) | {"i0": 1}
    [result] = score_scales(definition, answers)
    assert (result.score, result.status) == (Decimal("1.13"), "prorated")


def test_complete_sum_is_exact():
    [result] = score_scales(items_version(), {"i1": "d", "i2": "d", "i3": "a", "i4": "b"})
    assert (result.score, result.status, result.band_index) == (Decimal(7), "complete", 2)


def test_too_many_missing_is_incomplete():
    [result] = score_scales(items_version(), {"i1": "d", "i2": "d"})
    assert (result.score, result.status, result.answered, result.missing) == (
        None,
        "incomplete",
        2,
        2,
    )
    assert result.band is None


def test_nothing_answered_is_incomplete_whatever_max_missing_says():
    [result] = score_scales(items_version(max_missing=4), {})
    assert (result.score, result.status, result.answered) == (None, "incomplete", 0)


def test_mean_uses_the_answered_items():
    # (3 + 2) / 2 = 2.5 with two of four answered, allowed by max_missing 2.
    [result] = score_scales(items_version("mean", max_missing=2), {"i1": "d", "i3": "c"})
    assert (result.score, result.status, result.band_index) == (Decimal("2.50"), "prorated", 1)
    # (1 + 1 + 0 + 0) / 4 = 0.5, complete.
    answers = {"i1": "b", "i2": "b", "i3": "a", "i4": "a"}
    [result] = score_scales(items_version("mean"), answers)
    assert (result.score, result.status, result.band_index) == (Decimal("0.50"), "complete", 0)
    # (1 + 1 + 0) / 3 = 0.666… → 0.67
    [result] = score_scales(items_version("mean", items=ITEMS[:3]), answers)
    assert result.score == Decimal("0.67")


def test_item_values_by_kind():
    definition = version(
        [
            question("count", Kind.INTEGER),
            question("amount", Kind.DECIMAL),
            question("rating", Kind.RATING),
            question("flag", Kind.YES_NO),
            question("one", Kind.SINGLE_CHOICE, [("x", Decimal("0.5")), ("y", Decimal(2))]),
            question("many", Kind.MULTIPLE_CHOICE, [("p", Decimal(1)), ("q", Decimal(4))]),
        ],
        [
            ScaleDef(
                key="mixed",
                name={"en": "Mixed"},
                items=("count", "amount", "rating", "flag", "one", "many"),
                max_score=Decimal(100),
                bands=(band(0, 100, "All"),),
            )
        ],
    )
    answers = {
        "count": 3,
        "amount": 0.1,
        "rating": 7,
        "flag": True,
        "one": "x",
        "many": ["p", "q", "q"],
    }
    [result] = score_scales(definition, answers)
    assert result.item_values == (
        ("count", Decimal(3)),
        ("amount", Decimal("0.1")),
        ("rating", Decimal(7)),
        ("flag", Decimal(1)),
        ("one", Decimal("0.5")),
        ("many", Decimal(5)),  # p + q; q chosen twice still counts once
    )
    # 3 + 0.1 + 7 + 1 + 0.5 + 5
    assert result.score == Decimal("16.6")
    assert isinstance(result.score, Decimal)


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        (Kind.INTEGER, "3"),  # text is not a number
        (Kind.INTEGER, True),  # nor is a yes/no answer
        (Kind.DECIMAL, float("nan")),
        (Kind.YES_NO, 1),
        (Kind.YES_NO, "yes"),
        (Kind.SINGLE_CHOICE, "unknown"),
        (Kind.SINGLE_CHOICE, "unscored"),
        (Kind.MULTIPLE_CHOICE, ["x", "unknown"]),
        (Kind.MULTIPLE_CHOICE, []),
        (Kind.MULTIPLE_CHOICE, "x"),
        (Kind.SHORT_TEXT, "3"),
    ],
)
def test_answers_that_cannot_count_are_missing(kind, answer):
    choices = [("x", Decimal(1)), ("unscored", None)]
    definition = version(
        [question("item", kind, choices), question("other", Kind.INTEGER)],
        [ScaleDef("s", {"en": "S"}, ("item", "other"), max_missing=1, max_score=Decimal(9))],
    )
    [result] = score_scales(definition, {"item": answer, "other": 2})
    assert (result.item_values[0], result.missing, result.score) == (
        ("item", None),
        1,
        Decimal("4.00"),
    )


# --- bands ----------------------------------------------------------------------------------

SCALE = ScaleDef(
    key="s",
    name={"en": "S"},
    items=("a",),
    min_score=Decimal(0),
    max_score=Decimal(12),
    bands=BANDS,  # [0, 2) [2, 6) [6, 12]
)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        ("0", 0),
        ("1.99", 0),
        ("2", 1),  # a boundary belongs to the band above
        ("5.5", 1),
        ("6", 2),
        ("12", 2),  # the last band includes its upper bound
        ("12.01", None),  # above max_score
        ("-0.5", None),  # below min_score
    ],
)
def test_band_lookup(score, expected):
    assert find_band(SCALE, score=Decimal(score)) == expected


def test_a_score_in_a_gap_has_no_band():
    gappy = ScaleDef(
        key="s",
        name={"en": "S"},
        items=("a",),
        max_score=Decimal(10),
        bands=(band(0, 4, "Low"), band(5, 10, "High")),
    )
    assert find_band(gappy, score=Decimal("4.5")) is None
    assert find_band(gappy, score=Decimal(5)) == 1


def test_a_score_beyond_the_range_is_scored_without_a_band():
    definition = version(
        [question("x", Kind.INTEGER)],
        [ScaleDef("s", {"en": "S"}, ("x",), max_score=Decimal(10), bands=(band(0, 10, "All"),))],
    )
    [result] = score_scales(definition, {"x": 11})
    assert (result.score, result.status, result.band, result.severity) == (
        Decimal(11),
        "complete",
        None,
        None,
    )


def test_one_result_per_scale_in_definition_order():
    definition = version(
        [question("x", Kind.INTEGER), question("y", Kind.INTEGER)],
        [
            ScaleDef("second", {"en": "2"}, ("y",), max_score=Decimal(10)),
            ScaleDef("first", {"en": "1"}, ("x", "y"), max_score=Decimal(20)),
        ],
    )
    results = score_scales(definition, {"x": 1, "y": 2})
    assert [(result.key, result.score) for result in results] == [
        ("second", Decimal(2)),
        ("first", Decimal(3)),
    ]

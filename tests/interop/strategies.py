"""Hypothesis strategies: random definitions that pass the structural linter, and answers.

``version_defs()`` touches every kind, choices with and without scores and systems,
repeat groups, scales with contiguous bands, instruments, CJK text, decimals with a
few places and backward-only ``show_if`` conditions. With ``fhir_friendly=True`` the
conditions keep to what one level of FHIR enableWhen can say, keys and linkIds stay
as they are on the way through FHIR, and there are no scales or instruments.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count
from typing import Any

from hypothesis import strategies as st

from questionnaires.engine import conditions as c
from questionnaires.engine.definition import (
    BandDef,
    ChoiceDef,
    Direction,
    InstrumentDef,
    Kind,
    QuestionDef,
    ScaleDef,
    ScaleMethod,
    Severity,
    StepDef,
    VersionDef,
)

WORDS = ("pain", "itch", "sleep", "mood", "dose", "weight", "relapse", "goal", "risk", "route")
CJK = "痛痒睡眠治疗药物您的问题医生风险注射皮肤疾病复发"
LATIN = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,-?'éü"
ROW_KINDS = tuple(kind for kind in Kind.ALL if kind not in (Kind.REPEAT_GROUP, Kind.DISPLAY))

english = st.text(alphabet=LATIN, min_size=1, max_size=24).filter(str.strip)
chinese = st.text(alphabet=CJK + "，。？ ", min_size=1, max_size=12).filter(str.strip)


@st.composite
def texts(draw, *, required: bool = True) -> dict[str, str]:
    """A translated text: English and Chinese, sometimes English only or (optional) none."""
    shape = draw(st.sampled_from(("both", "both", "en") if required else ("both", "en", "none")))
    if shape == "none":
        return {}
    text = {"en": draw(english)}
    if shape == "both":
        text["zh-hans"] = draw(chinese)
    return text


@st.composite
def decimals(draw, low: int, high: int) -> Decimal:
    """A Decimal from low to high with 0–3 decimal places, written as an author would."""
    places = draw(st.integers(0, 3))
    scale = 10**places
    return Decimal(draw(st.integers(low * scale, high * scale))).scaleb(-places)


@st.composite
def version_defs(draw, *, fhir_friendly: bool = False) -> VersionDef:
    numbers = count(1)
    instruments = () if fhir_friendly else draw(_instruments())
    instrument_keys = [instrument.key for instrument in instruments]
    earlier: list[QuestionDef] = []  # top-level questions walked so far
    steps = []
    for step_number in range(draw(st.integers(1, 3))):
        step_show_if = draw(_maybe_condition(list(earlier), fhir_friendly=fhir_friendly))
        questions: list[QuestionDef] = []
        for _ in range(draw(st.integers(1, 4))):
            question = draw(
                _question(numbers, earlier, instrument_keys, fhir_friendly=fhir_friendly)
            )
            questions.append(question)
            earlier.append(question)
        steps.append(
            StepDef(
                key=f"step_{step_number}" if fhir_friendly else f"s{step_number}_{draw(_word())}",
                title=draw(texts()),
                intro=draw(texts(required=False)),
                show_if=step_show_if,
                questions=tuple(questions),
            )
        )
    scales = () if fhir_friendly else draw(_scales(earlier, instrument_keys))
    return VersionDef(
        slug=draw(st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)),
        title=draw(texts()),
        description=draw(texts(required=False)),
        disease=draw(st.sampled_from(("", "psoriasis", "multiple_sclerosis"))),
        languages=draw(st.sampled_from((("en", "zh-hans"), ("en",), ("zh-hans", "en")))),
        estimated_minutes=draw(st.none() | st.integers(1, 90)),
        steps=tuple(steps),
        scales=scales,
        instruments=instruments,
        source_url=draw(st.sampled_from(("", "http://example.org/Questionnaire/x"))),
    )


def _word():
    return st.sampled_from(WORDS)


@st.composite
def _instruments(draw) -> tuple[InstrumentDef, ...]:
    found = []
    for index in range(draw(st.integers(0, 2))):
        found.append(
            InstrumentDef(
                key=f"instrument-{index}",
                name=draw(english),
                licence=draw(st.sampled_from(("", "CC BY 4.0"))),
                copyright_notice=draw(st.sampled_from(("", "© 2008 Example"))),
                allowed_use=draw(st.sampled_from(("", "non-commercial"))),
                citation=draw(st.sampled_from(("", "Example A. J Ex. 2010;1:1."))),
                url=draw(st.sampled_from(("", "https://example.org/instrument"))),
            )
        )
    return tuple(found)


@st.composite
def _choices(draw, kind: str, *, scored: bool) -> tuple[ChoiceDef, ...]:
    size = draw(st.integers(2 if kind == Kind.RANKING else 1, 4))
    values = draw(
        st.lists(
            st.from_regex(r"[a-z0-9][a-z0-9_.\-]{0,8}", fullmatch=True),
            min_size=size,
            max_size=size,
            unique=True,
        )
    )
    return tuple(
        ChoiceDef(
            value=value,
            label=draw(texts()),
            score=draw(decimals(0, 10)) if scored else None,
            system=draw(st.sampled_from(("", "", "http://loinc.org"))),
            # "None of these": only a multiple choice has options that exclude the others.
            exclusive=kind == Kind.MULTIPLE_CHOICE and draw(st.booleans()),
        )
        for value in values
    )


@st.composite
def _question(
    draw,
    numbers: count,
    earlier: list[QuestionDef],
    instrument_keys: list[str],
    *,
    fhir_friendly: bool,
    in_row: bool = False,
    siblings: tuple[QuestionDef, ...] = (),
) -> QuestionDef:
    kind = draw(st.sampled_from(ROW_KINDS if in_row else Kind.ALL))
    key = f"{draw(_word())}_{next(numbers)}"
    fields: dict[str, Any] = {}
    if kind in Kind.WITH_CHOICES:
        scored = kind != Kind.RANKING and draw(st.booleans())
        fields["choices"] = draw(_choices(kind, scored=scored))
    if kind in Kind.NUMERIC:
        low, high = (0, 10) if kind == Kind.RATING else (-50, 500)
        bounds = sorted(draw(st.lists(decimals(low, high), min_size=2, max_size=2)))
        fields["min_value"] = draw(st.sampled_from((None, bounds[0])))
        fields["max_value"] = draw(st.sampled_from((None, bounds[1])))
    if kind == Kind.DECIMAL:
        fields["unit"] = draw(st.sampled_from(("", "kg", "mg/dL", "毫克")))
    if kind in Kind.TEXTUAL:
        fields["max_length"] = draw(st.none() | st.integers(1, 2000))
    if kind == Kind.REPEAT_GROUP:
        fields["max_rows"] = draw(st.none() | st.integers(1, 20))
        children: list[QuestionDef] = []
        for _ in range(draw(st.integers(1, 3))):
            children.append(
                draw(
                    _question(
                        numbers,
                        earlier,
                        instrument_keys,
                        fhir_friendly=fhir_friendly,
                        in_row=True,
                        siblings=tuple(children),
                    )
                )
            )
        fields["children"] = tuple(children)
    if not fhir_friendly:
        fields["instrument"] = draw(st.sampled_from(("", *instrument_keys)))
        fields["criterion"] = draw(st.sampled_from(("", "", "serious_harm")))
        fields["link_id"] = draw(st.sampled_from(("", "", f"{key}-link", f"1.{next(numbers)}")))
    return QuestionDef(
        key=key,
        kind=kind,
        text=draw(texts()),
        help=draw(texts(required=False)),
        required=kind != Kind.DISPLAY and draw(st.booleans()),
        read_only=kind != Kind.DISPLAY and draw(st.booleans()),
        show_if=draw(_maybe_condition([*earlier, *siblings], fhir_friendly=fhir_friendly)),
        **fields,
    )


# --- conditions ---------------------------------------------------------------------------

# Operators whose FHIR form is one entry or several under "all" / under "any".
_ALL_FRIENDLY = (
    c.EQ,
    c.NE,
    c.NOT_IN,
    c.GT,
    c.GTE,
    c.LT,
    c.LTE,
    c.ANSWERED,
    c.NOT_ANSWERED,
    c.CONTAINS,
)
_ANY_FRIENDLY = (
    c.EQ,
    c.IN,
    c.GT,
    c.GTE,
    c.LT,
    c.LTE,
    c.ANSWERED,
    c.NOT_ANSWERED,
    c.CONTAINS,
    c.CONTAINS_ANY,
)


@st.composite
def _maybe_condition(draw, available: list[QuestionDef], *, fhir_friendly: bool):
    testable = [question for question in available if c.OPERATORS_BY_KIND[question.kind]]
    if fhir_friendly:
        # A FHIR group has no answer, so "has rows" cannot be tested with enableWhen.
        testable = [question for question in testable if question.kind != Kind.REPEAT_GROUP]
    if not testable or draw(st.integers(0, 2)) == 0:
        return None
    if fhir_friendly:
        shape = draw(st.sampled_from(("leaf", "all", "any", "not")))
        if shape == "leaf":
            return draw(_leaf(testable))
        if shape == "not":
            return {"not": draw(_leaf(testable))}
        allowed = _ALL_FRIENDLY if shape == "all" else _ANY_FRIENDLY
        parts = draw(st.lists(_leaf(testable, allowed=allowed), min_size=2, max_size=3))
        return {shape: parts}
    return draw(_condition(testable, depth=0))


@st.composite
def _condition(draw, testable: list[QuestionDef], *, depth: int):
    shape = draw(st.sampled_from(("leaf", "leaf", "all", "any", "not") if depth < 2 else ("leaf",)))
    if shape == "leaf":
        return draw(_leaf(testable))
    if shape == "not":
        return {"not": draw(_condition(testable, depth=depth + 1))}
    parts = draw(st.lists(_condition(testable, depth=depth + 1), min_size=1, max_size=3))
    return {shape: parts}


@st.composite
def _leaf(draw, testable: list[QuestionDef], *, allowed: tuple[str, ...] = c.OPERATORS):
    candidates = [
        (question, op)
        for question in testable
        for op in c.OPERATORS_BY_KIND[question.kind]
        if op in allowed
    ]
    question, op = draw(st.sampled_from(candidates))
    if op in c.PRESENCE_OPS:
        return {"q": question.key, "op": op}
    if op in c.LIST_VALUE_OPS:
        values = draw(st.lists(_value(question), min_size=1, max_size=3, unique_by=repr))
        return {"q": question.key, "op": op, "value": values}
    return {"q": question.key, "op": op, "value": draw(_value(question))}


def _value(question: QuestionDef):
    kind = question.kind
    if kind in Kind.WITH_CHOICES:
        return st.sampled_from([choice.value for choice in question.choices])
    if kind == Kind.YES_NO:
        return st.booleans()
    if kind == Kind.RATING:
        return st.integers(0, 10)
    if kind == Kind.INTEGER:
        return st.integers(-5, 50)
    if kind == Kind.DECIMAL:
        return decimals(-5, 50)
    if kind == Kind.DATE:
        return st.dates(date(1990, 1, 1), date(2030, 12, 31)).map(date.isoformat)
    return st.sampled_from(("yes", "no", "不知道", ""))


# --- scales -------------------------------------------------------------------------------


def _scorable(question: QuestionDef) -> bool:
    if question.kind in Kind.NUMERIC or question.kind == Kind.YES_NO:
        return True
    return question.kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE) and all(
        choice.score is not None for choice in question.choices
    )


@st.composite
def _scales(draw, questions: list[QuestionDef], instrument_keys: list[str]):
    scorable = [question.key for question in questions if _scorable(question)]
    if not scorable:
        return ()
    scales = []
    for index in range(draw(st.integers(0, 2))):
        items = draw(st.lists(st.sampled_from(scorable), min_size=1, max_size=4, unique=True))
        low = draw(decimals(-10, 10))
        high = low + draw(decimals(1, 40))
        cuts = sorted(set(draw(_cut_points(low, high))))
        edges = [low, *cuts, high]
        bands = tuple(
            BandDef(
                lower=edges[i],
                upper=edges[i + 1],
                label=draw(texts()),
                severity=draw(st.sampled_from(Severity.ALL)),
            )
            for i in range(len(edges) - 1)
        )
        scales.append(
            ScaleDef(
                key=f"scale_{index}",
                name=draw(texts()),
                items=tuple(items),
                method=draw(st.sampled_from(ScaleMethod.ALL)),
                max_missing=draw(st.integers(0, len(items) - 1)),
                higher_is=draw(st.sampled_from(Direction.ALL)),
                min_score=low,
                max_score=high,
                bands=bands,
                instrument=draw(st.sampled_from(("", *instrument_keys))),
            )
        )
    return tuple(scales)


@st.composite
def _cut_points(draw, low: Decimal, high: Decimal) -> list[Decimal]:
    """Points strictly inside (low, high), so that every band is non-empty."""
    picks = draw(st.lists(st.integers(1, 99), max_size=3))
    return [low + (high - low) * Decimal(pick) / 100 for pick in picks]


# --- answers ------------------------------------------------------------------------------


@st.composite
def answers_for(draw, definition: VersionDef) -> dict[str, Any]:
    """Random answers of the right type to some of the definition's questions."""
    answers: dict[str, Any] = {}
    for _, _, question in definition.iter_questions():
        if question.kind == Kind.REPEAT_GROUP:
            rows = []
            for _ in range(draw(st.integers(0, 2))):
                row = {}
                for child in question.children:
                    if draw(st.booleans()):
                        row[child.key] = draw(_answer(child))
                rows.append(row)
            answers[question.key] = rows
        elif question.kind != Kind.DISPLAY and draw(st.integers(0, 3)) > 0:
            answers[question.key] = draw(_answer(question))
    return answers


def _answer(question: QuestionDef):
    kind = question.kind
    values = [choice.value for choice in question.choices]
    if kind == Kind.SINGLE_CHOICE:
        return st.sampled_from(values)
    if kind == Kind.MULTIPLE_CHOICE:
        exclusive = {choice.value for choice in question.choices if choice.exclusive}
        return st.lists(st.sampled_from(values), unique=True, max_size=len(values)).map(
            lambda chosen: (
                [value for value in chosen if value in exclusive][:1]
                if any(value in exclusive for value in chosen)
                else chosen
            )
        )
    if kind == Kind.RANKING:
        return st.permutations(values)
    return _value(question)

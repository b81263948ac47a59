"""The questionnaire definition as frozen dataclasses.

This is the contract between the database (one adapter in ``services`` builds it
from ORM rows), the linter, the JSON and FHIR interop and the wizard. Our own
JSON format (``interop/sdm_json.py``) is this tree written out field by field.

Translated text is a ``Text``: a mapping from language code (``"en"``,
``"zh-hans"``) to the string. An empty mapping means "no text".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Text = Mapping[str, str]
Condition = Mapping[str, Any]
# The FHIRPath expressions a question can carry (QuestionDef.expressions), in writing order.
EXPRESSION_NAMES = ("calculated", "enable_when", "initial", "answer")


class Kind:
    """Question kinds. Values are stable codes stored in the database and in files."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"
    INTEGER = "integer"
    DECIMAL = "decimal"
    RATING = "rating"  # 0–10
    DATE = "date"
    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    RANKING = "ranking"  # order the choices; the answer is the list of choice values
    REPEAT_GROUP = "repeat_group"  # rows of sub-questions; the answer is a list of dicts
    DISPLAY = "display"  # text only, never answered

    ALL = (
        SINGLE_CHOICE,
        MULTIPLE_CHOICE,
        YES_NO,
        INTEGER,
        DECIMAL,
        RATING,
        DATE,
        SHORT_TEXT,
        LONG_TEXT,
        RANKING,
        REPEAT_GROUP,
        DISPLAY,
    )
    WITH_CHOICES = (SINGLE_CHOICE, MULTIPLE_CHOICE, RANKING)
    NUMERIC = (INTEGER, DECIMAL, RATING)
    LIST_VALUED = (MULTIPLE_CHOICE, RANKING, REPEAT_GROUP)
    TEXTUAL = (SHORT_TEXT, LONG_TEXT)


class ScaleMethod:
    SUM = "sum"
    MEAN = "mean"
    ALL = (SUM, MEAN)


class Direction:
    HIGHER_IS_BETTER = "better"
    HIGHER_IS_WORSE = "worse"
    ALL = (HIGHER_IS_BETTER, HIGHER_IS_WORSE)


class Severity:
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    VERY_SEVERE = "very_severe"
    ALL = (NONE, MILD, MODERATE, SEVERE, VERY_SEVERE)


@dataclass(frozen=True)
class ChoiceDef:
    value: str  # stable coded value: answers store this, never the label
    label: Text
    score: Decimal | None = None  # per-answer score (FHIR ordinalValue / itemWeight)
    system: str = ""  # code system, kept for FHIR codings
    # Multiple choice: this option cannot be chosen with any other ("None of these");
    # FHIR's questionnaire-optionExclusive.
    exclusive: bool = False


@dataclass(frozen=True)
class QuestionDef:
    key: str
    kind: str
    text: Text
    help: Text = field(default_factory=dict)
    required: bool = False
    read_only: bool = False
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    unit: str = ""
    max_length: int | None = None
    max_rows: int | None = None  # repeat groups only
    show_if: Condition | None = None
    choices: tuple[ChoiceDef, ...] = ()
    children: tuple[QuestionDef, ...] = ()  # repeat groups only: one row's sub-questions
    instrument: str = ""  # InstrumentDef.key when the item belongs to a published instrument
    criterion: str = ""  # weighing criterion this item informs (e.g. a risk limit)
    link_id: str = ""  # FHIR linkId of the source item, kept on import
    hidden: bool = False  # never shown to the patient (FHIR questionnaire-hidden)
    # FHIRPath from an imported FHIR item (engine/expressions.py evaluates them on the
    # server): "calculated", "enable_when", "initial", "answer" → expression text, and
    # "variables" → [{"name", "expression"}] in document order. Empty for our own content.
    expressions: Mapping[str, Any] = field(default_factory=dict)
    # A date that cannot be in the past, e.g. the appointment (the step form refuses it).
    not_in_past: bool = False


@dataclass(frozen=True)
class StepDef:
    key: str
    title: Text
    intro: Text = field(default_factory=dict)
    show_if: Condition | None = None
    questions: tuple[QuestionDef, ...] = ()
    source_link_id: str = ""  # linkId of the FHIR group the step was imported from


@dataclass(frozen=True)
class BandDef:
    """A score band covering ``lower <= score < upper`` (the last band includes ``upper``)."""

    lower: Decimal
    upper: Decimal
    label: Text
    severity: str = Severity.NONE


@dataclass(frozen=True)
class ScaleDef:
    key: str
    name: Text
    items: tuple[str, ...]  # question keys
    method: str = ScaleMethod.SUM
    max_missing: int = 0  # prorate when at most this many items are missing, else incomplete
    higher_is: str = Direction.HIGHER_IS_WORSE
    min_score: Decimal = Decimal(0)
    max_score: Decimal = Decimal(0)
    bands: tuple[BandDef, ...] = ()
    instrument: str = ""


@dataclass(frozen=True)
class InstrumentDef:
    key: str
    name: str
    licence: str = ""
    copyright_notice: str = ""
    allowed_use: str = ""
    citation: str = ""
    url: str = ""


@dataclass(frozen=True)
class VersionDef:
    """One version of one questionnaire: everything a patient walks and a scorer needs."""

    slug: str
    title: Text
    description: Text = field(default_factory=dict)
    disease: str = ""  # empty: any condition
    languages: tuple[str, ...] = ("en", "zh-hans")
    estimated_minutes: int | None = None
    steps: tuple[StepDef, ...] = ()
    scales: tuple[ScaleDef, ...] = ()
    instruments: tuple[InstrumentDef, ...] = ()
    source_url: str = ""  # canonical URL of an imported FHIR Questionnaire
    source_version: str = ""  # its business version (Questionnaire.version), if any
    # Questionnaire-level FHIRPath variables: [{"name", "expression"}] in document order.
    variables: tuple[Mapping[str, str], ...] = ()

    def iter_questions(self) -> Iterator[tuple[int, int, QuestionDef]]:
        """Top-level questions in walking order, with their step and question index."""
        for step_index, step in enumerate(self.steps):
            for question_index, question in enumerate(step.questions):
                yield step_index, question_index, question

    def question_map(self) -> dict[str, QuestionDef]:
        """Every question by key, repeat-group children included."""
        found: dict[str, QuestionDef] = {}
        for _, _, question in self.iter_questions():
            found.setdefault(question.key, question)
            for child in question.children:
                found.setdefault(child.key, child)
        return found


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition or an input, with where it is."""

    path: str  # e.g. "steps[2].questions[0].show_if"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

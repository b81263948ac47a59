"""What a summary is made of: frozen dataclasses the templates read, and the answer keys
the summary looks for. Built by ``context``; nothing here computes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.safestring import SafeString

from questionnaires.free_text import (
    Translation,
    TranslationKind,
)
from questionnaires.services.weighing_input import (
    INFUSION_TRAVEL_KEY,
    MAX_RISK_KEY,
    OPENNESS_KEY,
    ROUTES_KEY,
)
from questionnaires.summary.explain import CLINICIAN, PATIENT

AUDIENCES = (CLINICIAN, PATIENT)
EARLIER_VISITS_SHOWN = 6
# Question keys the summary reads besides scales and free text (the weighing adapter's own).
CURRENT_SATISFACTION_KEY = "current_treatment_satisfaction"
PREFERRED_ROLE_KEY = "preferred_role"
RISK_LIMIT_KEYS = (MAX_RISK_KEY, ROUTES_KEY, INFUSION_TRAVEL_KEY, OPENNESS_KEY)
LOW_CERTAINTY = ("low", "very_low")
CURRENT_TREATMENT_CODE = "current_treatment"  # a not-suitable reason: it is the status quo


# --- the context ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    patient_ref: str
    team: str
    condition: str
    completed_on: str  # in the reader's language ("4 December 2026", "2026年12月4日")
    questionnaire: str
    version_number: int
    patient_language: str  # its name in the reader's language
    patient_language_code: str
    instruments_completed: tuple[str, ...]


@dataclass(frozen=True)
class Flag:
    kind: str  # flags.FlagKind
    title: str
    detail: str = ""
    note: str = ""


@dataclass(frozen=True)
class PatientText:
    """Free text quoted as the patient wrote it, in the language they wrote it in."""

    label: str
    lines: tuple[str, ...]
    lang: str
    # Set when ``lang`` is not the reader's: its name in the reader's language, and a
    # translation when a provider gave one (``questionnaires.free_text``).
    language_name: str = ""
    translation: Translation | None = None
    key: str = ""

    @property
    def is_foreign(self) -> bool:
        return bool(self.language_name)

    @property
    def translation_is_machine(self) -> bool:
        return self.translation is not None and self.translation.kind == TranslationKind.MACHINE


@dataclass(frozen=True)
class ScaleRow:
    key: str
    name: str
    score: str  # "" when incomplete
    band: str
    severity: str
    range_text: str  # "0–10, higher is worse"
    status_note: str  # prorated / incomplete
    change: str  # since the previous visit, with its direction in words
    visits: int  # how many visits the trend shows
    chart: SafeString | None
    # Beside the band when other answers contradict it (a "mild" MS symptom score with
    # relapses or MRI activity): the band is then not the activity verdict.
    band_note: str = ""


@dataclass(frozen=True)
class HistoryTable:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    current: str
    satisfaction: str


@dataclass(frozen=True)
class Priority:
    rank: int
    key: str
    name: str
    weight_percent: int
    colour: str  # the criterion's colour in the fit bars
    colour_index: int  # the same colour as the stylesheets' class "swatch-<index>"


@dataclass(frozen=True)
class LabelledValue:
    label: str
    value: str


@dataclass(frozen=True)
class AnswerItem:
    """One answered question as the reader reads it (a repeat group as a small table)."""

    key: str
    question: str
    answer: str
    headers: tuple[str, ...] = ()  # repeat groups: the row's questions
    rows: tuple[tuple[str, ...], ...] = ()  # repeat groups: one tuple of cells per row
    flagged: bool = False  # the answer raised a red flag
    lang: str = ""  # free text: the language it was written in (it is quoted as written)
    language_name: str = ""  # free text in another language than the reader's: its name

    @property
    def is_table(self) -> bool:
        return bool(self.rows)


@dataclass(frozen=True)
class AnswerGroup:
    """The answered questions of one walked step, under the step's title."""

    key: str
    title: str
    items: tuple[AnswerItem, ...]


@dataclass(frozen=True)
class ActivityBlock:
    """A disease-activity step: what the patient answered, with the scores beside the items."""

    key: str
    title: str
    items: tuple[AnswerItem, ...]
    scores: tuple[ScaleRow, ...]


@dataclass(frozen=True)
class OptionRow:
    rank: int
    option_id: str
    name: str
    fit: int
    bar: SafeString
    drivers: str
    sentence: str  # the patient's fit sentence (patient copy only)
    conflicts: tuple[str, ...]
    cautions: tuple[str, ...]
    status: str
    certainty: str
    low_certainty: bool
    unverified: bool
    is_status_quo: bool
    close_call: bool


@dataclass(frozen=True)
class ExcludedOption:
    name: str
    reasons: tuple[str, ...]  # the reasons that are not clinical rules (those are red flags)
    by_rule: bool  # a clinical rule excluded it (it is among the red flags)


@dataclass(frozen=True)
class Options:
    rows: tuple[OptionRow, ...]
    not_suitable: tuple[ExcludedOption, ...]
    not_recommended: tuple[str, ...]
    sensitivity: str
    close_call: bool
    weight_method: str


@dataclass(frozen=True)
class ReadinessItem:
    question: str
    answer: str
    is_no: bool


@dataclass(frozen=True)
class Readiness:
    items: tuple[ReadinessItem, ...]
    score: str
    band: str
    conflict: bool
    role: str


@dataclass(frozen=True)
class OverdueEvidence:
    citation: str
    next_review: str


@dataclass(frozen=True)
class Footer:
    questionnaire: str
    version_number: int
    definition_hash: str
    engine_version: str
    template_version: str
    weighed_on: str
    evidence_sources: int
    evidence_checked: str
    evidence_next_review: str
    overdue_evidence: tuple[OverdueEvidence, ...]
    copyright_notices: tuple[str, ...]
    snapshot: str


@dataclass(frozen=True)
class SummaryContext:
    audience: str
    language: str  # the reader's
    title: str
    response_id: int
    result_id: int
    header: Header
    flags: tuple[Flag, ...]
    patient_texts: tuple[PatientText, ...]
    activity: tuple[ScaleRow, ...]
    history: HistoryTable | None
    priorities: tuple[Priority, ...]
    ranking_given: bool
    risk_limits: tuple[LabelledValue, ...]
    options: Options | None
    readiness: Readiness | None
    footer: Footer
    legend: tuple[Priority, ...] = field(default=())
    # The stored weighing was there but could not be read (``_weighing_or_problem``).
    options_unreadable: bool = False
    # What the patient answered, organised for the consultation (see ``_answer_sections``).
    facts: tuple[AnswerItem, ...] = ()  # the first step: age, weight, appointment date, …
    activity_blocks: tuple[ActivityBlock, ...] = ()
    safety: tuple[AnswerItem, ...] = ()
    all_answers: tuple[AnswerGroup, ...] = ()
    # The patient's copy carries the option grid of their result page (issue 10), built by
    # ``summary.patient_results`` from the same frozen weighing; the clinician's has the fit
    # table instead, so for them this stays None.
    option_grid: dict[str, Any] | None = None

    @property
    def is_patient_copy(self) -> bool:
        return self.audience == PATIENT

"""Everything a discussion summary shows, built once as frozen dataclasses.

``summary_context_build`` does the fetching (one query for the response with its invitation,
team, version and result; one for the patient's earlier results in the same team; the
definition comes from the process-level cache of immutable versions) and then hands plain
values to pure functions (Saleor's fetch-then-calculate pattern,
docs/notes/django_style_weasyprint.md Part A).
Nothing after the fetch touches the database, so the same snapshot always gives the same
summary. The frozen weighing is read once, through the typed reader
(``engine.snapshot.read_stored_weighing``): a malformed one is refused there with where it
is wrong, never a ``KeyError`` in the middle of a section.

Languages: the reader's ``language`` is active while the context is built, so coded answers
become the definition's choice labels in the reader's language and every sentence comes from
gettext (or ``summary.explain``) in that language. What the patient typed is never
translated: it is quoted as written, with the patient's language in ``lang``.

Audience: ``clinician`` (clinical wording, red flags with why they matter) or ``patient``
(their own copy: the same facts in the words of ``summary.explain``'s patient sentences).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, pgettext

from questionnaires.answers import answers_from_json
from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import (
    Direction,
    Kind,
    QuestionDef,
    ScaleDef,
    StepDef,
    VersionDef,
)
from questionnaires.engine.snapshot import (
    OptionDisplay,
    ScaleSnapshot,
    WeighingSnapshot,
    read_scales,
    read_stored_weighing,
)
from questionnaires.engine.visibility import Visibility, resolve_visibility
from questionnaires.formatting import answer_display, answer_rows, date_text
from questionnaires.free_text import (
    Translation,
    TranslationKind,
    free_text_language,
    translate_free_text,
)
from questionnaires.i18n import language_names, translate
from questionnaires.models import Disease, Response, ResponseStatus, Result
from questionnaires.selectors.definitions import version_definition
from questionnaires.selectors.visits import earlier_visits
from questionnaires.services.weighing import (
    CONDITION_KEY,
    CURRENT_TREATMENT_KEY,
    INFUSION_TRAVEL_KEY,
    MAX_RISK_KEY,
    OPENNESS_KEY,
    PRIOR_GROUP_KEY,
    ROUTES_KEY,
)
from questionnaires.summary import charts, explain
from questionnaires.summary import flags as flag_rules
from questionnaires.summary.explain import CLINICIAN, PATIENT
from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION

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
    # What the patient answered, organised for the consultation (see ``_answer_sections``).
    facts: tuple[AnswerItem, ...] = ()  # the first step: age, weight, appointment date, …
    activity_blocks: tuple[ActivityBlock, ...] = ()
    safety: tuple[AnswerItem, ...] = ()
    all_answers: tuple[AnswerGroup, ...] = ()

    @property
    def is_patient_copy(self) -> bool:
        return self.audience == PATIENT


# --- the one fetch ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierResult:
    submitted_at: datetime.datetime
    scores: tuple[ScaleSnapshot, ...]


@dataclass(frozen=True)
class Fetched:
    response: Response
    result: Result
    definition: VersionDef
    earlier: tuple[EarlierResult, ...]


class SummaryUnavailable(LookupError):
    """The response has no frozen result (not submitted yet)."""


def summary_fetch(*, response: Response | int) -> Fetched:
    """The response with everything the summary reads: two queries (the definition is cached)."""
    response_id = response if isinstance(response, int) else response.pk
    row = (
        Response.objects.select_related(
            "invitation__team", "version__questionnaire", "result"
        ).filter(pk=response_id, status=ResponseStatus.SUBMITTED)
    ).first()
    result = getattr(row, "result", None) if row is not None else None
    if row is None or result is None:
        raise SummaryUnavailable(f"response {response_id} has no result")
    return Fetched(
        response=row,
        result=result,
        definition=version_definition(row.version),
        earlier=tuple(_earlier_results(row)),
    )


def _earlier_results(response: Response) -> list[EarlierResult]:
    """The same patient's earlier submitted results in the same team, oldest first."""
    if response.submitted_at is None:
        return []
    rows = (
        Result.objects.filter(response__in=earlier_visits(response).values("pk"))
        .order_by("-response__submitted_at")
        .values_list("response__submitted_at", "scores")[:EARLIER_VISITS_SHOWN]
    )
    return [
        EarlierResult(submitted_at=at, scores=read_scales(scores)) for at, scores in reversed(rows)
    ]


def summary_context_build(
    *, response: Response | int, language: str, audience: str
) -> SummaryContext:
    """The summary of a submitted response for ``audience``, read in ``language``."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    fetched = summary_fetch(response=response)
    return summary_context_from(fetched, language=language, audience=audience)


def summary_context_from(fetched: Fetched, *, language: str, audience: str) -> SummaryContext:
    """Pure: the context from what ``summary_fetch`` loaded."""
    with translation.override(language):
        response, result, definition = fetched.response, fetched.result, fetched.definition
        questions = definition.question_map()
        answers = answers_from_json(definition, response.answers or {})
        weighing = read_stored_weighing(result.weighing)
        scores = read_scales(result.scores)
        header = _header(response, definition, answers, scores)
        priorities, legend = _priorities(weighing)
        activity = tuple(_activity(definition, scores, fetched.earlier, response))
        sections = _answer_sections(
            definition, answers, activity=activity, patient_language=response.language
        )
        title = (
            gettext("Discussion summary for %(ref)s") % {"ref": header.patient_ref}
            if audience == CLINICIAN
            else gettext("Your treatment discussion summary")
        )
        return SummaryContext(
            audience=audience,
            language=language,
            title=title,
            response_id=response.pk,
            result_id=result.pk,
            header=header,
            flags=tuple(_flags(definition, answers, scores, weighing, audience=audience)),
            patient_texts=tuple(
                _patient_texts(
                    definition,
                    answers,
                    page_language=response.language,
                    reader_language=language,
                    translate_foreign=audience == CLINICIAN,
                )
            ),
            activity=activity,
            history=_history(questions, answers),
            priorities=priorities,
            ranking_given=weighing is not None and weighing.preferences.ranking_given,
            risk_limits=tuple(_risk_limits(questions, answers)),
            options=_options(weighing, legend, audience=audience) if weighing else None,
            readiness=_readiness(definition, answers, scores),
            footer=_footer(
                response, result, definition, scores, weighing, SUMMARY_TEMPLATE_VERSION
            ),
            legend=legend,
            facts=sections.facts,
            activity_blocks=sections.activity_blocks,
            safety=sections.safety,
            all_answers=sections.all_answers,
        )


# --- pure parts ------------------------------------------------------------------------------


def short_date(value: datetime.datetime | datetime.date | None) -> str:
    """A date short enough for a chart axis, in the reader's language ("4 Dec 2026")."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def language_name(code: str) -> str:
    """A language's name in the reader's language ("English" reads "英语" in Chinese; the
    site's language switch instead names each language in itself)."""
    names = {
        "en": pgettext("language name", "English"),
        "zh-hans": pgettext("language name", "Simplified Chinese"),
    }
    return names.get(code) or str(language_names().get(code, code))


def condition_label(code: str, definition: VersionDef) -> str:
    """The condition as the questionnaire names it (translated content), else our label."""
    question = definition.question_map().get(CONDITION_KEY)
    for choice in question.choices if question is not None else ():
        if choice.value == code and choice.label:
            return translate(choice.label)
    try:
        return str(Disease(code).label)
    except ValueError:
        return code


def _scale_is_shown(score: Mapping[str, Any]) -> bool:
    return bool(score.answered)


def _header(
    response: Response,
    definition: VersionDef,
    answers: Mapping[str, Any],
    scores: Sequence[ScaleSnapshot],
) -> Header:
    invitation = response.invitation
    condition = (invitation.disease if invitation else "") or answers.get(CONDITION_KEY) or ""
    names = {scale.key: translate(scale.name) for scale in definition.scales}
    instruments = {instrument.key: instrument.name for instrument in definition.instruments}
    scales = {scale.key: scale for scale in definition.scales}
    completed = []
    for score in scores:
        if not _scale_is_shown(score):
            continue
        scale = scales.get(score.key)
        if scale is not None and scale.instrument in instruments:
            completed.append(instruments[scale.instrument])
        elif score.key in names:
            completed.append(names[score.key])
    return Header(
        patient_ref=invitation.patient_ref if invitation else gettext("Preview"),
        team=invitation.team.name if invitation and invitation.team else "",
        condition=condition_label(condition, definition) if condition else gettext("Not stated"),
        completed_on=date_text(response.submitted_at),
        questionnaire=translate(definition.title),
        version_number=response.version.number,
        patient_language=language_name(response.language),
        patient_language_code=response.language,
        instruments_completed=tuple(dict.fromkeys(completed)),
    )


def _flags(
    definition: VersionDef,
    answers: Mapping[str, Any],
    scores: Sequence[ScaleSnapshot],
    weighing: WeighingSnapshot | None,
    *,
    audience: str,
) -> list[Flag]:
    questions = definition.question_map()
    raised = flag_rules.answer_flags_raised(answers, asked=list(questions))
    found = [
        Flag(
            kind=flag_rules.FlagKind.ANSWER,
            title=translate(questions[flag.question].text),
            detail=answer_display(questions[flag.question], answers.get(flag.question)),
            note=str(flag.matters_for) if audience == CLINICIAN else "",
        )
        for flag in raised
    ]
    names = {scale.key: translate(scale.name) for scale in definition.scales}
    for score in scores:
        if flag_rules.is_severe(score):
            found.append(
                Flag(
                    kind=flag_rules.FlagKind.SEVERE_BAND,
                    title=names.get(score.key, score.key),
                    detail=_score_with_band(score),
                )
            )
    for score in scores:
        if flag_rules.has_decisional_conflict(score):
            found.append(
                Flag(
                    kind=flag_rules.FlagKind.DECISIONAL_CONFLICT,
                    title=(
                        gettext("Possible decisional conflict (SURE)")
                        if audience == CLINICIAN
                        else gettext("You may not feel sure about the decision yet")
                    ),
                    detail=gettext("SURE score %(score)s of 4") % {"score": _number(score.score)},
                    note=(
                        gettext("A score of 3 or less suggests the patient is not yet ready.")
                        if audience == CLINICIAN
                        else gettext("That is fine: talk about what would help you feel sure.")
                    ),
                )
            )
    for excluded in weighing.not_suitable if weighing else ():
        # Red flags are the clinical rules' exclusions; history-based ones (did not work,
        # stopped for side effects) are listed with the options.
        reasons = [
            explain.reason_sentence(weighing, reason, audience=audience)
            for reason in excluded.reasons
            if reason.rule_id
        ]
        if not reasons:
            continue
        found.append(
            Flag(
                kind=flag_rules.FlagKind.NOT_SUITABLE,
                title=explain.option_name(weighing, excluded.option_id),
                detail=pgettext("summary flag", "Not suitable now"),
                note=" ".join(dict.fromkeys(reasons)),
            )
        )
    return found


def _number(value: Any) -> str:
    return explain.number_text(value)


def _score_with_band(score: Mapping[str, Any]) -> str:
    band = explain.pick(score.band_label)
    value = _number(score.score)
    return f"{value} ({band})" if band else value


@dataclass(frozen=True)
class AnswerSections:
    facts: tuple[AnswerItem, ...]
    activity_blocks: tuple[ActivityBlock, ...]
    safety: tuple[AnswerItem, ...]
    all_answers: tuple[AnswerGroup, ...]


def _answer_sections(
    definition: VersionDef,
    answers: Mapping[str, Any],
    *,
    activity: Sequence[ScaleRow],
    patient_language: str,
) -> AnswerSections:
    """Every answered visible question, by step, and the consultation's view of them.

    Generic over any questionnaire: nothing here names a question of the demo. The roles of
    steps come from the definition itself:

    * the first answered step holds the facts about the patient (age, weight, appointment
      date, …; the condition is in the header already);
    * a step holding items of a scale (other than the SURE readiness test) is disease
      activity: its answers are shown with the scale scores beside them, never replaced;
    * a step holding a question a red-flag rule reads (``summary.flags``) is a safety step;
    * every walked step, in walking order, is in ``all_answers`` (the appendix).
    """
    visibility, kept = resolve_visibility(definition, answers)
    questions = definition.question_map()
    raised = {flag.question for flag in flag_rules.answer_flags_raised(kept, asked=list(questions))}
    flag_questions = {flag.question for flag in flag_rules.ANSWER_FLAGS}
    scale_of_item = {
        item: scale.key
        for scale in definition.scales
        if scale.key != flag_rules.SURE_SCALE_KEY
        for item in scale.items
    }
    score_rows = {row.key: row for row in activity}
    placed: set[str] = set()
    groups: list[AnswerGroup] = []
    blocks: list[ActivityBlock] = []
    facts: tuple[AnswerItem, ...] = ()
    safety: list[AnswerItem] = []
    for step in definition.steps:
        items = _step_answer_items(
            step, kept, visibility, raised=raised, patient_language=patient_language
        )
        if not items:
            continue
        title = translate(step.title)
        first = not groups
        groups.append(AnswerGroup(key=step.key, title=title, items=items))
        scale_keys = [
            scale_of_item[question.key]
            for question in step.questions
            if question.key in scale_of_item
        ]
        scores = tuple(
            score_rows[key]
            for key in dict.fromkeys(scale_keys)
            if key in score_rows and key not in placed
        )
        placed.update(row.key for row in scores)
        if scale_keys:
            blocks.append(ActivityBlock(key=step.key, title=title, items=items, scores=scores))
        elif first:
            facts = tuple(item for item in items if item.key != CONDITION_KEY)
        elif any(question.key in flag_questions for question in step.questions):
            safety.extend(items)
    leftover = tuple(row for row in activity if row.key not in placed)
    if leftover:  # scores whose items are on no walked step (an imported definition, say)
        blocks.append(ActivityBlock(key="", title=gettext("Scores"), items=(), scores=leftover))
    return AnswerSections(
        facts=facts,
        activity_blocks=tuple(blocks),
        safety=tuple(safety),
        all_answers=tuple(groups),
    )


def _step_answer_items(
    step: StepDef,
    kept: Mapping[str, Any],
    visibility: Visibility,
    *,
    raised: set[str],
    patient_language: str,
) -> tuple[AnswerItem, ...]:
    items = []
    for question in step.questions:
        value = kept.get(question.key)
        if (
            question.kind == Kind.DISPLAY
            or not visibility.shows_question(question.key)
            or not is_answered(value)
        ):
            continue
        if question.kind == Kind.REPEAT_GROUP:
            item = AnswerItem(
                key=question.key,
                question=translate(question.text),
                answer="",
                headers=tuple(translate(child.text) for child in question.children),
                rows=tuple(
                    tuple(cell or "–" for cell in row) for row in answer_rows(question, value)
                ),
            )
        else:
            lang = (
                free_text_language(str(value), page_language=patient_language)
                if question.kind in Kind.TEXTUAL
                else ""
            )
            foreign = bool(lang) and not _same_language(lang, get_language() or "")
            item = AnswerItem(
                key=question.key,
                question=translate(question.text),
                answer=answer_display(question, value),
                flagged=question.key in raised,
                lang=lang,
                language_name=language_name(lang) if foreign else "",
            )
        items.append(item)
    return tuple(items)


def _patient_texts(
    definition: VersionDef,
    answers: Mapping[str, Any],
    *,
    page_language: str,
    reader_language: str,
    translate_foreign: bool,
) -> list[PatientText]:
    """Every free-text answer in walking order (the goal, the patient's own questions, …).

    Text in another language than the reader's is marked with its language and, for the
    clinician, translated when a provider is configured (the one call that leaves the
    process; a provider's failure only means no translation).
    """
    found = []
    for _, _, question in definition.iter_questions():
        if question.kind not in Kind.TEXTUAL:
            continue
        value = answers.get(question.key)
        if not is_answered(value):
            continue
        text = str(value)
        lang = free_text_language(text, page_language=page_language)
        foreign = not _same_language(lang, reader_language)
        lines = tuple(line.strip() for line in text.splitlines() if line.strip())
        found.append(
            PatientText(
                label=translate(question.text),
                lines=lines,
                lang=lang,
                language_name=language_name(lang) if foreign else "",
                translation=(
                    translate_free_text(
                        "\n".join(lines), source_language=lang, target_language=reader_language
                    )
                    if foreign and translate_foreign
                    else None
                ),
                key=question.key,
            )
        )
    return found


def _same_language(first: str, second: str) -> bool:
    return (first or "").split("-")[0].lower() == (second or "").split("-")[0].lower()


def _activity(
    definition: VersionDef,
    scores: Sequence[ScaleSnapshot],
    earlier: Sequence[EarlierResult],
    response: Response,
) -> list[ScaleRow]:
    scales = {scale.key: scale for scale in definition.scales}
    rows = []
    for score in scores:
        scale = scales.get(score.key)
        if scale is None or score.key == flag_rules.SURE_SCALE_KEY:
            continue
        if not _scale_is_shown(score):
            continue
        rows.append(_scale_row(scale, score, earlier, response))
    return rows


def _scale_row(
    scale: ScaleDef,
    score: Mapping[str, Any],
    earlier: Sequence[EarlierResult],
    response: Response,
) -> ScaleRow:
    name = translate(scale.name)
    worse = scale.higher_is == Direction.HIGHER_IS_WORSE
    value = score.score
    history = []
    for visit in earlier:
        match = next((item for item in visit.scores if item.key == scale.key), None)
        if match is not None and match.answered:
            history.append((visit.submitted_at, match.score))
    points = [
        charts.TrendPoint(label=short_date(at), value=past_value) for at, past_value in history
    ]
    points.append(
        charts.TrendPoint(label=short_date(response.submitted_at), value=value, current=True)
    )
    range_text = (
        gettext("%(low)s–%(high)s, higher is worse")
        if worse
        else gettext("%(low)s–%(high)s, higher is better")
    ) % {"low": _number(scale.min_score), "high": _number(scale.max_score)}
    status = score.status
    status_note = {
        "prorated": gettext("%(missing)s item(s) missing; scored from the rest")
        % {"missing": score.missing},
        "incomplete": gettext("Too many items missing to score"),
    }.get(status, "")
    previous = next((past for _, past in reversed(history) if past is not None), None)
    change = _change_text(value, previous, worse=worse) if history else gettext("First visit")
    description = "; ".join(
        f"{point.label}: {_number(point.value) if point.value is not None else '–'}"
        for point in points
    )
    chart = charts.trend_chart(
        chart_id=f"trend-{scale.key}",
        title=gettext("%(scale)s over visits") % {"scale": name},
        description=description,
        points=points,
        low=scale.min_score,
        high=scale.max_score,
        bands=[
            charts.TrendBand(
                lower=band.lower,
                upper=band.upper,
                label=translate(band.label),
                severity=band.severity,
            )
            for band in scale.bands
        ],
    )
    return ScaleRow(
        key=scale.key,
        name=name,
        score=_number(value) if value is not None else "",
        band=explain.pick(score.band_label),
        severity=score.severity or "",
        range_text=range_text,
        status_note=status_note,
        change=change,
        visits=len(points),
        chart=chart,
    )


def _change_text(current: Decimal | None, previous: Decimal | None, *, worse: bool) -> str:
    if current is None or previous is None:
        return gettext("No comparison")
    delta = current - previous
    if delta == 0:
        return gettext("Same as last visit")
    amount = _number(abs(delta))
    if (delta > 0) == worse:
        return gettext("Worse by %(amount)s since last visit") % {"amount": amount}
    return gettext("Better by %(amount)s since last visit") % {"amount": amount}


def _history(
    questions: Mapping[str, QuestionDef], answers: Mapping[str, Any]
) -> HistoryTable | None:
    group = questions.get(PRIOR_GROUP_KEY)
    current_question = questions.get(CURRENT_TREATMENT_KEY)
    if group is None and current_question is None:
        return None
    headers: tuple[str, ...] = ()
    rows: list[tuple[str, ...]] = []
    if group is not None:
        headers = tuple(translate(child.text) for child in group.children)
        for row in answers.get(PRIOR_GROUP_KEY) or []:
            if isinstance(row, Mapping):
                rows.append(
                    tuple(
                        answer_display(child, row.get(child.key)) or "–" for child in group.children
                    )
                )
    current = ""
    if current_question is not None:
        current = answer_display(current_question, answers.get(CURRENT_TREATMENT_KEY))
    satisfaction = ""
    satisfaction_question = questions.get(CURRENT_SATISFACTION_KEY)
    satisfaction_value = answers.get(CURRENT_SATISFACTION_KEY)
    if satisfaction_question is not None and is_answered(satisfaction_value):
        satisfaction = gettext("%(value)s of 10") % {"value": satisfaction_value}
    return HistoryTable(
        headers=headers, rows=tuple(rows), current=current, satisfaction=satisfaction
    )


def _priorities(
    weighing: WeighingSnapshot | None,
) -> tuple[tuple[Priority, ...], tuple[Priority, ...]]:
    """(ranked criteria with weights, the legend of criteria in definition order)."""
    if not weighing:
        return (), ()
    criteria_order = [criterion.key for criterion in weighing.criteria]
    for key in weighing.weights:
        if key not in criteria_order:
            criteria_order.append(key)
    indexes = {
        key: index % len(charts.CRITERION_COLOURS) for index, key in enumerate(criteria_order)
    }
    weights = weighing.weights

    def priority(rank: int, key: str) -> Priority:
        return Priority(
            rank=rank,
            key=key,
            name=explain.criterion_name(key, weighing),
            weight_percent=round(100 * float(weights.get(key, 0))),
            colour=charts.criterion_colour(indexes[key]),
            colour_index=indexes[key],
        )

    ranked = tuple(priority(rank, key) for rank, key in enumerate(weighing.priority, start=1))
    legend = tuple(priority(0, key) for key in criteria_order)
    return ranked, legend


def _risk_limits(
    questions: Mapping[str, QuestionDef], answers: Mapping[str, Any]
) -> list[LabelledValue]:
    found = []
    for key in RISK_LIMIT_KEYS:
        question = questions.get(key)
        value = answers.get(key)
        if question is None or not is_answered(value):
            continue
        found.append(
            LabelledValue(label=translate(question.text), value=answer_display(question, value))
        )
    return found


def _options(weighing: WeighingSnapshot, legend: Sequence[Priority], *, audience: str) -> Options:
    sensitivity = weighing.sensitivity
    close_pair = set()
    if sensitivity.close_call:
        close_pair = {sensitivity.leader, sensitivity.runner_up}
    rows = []
    for option in weighing.ranked:
        option_id = option.option_id
        display = weighing.option(option_id)
        name = explain.option_name(weighing, option_id)
        contributions = option.contributions
        segments = [
            charts.BarSegment(
                label=item.name, value=float(contributions.get(item.key, 0)), colour=item.colour
            )
            for item in legend
        ]
        bar = charts.fit_bar(
            title=gettext("%(option)s: fit %(fit)s of 100")
            % {"option": name, "fit": option.fit_display},
            segments=segments,
        )
        conflicts = tuple(
            explain.conflict_sentence(weighing, conflict, audience=audience)
            for conflict in option.conflicts
        )
        cautions = tuple(
            dict.fromkeys(
                [
                    # Why it is shown after the options within every limit (group 2).
                    explain.reason_sentence(weighing, reason, audience=audience)
                    for reason in option.restrictions
                ]
                + [
                    explain.reason_sentence(weighing, reason, audience=audience)
                    for reason in option.cautions
                ]
                + [
                    explain.adjustment_sentence(weighing, adjustment, audience=audience)
                    for adjustment in option.adjustments
                ]
            )
        )
        drivers = explain.join_words(
            [explain.criterion_name(key, weighing) for key in option.explanation.top_drivers]
        )
        certainty = option.certainty or _display_member(display, "certainty")
        rows.append(
            OptionRow(
                rank=option.rank,
                option_id=option_id,
                name=name,
                fit=option.fit_display,
                bar=bar,
                drivers=drivers,
                sentence=explain.fit_sentence(weighing, option) if audience == PATIENT else "",
                conflicts=conflicts,
                cautions=cautions,
                status=explain.status_label(option.status or _display_member(display, "status")),
                certainty=explain.certainty_label(certainty),
                low_certainty=certainty in LOW_CERTAINTY,
                unverified=bool(display is not None and display.has_unverified),
                is_status_quo=option.is_status_quo,
                close_call=option_id in close_pair,
            )
        )
    not_suitable = tuple(
        ExcludedOption(
            name=explain.option_name(weighing, item.option_id),
            reasons=tuple(
                dict.fromkeys(
                    explain.reason_sentence(weighing, reason, audience=audience)
                    for reason in item.reasons
                    if not reason.rule_id
                )
            ),
            by_rule=any(reason.rule_id for reason in item.reasons),
        )
        for item in weighing.not_suitable
        # The current treatment is not left out: it is the status-quo option.
        if any(reason.code != CURRENT_TREATMENT_CODE for reason in item.reasons)
    )
    return Options(
        rows=tuple(rows),
        not_suitable=not_suitable,
        not_recommended=tuple(
            explain.option_name(weighing, option_id) for option_id in weighing.not_recommended
        ),
        sensitivity=_sensitivity_text(weighing, audience=audience),
        close_call=sensitivity.close_call,
        weight_method=weighing.weight_method,
    )


def _display_member(display: OptionDisplay | None, name: str) -> Any:
    """A member of an option's frozen display; None when the snapshot has no display."""
    return None if display is None else getattr(display, name)


def _sensitivity_text(weighing: WeighingSnapshot, *, audience: str) -> str:
    if audience == PATIENT:
        return explain.sensitivity_sentence(weighing)
    sensitivity = weighing.sensitivity
    leader, runner_up = sensitivity.leader, sensitivity.runner_up
    if leader is None:
        return gettext("No option could be weighed.")
    if runner_up is None:
        return gettext("Only one option could be weighed.")
    values = {
        "leader": explain.option_name(weighing, leader),
        "runner_up": explain.option_name(weighing, runner_up),
        "margin": _number(round(sensitivity.margin or 0)),
    }
    if sensitivity.close_call:
        text = (
            gettext(
                "Close call: %(leader)s and %(runner_up)s are %(margin)s points apart, or the "
                "leader changes under small changes of the weights."
            )
            % values
        )
    else:
        text = gettext("%(leader)s leads %(runner_up)s by %(margin)s points.") % values
    change = sensitivity.smallest_change
    if change:
        text += " " + gettext(
            "Smallest change that alters first place: weight of %(criterion)s %(delta)s "
            "percentage points (then %(option)s leads)."
        ) % {
            "criterion": explain.criterion_name(change.criterion, weighing),
            "delta": f"{100 * change.delta:+.0f}",
            "option": explain.option_name(weighing, change.new_leader),
        }
    return text


def _readiness(
    definition: VersionDef, answers: Mapping[str, Any], scores: Sequence[ScaleSnapshot]
) -> Readiness | None:
    scales = {scale.key: scale for scale in definition.scales}
    questions = definition.question_map()
    sure_scale = scales.get(flag_rules.SURE_SCALE_KEY)
    role_question = questions.get(PREFERRED_ROLE_KEY)
    if sure_scale is None and role_question is None:
        return None
    items = []
    score_text = band = ""
    conflict = False
    if sure_scale is not None:
        for key in sure_scale.items:
            question = questions.get(key)
            value = answers.get(key)
            if question is None:
                continue
            items.append(
                ReadinessItem(
                    question=translate(question.text),
                    answer=answer_display(question, value) or "–",
                    is_no=value is False,
                )
            )
        score = next((s for s in scores if s.key == sure_scale.key), None)
        if score is not None and score.score is not None:
            score_text = gettext("%(score)s of %(max)s") % {
                "score": _number(score.score),
                "max": _number(sure_scale.max_score),
            }
            band = explain.pick(score.band_label)
            conflict = flag_rules.has_decisional_conflict(score)
    role = ""
    if role_question is not None:
        role = answer_display(role_question, answers.get(PREFERRED_ROLE_KEY))
    return Readiness(items=tuple(items), score=score_text, band=band, conflict=conflict, role=role)


def _footer(
    response: Response,
    result: Result,
    definition: VersionDef,
    scores: Sequence[ScaleSnapshot],
    weighing: WeighingSnapshot | None,
    template_version: str,
) -> Footer:
    evidence = weighing.evidence if weighing else None
    checked = sorted(
        {
            value
            for value in ((evidence.oldest_checked, evidence.newest_checked) if evidence else ())
            if value
        }
    )
    shown = {score.key for score in scores if _scale_is_shown(score)}
    used_instruments = {scale.instrument for scale in definition.scales if scale.key in shown}
    answered = {key for key, value in (response.answers or {}).items() if is_answered(value)}
    used_instruments |= {
        question.instrument
        for _, _, question in definition.iter_questions()
        if question.instrument and question.key in answered
    }
    notices = tuple(
        instrument.copyright_notice or instrument.name
        for instrument in definition.instruments
        if instrument.key in used_instruments
    )
    return Footer(
        questionnaire=translate(definition.title),
        version_number=response.version.number,
        definition_hash=result.definition_hash[:12],
        engine_version=result.engine_version,
        template_version=template_version,
        weighed_on=date_text(weighing.computed_on) if weighing else "",
        evidence_sources=evidence.sources if evidence else 0,
        evidence_checked=" – ".join(date_text(day) for day in checked),
        evidence_next_review=date_text((evidence.next_review if evidence else None) or ""),
        overdue_evidence=tuple(
            OverdueEvidence(citation=item.citation, next_review=date_text(item.next_review))
            for item in (evidence.overdue if evidence else ())
        ),
        copyright_notices=notices,
        snapshot=result.snapshot_hash[:12],
    )

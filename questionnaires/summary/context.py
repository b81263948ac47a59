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

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext

from questionnaires.answers import answers_from_json
from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import (
    Direction,
    QuestionDef,
    ScaleDef,
    VersionDef,
)
from questionnaires.engine.snapshot import (
    ScaleSnapshot,
    SnapshotError,
    WeighingSnapshot,
    read_scales,
    read_stored_weighing,
)
from questionnaires.formatting import answer_display, date_text
from questionnaires.i18n import translate
from questionnaires.models import Disease, Response, ResponseStatus, Result
from questionnaires.selectors.definitions import version_definition
from questionnaires.selectors.visits import earlier_visits
from questionnaires.services.weighing_input import (
    CONDITION_KEY,
    CURRENT_TREATMENT_KEY,
    PRIOR_GROUP_KEY,
    ms_active_beyond_the_score,
    ms_highly_active,
    sle_active_beyond_the_score,
)
from questionnaires.summary import charts, explain
from questionnaires.summary import flags as flag_rules
from questionnaires.summary.explain import CLINICIAN
from questionnaires.summary.render import SUMMARY_TEMPLATE_VERSION

from .answer_sections import (
    answer_sections_of,
    language_name,
    patient_texts_of,
)
from .options import (
    options_of,
    priorities_of,
    risk_limits_of,
)
from .patient_results import patient_results_context
from .patient_results.groups import WITHIN_LIMITS
from .shapes import (
    AUDIENCES,
    CURRENT_SATISFACTION_KEY,
    EARLIER_VISITS_SHOWN,
    PREFERRED_ROLE_KEY,
    Flag,
    Footer,
    Header,
    HistoryTable,
    OverdueEvidence,
    Readiness,
    ReadinessItem,
    ScaleRow,
    SummaryContext,
)

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
        weighing, weighing_problem = _weighing_or_problem(result.weighing)
        scores = read_scales(result.scores)
        header = _header(response, definition, answers, scores)
        priorities, legend = priorities_of(weighing)
        activity = tuple(
            _activity(definition, scores, fetched.earlier, response, answers, audience=audience)
        )
        sections = answer_sections_of(
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
            flags=tuple(
                _flags(
                    definition,
                    answers,
                    scores,
                    weighing,
                    audience=audience,
                    weighing_problem=weighing_problem,
                )
            ),
            patient_texts=tuple(
                patient_texts_of(
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
            risk_limits=tuple(risk_limits_of(questions, answers)),
            options=options_of(weighing, legend, audience=audience) if weighing else None,
            readiness=_readiness(definition, answers, scores),
            footer=_footer(
                response, result, definition, scores, weighing, SUMMARY_TEMPLATE_VERSION
            ),
            legend=legend,
            options_unreadable=bool(weighing_problem),
            facts=sections.facts,
            activity_blocks=sections.activity_blocks,
            safety=sections.safety,
            all_answers=sections.all_answers,
            option_grid=_option_grid(result, response, language)
            if audience != CLINICIAN and weighing is not None
            else None,
        )


def _option_grid(result: Result, response: Response, language: str) -> dict[str, Any] | None:
    """The grid the patient saw on their result page, from the same frozen weighing and
    answers, so the paper copy compares the same options with the same figures."""
    results = patient_results_context(
        weighing=result.weighing, answers=response.answers or {}, language=language
    )
    if not results:
        return None
    grid = results["grid"]
    # The paper copy keeps "fit" out altogether (it is the clinician's score), so the first
    # group is named without the word; the group itself is the page's.
    return {
        **grid,
        "columns": [
            {**column, "group_label": gettext("In line with what you said matters")}
            if column["group"] == WITHIN_LIMITS
            else column
            for column in grid["columns"]
        ],
    }


# --- pure parts ------------------------------------------------------------------------------


def short_date(value: datetime.datetime | datetime.date | None) -> str:
    """A date short enough for a chart axis, in the reader's language ("4 Dec 2026")."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "SHORT_DATE_FORMAT")


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


def _weighing_or_problem(stored: Any) -> tuple[WeighingSnapshot | None, str]:
    """The stored weighing, or None and where it is damaged. A summary whose options cannot
    be read still shows the answers and the answers' red flags, and says first what is
    missing, rather than failing the page or guessing the rest."""
    try:
        return read_stored_weighing(stored), ""
    except SnapshotError as error:
        return None, str(error)


def _flags(
    definition: VersionDef,
    answers: Mapping[str, Any],
    scores: Sequence[ScaleSnapshot],
    weighing: WeighingSnapshot | None,
    *,
    audience: str,
    weighing_problem: str = "",
) -> list[Flag]:
    questions = definition.question_map()
    raised = flag_rules.answer_flags_raised(answers, asked=list(questions))
    found = []
    if weighing_problem:
        found.append(
            Flag(
                kind=flag_rules.FlagKind.RESULT_UNREADABLE,
                title=gettext("The stored options of this response could not be read"),
                detail=weighing_problem,
                note=gettext(
                    "The options and the safety rules' exclusions are not shown; the answers "
                    "are. Tell your administrator."
                ),
            )
        )
    found += [
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
                    detail=gettext("SURE score %(score)s of 4")
                    % {"score": explain.number_text(score.score)},
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


def _score_with_band(score: Mapping[str, Any]) -> str:
    band = explain.pick(score.band_label)
    value = explain.number_text(score.score)
    return f"{value} ({band})" if band else value


def _activity(
    definition: VersionDef,
    scores: Sequence[ScaleSnapshot],
    earlier: Sequence[EarlierResult],
    response: Response,
    answers: Mapping[str, Any],
    *,
    audience: str,
) -> list[ScaleRow]:
    scales = {scale.key: scale for scale in definition.scales}
    rows = []
    for score in scores:
        scale = scales.get(score.key)
        if scale is None or score.key == flag_rules.SURE_SCALE_KEY:
            continue
        if not _scale_is_shown(score):
            continue
        row = _scale_row(scale, score, earlier, response)
        note = _band_note(score, answers, audience=audience)
        rows.append(dataclasses.replace(row, band_note=note) if note else row)
    return rows


MS_SCALE_KEY = "activity_multiple_sclerosis"
SLE_SCALE_KEY = "activity_sle"
QUIET_BANDS = frozenset({"none", "mild"})


def _band_note(score: Mapping[str, Any], answers: Mapping[str, Any], *, audience: str) -> str:
    """Why a quiet band is not the activity verdict, or "".

    The MS activity summary scores symptoms (walking, fatigue, daily life, change); relapses
    and MRI activity are asked beside it and are not scored. Its scoring is left as it is;
    when the band is none/mild but a relapse in 12 months or new MRI activity shows active
    MS (ECTRIMS/EAN 2018), the summary says so beside the band, in the words the weighing
    uses (docs/clinical-safety.md, H13)."""
    if score.severity not in QUIET_BANDS:
        return ""
    if score.key == SLE_SCALE_KEY:
        return _sle_band_note(answers, audience=audience)
    if score.key != MS_SCALE_KEY or not ms_active_beyond_the_score(answers):
        return ""
    if audience != CLINICIAN:
        return gettext(
            "This score covers your symptoms only. Your answers about relapses or MRI scans "
            "show that your MS has been active."
        )
    if ms_highly_active(answers):
        return gettext(
            "Symptom score only, not the activity verdict: the relapse and MRI answers show "
            "highly active relapsing MS (2 or more relapses in 12 months, or a relapse with "
            "new MRI activity; ECTRIMS/EAN 2018)."
        )
    return gettext(
        "Symptom score only, not the activity verdict: a relapse in the last 12 months or "
        "new MRI activity shows active MS (ECTRIMS/EAN 2018)."
    )


def _sle_band_note(answers: Mapping[str, Any], *, audience: str) -> str:
    """The lupus summary scores fatigue, pain, overall and daily life; flares and kidney,
    brain or nerve involvement are asked beside it and are not scored (EULAR 2023 counts
    kidney and neuropsychiatric lupus as organ-threatening; docs/clinical-safety.md, H13)."""
    if not sle_active_beyond_the_score(answers):
        return ""
    if audience != CLINICIAN:
        return gettext(
            "This score covers your symptoms only. Your answers about flares, or about your "
            "kidneys, brain or nerves, show that your lupus needs a closer look."
        )
    return gettext(
        "Symptom score only, not the activity verdict: a flare in the last 12 months, or "
        "kidney, brain or nerve involvement, shows active or organ-threatening lupus "
        "(EULAR 2023)."
    )


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
    ) % {"low": explain.number_text(scale.min_score), "high": explain.number_text(scale.max_score)}
    status = score.status
    status_note = {
        "prorated": gettext("%(missing)s item(s) missing; scored from the rest")
        % {"missing": score.missing},
        "incomplete": gettext("Too many items missing to score"),
    }.get(status, "")
    previous = next((past for _, past in reversed(history) if past is not None), None)
    change = _change_text(value, previous, worse=worse) if history else gettext("First visit")
    description = "; ".join(
        f"{point.label}: {explain.number_text(point.value) if point.value is not None else '–'}"
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
        score=explain.number_text(value) if value is not None else "",
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
    amount = explain.number_text(abs(delta))
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
                "score": explain.number_text(score.score),
                "max": explain.number_text(sure_scale.max_score),
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

"""Every answer, grouped by step in the reader's language, and the patient's own words
(goal and questions) quoted in the language they were written in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language, gettext, pgettext

from questionnaires.engine.conditions import is_answered
from questionnaires.engine.definition import (
    Kind,
    StepDef,
    VersionDef,
)
from questionnaires.engine.visibility import Visibility, resolve_visibility
from questionnaires.formatting import answer_display, answer_rows
from questionnaires.free_text import (
    free_text_language,
    translate_free_text,
)
from questionnaires.i18n import language_names, translate
from questionnaires.services.weighing_input import CONDITION_KEY
from questionnaires.summary import flags as flag_rules

from .shapes import (
    ActivityBlock,
    AnswerGroup,
    AnswerItem,
    PatientText,
    ScaleRow,
)


@dataclass(frozen=True)
class AnswerSections:
    facts: tuple[AnswerItem, ...]
    activity_blocks: tuple[ActivityBlock, ...]
    safety: tuple[AnswerItem, ...]
    all_answers: tuple[AnswerGroup, ...]


def answer_sections_of(
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


def patient_texts_of(
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


def language_name(code: str) -> str:
    """A language's name in the reader's language ("English" reads "英语" in Chinese; the
    site's language switch instead names each language in itself)."""
    names = {
        "en": pgettext("language name", "English"),
        "zh-hans": pgettext("language name", "Simplified Chinese"),
    }
    return names.get(code) or str(language_names().get(code, code))

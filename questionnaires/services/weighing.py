"""The one adapter between therapy profiles in the database and the weighing engine.

``weighing_compute`` takes a questionnaire definition and a patient's answers and returns
the weighing as a JSON-safe dict: the same dict is frozen into ``Result.weighing``, read by
the patient's results page and the clinician summary, and printed by ``manage.py simulate``
(whose output ``simulation_run`` builds). Its shape is documented in ``docs/simulate.md``
and checked by ``docs/simulate.schema.json``.

What the adapter decides (everything else is the engine's):

- **Which options**: every therapy with an indication for the patient's condition, except
  indications marked "not recommended" (listed separately, never weighed), plus the
  status quo ``no_change``, which is always present.
- **The status quo**: "no change" when the patient takes nothing (or something we have no
  profile for). When they take a therapy we know, the status quo is *staying on it*: its
  routes, family, target class, status, certainty and criterion values, except that the
  wait for a benefit is the "no change" wait (it is already being taken) and, when the
  patient said it does not work, its effectiveness is the "no change" value.
- **Severity** is left to content rules (e.g. ``mild_disease_psoriasis`` tests
  ``scale.activity_psoriasis.severity``); an indication's "used for" is shown, not weighed.
- **Preferences** from the answers ``priority_ranking``, ``mar_serious_harm``,
  ``routes_accepted`` (without ``intravenous`` when the patient cannot travel for
  infusions) and ``experimental_openness``.
- **Treatment history** from the repeat group ``prior_treatments`` and the question
  ``current_treatment``.
- **Derived answers** that rule conditions may test besides the questions:
  ``scale.<key>.score`` (number), ``scale.<key>.severity`` (band severity),
  ``prior.tried``, ``prior.not_effective``, ``prior.side_effects`` (therapy slugs) and
  ``prior.stop_reasons`` (reasons given for stopping).

The result snapshot records the profile versions it used: each therapy's revision
counter and the history ids of its therapy and indication rows, and each rule's.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils import timezone

from questionnaires.engine import ENGINE_VERSION
from questionnaires.engine import weighing as engine
from questionnaires.engine.definition import ChoiceDef, Kind, QuestionDef, Severity, VersionDef
from questionnaires.models import (
    QuestionnaireVersion,
)
from questionnaires.selectors.definitions import definition_for_version
from questionnaires.selectors.therapies import (
    DiseaseProfiles,
    ProfilesMissing,
    profiles_current,
)
from questionnaires.services.weighing_input import (
    DISEASE_ACTIVE,
    FORMAT_VERSION,
    MS_HIGHLY_ACTIVE,
    PRIOR_NOT_EFFECTIVE,
    PRIOR_SIDE_EFFECTS,
    PRIOR_STOP_REASON_KEY,
    PRIOR_STOP_REASONS,
    PRIOR_TRIED,
    PreparedAnswers,
    answers_prepare,
    disease_of,
    weighing_input_build,
)
from questionnaires.services.weighing_json import (
    scale_to_json,
    weighing_to_json,
)

# --- the public services ------------------------------------------------------------------


def weighing_compute(
    *,
    definition: VersionDef,
    answers: Mapping[str, Any],
    profiles: DiseaseProfiles | None = None,
    today: datetime.date | None = None,
    prepared_answers: PreparedAnswers | None = None,
) -> dict[str, Any] | None:
    """The weighing for ``answers`` as a JSON-safe dict, or None when there is nothing to
    weigh (no condition answered). ``answers`` may be stored (JSON) or engine form;
    ``prepared_answers``, when the caller has them (``result_freeze``), are used as they are.

    Raises ProfilesMissing when the condition has no status-quo profile (profiles not
    loaded).
    """
    if prepared_answers is None:
        prepared_answers = answers_prepare(definition=definition, answers=answers)
    return _weigh(definition, prepared_answers, profiles=profiles, today=today)


def _weigh(
    definition: VersionDef,
    prepared_answers: PreparedAnswers,
    *,
    profiles: DiseaseProfiles | None,
    today: datetime.date | None,
) -> dict[str, Any] | None:
    disease = disease_of(definition, prepared_answers.pruned)
    if disease is None:
        return None
    today = today or timezone.localdate()
    if profiles is None or profiles.disease != disease:
        profiles = profiles_current(disease=disease, today=today)
    prepared = weighing_input_build(profiles=profiles, prepared_answers=prepared_answers)
    result = engine.weigh(prepared.weighing_input)
    return weighing_to_json(prepared, result, today=today)


def simulation_run(
    *,
    version: QuestionnaireVersion,
    answers: Mapping[str, Any],
    definition: VersionDef | None = None,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """Everything the logic simulator prints for ``answers`` on ``version`` (JSON-safe).

    ``definition`` may be passed when the caller already built it (the publish gate).
    """
    if definition is None:
        definition = definition_for_version(version)
    prepared_answers = answers_prepare(definition=definition, answers=answers)
    notes: list[str] = []
    weighing = None
    try:
        weighing = _weigh(definition, prepared_answers, profiles=None, today=today)
    except ProfilesMissing as missing:
        notes.append(str(missing))
    if weighing is None and not notes:
        notes.append("no condition was answered, so there is nothing to weigh")
    questions = definition.question_map()
    return {
        "format": "sdm-simulation",
        "format_version": FORMAT_VERSION,
        "questionnaire": definition.slug,
        "version": version.number,
        "version_status": version.status,
        "engine_version": ENGINE_VERSION,
        "condition": disease_of(definition, prepared_answers.pruned),
        "visible_steps": list(prepared_answers.visibility.steps),
        "visible_questions": [
            question.key
            for _, _, question in definition.iter_questions()
            if prepared_answers.visibility.shows_question(question.key)
        ],
        "dropped_answers": [
            {"key": key, "reason": "unknown" if key not in questions else "hidden_or_empty"}
            for key in prepared_answers.dropped
        ],
        "scales": [scale_to_json(scale, definition) for scale in prepared_answers.scales],
        "weighing": weighing,
        "notes": notes,
    }


# --- derived keys as questions (for validating rule conditions) ---------------------------


def derived_questions(
    definition: VersionDef, *, therapy_slugs: Sequence[str]
) -> dict[str, QuestionDef]:
    """Pseudo-questions for the derived answer keys, so rule conditions can be validated
    with ``engine.conditions.validate`` like any ``show_if``."""

    def choice_list(values: Iterable[str]) -> tuple[ChoiceDef, ...]:
        return tuple(ChoiceDef(value, {"en": value}) for value in values)

    found: dict[str, QuestionDef] = {}
    for scale in definition.scales:
        score_key = f"scale.{scale.key}.score"
        severity_key = f"scale.{scale.key}.severity"
        found[score_key] = QuestionDef(key=score_key, kind=Kind.DECIMAL, text={"en": score_key})
        found[severity_key] = QuestionDef(
            key=severity_key,
            kind=Kind.SINGLE_CHOICE,
            text={"en": severity_key},
            choices=choice_list(Severity.ALL),
        )
    stop_reasons: tuple[ChoiceDef, ...] = ()
    questions = definition.question_map()
    if PRIOR_STOP_REASON_KEY in questions:
        stop_reasons = questions[PRIOR_STOP_REASON_KEY].choices
    for key in (PRIOR_TRIED, PRIOR_NOT_EFFECTIVE, PRIOR_SIDE_EFFECTS):
        found[key] = QuestionDef(
            key=key, kind=Kind.MULTIPLE_CHOICE, text={"en": key}, choices=choice_list(therapy_slugs)
        )
    for key in (MS_HIGHLY_ACTIVE, DISEASE_ACTIVE):
        found[key] = QuestionDef(key=key, kind=Kind.YES_NO, text={"en": key})
    found[PRIOR_STOP_REASONS] = QuestionDef(
        key=PRIOR_STOP_REASONS,
        kind=Kind.MULTIPLE_CHOICE,
        text={"en": PRIOR_STOP_REASONS},
        choices=stop_reasons,
    )
    return found

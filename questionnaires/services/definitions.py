"""Questionnaire versions: the services that write them (import, clone, publish, retire).

Reading a version as a ``VersionDef`` is ``selectors.definitions``; writing one is here.

Cloning is "read the version as a definition, write it as a new draft": the same path
the JSON import takes, so whatever an export carries, a clone carries too.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from questionnaires.engine import definition as spec
from questionnaires.engine.lint import lint, lint_structure
from questionnaires.i18n import text_columns
from questionnaires.models import (
    AuditAction,
    Choice,
    Instrument,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    Scale,
    ScaleBand,
    Step,
    VersionStatus,
)
from questionnaires.selectors.definitions import definition_for_version, definition_hash
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.simulation_cases import simulation_cases_copy, simulation_cases_gate

# ---------------------------------------------------------------------------------------
# Write: VersionDef → a new draft version


@transaction.atomic
def version_create_from_definition(
    *,
    definition: spec.VersionDef,
    actor=None,
    cloned_from: QuestionnaireVersion | None = None,
    audit_action: AuditAction | None = AuditAction.VERSION_IMPORTED,
    fhir_source: dict | None = None,
) -> QuestionnaireVersion:
    """Write ``definition`` as the next draft version of its questionnaire (created if new).

    ``fhir_source`` is the FHIR Questionnaire the definition was imported from; a clone
    keeps its original's.
    """
    problems = lint_structure(definition)
    if problems:
        raise ServiceRefused(problems)

    questionnaire, _ = Questionnaire.objects.get_or_create(
        slug=definition.slug, defaults={"disease": definition.disease}
    )
    if questionnaire.disease != definition.disease:
        questionnaire.disease = definition.disease
        questionnaire.full_clean()
        questionnaire.save(update_fields=["disease"])
    # Lock the questionnaire row so two imports or clones at once cannot both take
    # the same next number (PostgreSQL refuses FOR UPDATE on an aggregate).
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
    last_number = QuestionnaireVersion.objects.filter(questionnaire=questionnaire).aggregate(
        last=Max("number")
    )["last"]
    version = QuestionnaireVersion(
        questionnaire=questionnaire,
        number=(last_number or 0) + 1,
        status=VersionStatus.DRAFT,
        estimated_minutes=definition.estimated_minutes,
        languages=list(definition.languages),
        source_url=definition.source_url,
        source_version=definition.source_version,
        variables=[dict(variable) for variable in definition.variables],
        fhir_source=fhir_source
        if fhir_source is not None
        else (cloned_from.fhir_source if cloned_from is not None else None),
        cloned_from=cloned_from,
        **text_columns("title", definition.title),
        **text_columns("description", definition.description),
    )
    version.title = definition.title.get("en") or next(iter(definition.title.values()), "")
    version.save()

    instruments = {
        instrument.key: _instrument_upsert(instrument) for instrument in definition.instruments
    }
    _write_steps(version, definition, instruments)
    _write_scales(version, definition, instruments)
    if audit_action is not None:
        audit_record(
            action=audit_action,
            actor=actor,
            object_repr=str(version),
            detail={
                "version_id": version.pk,
                "cloned_from": cloned_from.pk if cloned_from else None,
            },
        )
    return version


def _instrument_upsert(instrument: spec.InstrumentDef) -> Instrument:
    values = {
        "name": instrument.name,
        "licence": instrument.licence,
        "copyright_notice": instrument.copyright_notice,
        "allowed_use": instrument.allowed_use,
        "citation": instrument.citation,
        "url": instrument.url,
    }
    row, created = Instrument.objects.get_or_create(key=instrument.key, defaults=values)
    if not created and any(getattr(row, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(row, name, value)
        row.full_clean()
        row.save()
    return row


def _write_steps(version, definition: spec.VersionDef, instruments: dict[str, Instrument]) -> None:
    for step_order, step_def in enumerate(definition.steps):
        step = Step(
            version=version,
            key=step_def.key,
            order=step_order,
            show_if=step_def.show_if,
            source_link_id=step_def.source_link_id,
            **text_columns("title", step_def.title),
            **text_columns("intro", step_def.intro),
        )
        step.save()
        for question_order, question_def in enumerate(step_def.questions):
            parent = _write_question(step, question_def, question_order, None, instruments)
            for child_order, child_def in enumerate(question_def.children):
                _write_question(step, child_def, child_order, parent, instruments)


def _write_question(step, question_def, order, parent, instruments) -> Question:
    question = Question(
        step=step,
        parent=parent,
        key=question_def.key,
        order=order,
        kind=question_def.kind,
        required=question_def.required,
        read_only=question_def.read_only,
        min_value=question_def.min_value,
        max_value=question_def.max_value,
        unit=question_def.unit,
        max_length=question_def.max_length,
        max_rows=question_def.max_rows,
        not_in_past=question_def.not_in_past,
        show_if=question_def.show_if,
        instrument=instruments.get(question_def.instrument) if question_def.instrument else None,
        criterion=question_def.criterion,
        link_id=question_def.link_id,
        hidden=question_def.hidden,
        expressions=dict(question_def.expressions),
        **text_columns("text", question_def.text),
        **text_columns("help", question_def.help),
    )
    question.save()
    Choice.objects.bulk_create(
        Choice(
            question=question,
            order=choice_order,
            value=choice_def.value,
            score=choice_def.score,
            system=choice_def.system,
            exclusive=choice_def.exclusive,
            **text_columns("label", choice_def.label),
        )
        for choice_order, choice_def in enumerate(question_def.choices)
    )
    return question


def _write_scales(version, definition: spec.VersionDef, instruments) -> None:
    for scale_order, scale_def in enumerate(definition.scales):
        scale = Scale(
            version=version,
            key=scale_def.key,
            order=scale_order,
            item_keys=list(scale_def.items),
            method=scale_def.method,
            max_missing=scale_def.max_missing,
            higher_is=scale_def.higher_is,
            min_score=scale_def.min_score,
            max_score=scale_def.max_score,
            instrument=instruments.get(scale_def.instrument) if scale_def.instrument else None,
            **text_columns("name", scale_def.name),
        )
        scale.save()
        ScaleBand.objects.bulk_create(
            ScaleBand(
                scale=scale,
                order=band_order,
                lower=band.lower,
                upper=band.upper,
                severity=band.severity,
                **text_columns("label", band.label),
            )
            for band_order, band in enumerate(scale_def.bands)
        )


# ---------------------------------------------------------------------------------------
# Lifecycle services


def version_lint(*, version: QuestionnaireVersion) -> list[spec.Problem]:
    return lint(definition_for_version(version))


@transaction.atomic
def version_publish(*, version: QuestionnaireVersion, actor=None) -> QuestionnaireVersion:
    """Publish a draft after the linter (and stored test cases) pass; retire the old one."""
    version = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ServiceRefused([f"Only a draft can be published; this version is {version.status}."])
    definition = definition_for_version(version)
    problems = lint(definition)
    # The version's stored simulator test cases must pass too (one problem per failure).
    problems += simulation_cases_gate(version=version, definition=definition)
    if problems:
        raise ServiceRefused(problems)

    now = timezone.now()
    for current in QuestionnaireVersion.objects.select_for_update().filter(
        questionnaire=version.questionnaire, status=VersionStatus.PUBLISHED
    ):
        _retire(current, now=now, actor=actor)
    version.status = VersionStatus.PUBLISHED
    version.published_at = now
    version.definition_hash = definition_hash(definition)
    version.save(update_fields=["status", "published_at", "definition_hash"])
    audit_record(
        action=AuditAction.VERSION_PUBLISHED,
        actor=actor,
        object_repr=str(version),
        detail={"version_id": version.pk, "definition_hash": version.definition_hash},
    )
    return version


@transaction.atomic
def version_retire(*, version: QuestionnaireVersion, actor=None) -> QuestionnaireVersion:
    version = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.PUBLISHED:
        raise ServiceRefused(
            [f"Only a published version can be retired; this one is {version.status}."]
        )
    _retire(version, now=timezone.now(), actor=actor)
    return version


def _retire(version: QuestionnaireVersion, *, now, actor) -> None:
    version.status = VersionStatus.RETIRED
    version.retired_at = now
    version.save(update_fields=["status", "retired_at"])
    audit_record(
        action=AuditAction.VERSION_RETIRED,
        actor=actor,
        object_repr=str(version),
        detail={"version_id": version.pk},
    )


@transaction.atomic
def version_clone(*, version: QuestionnaireVersion, actor=None) -> QuestionnaireVersion:
    """Copy any version (published, retired or draft) into a new draft, test cases included."""
    clone = version_create_from_definition(
        definition=definition_for_version(version),
        actor=actor,
        cloned_from=version,
        audit_action=AuditAction.VERSION_CLONED,
    )
    simulation_cases_copy(source=version, target=clone)
    return clone

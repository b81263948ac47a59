"""Questionnaire definitions: the one adapter between ORM rows and ``VersionDef``,
and the services that write versions (import, clone, publish, retire).

Cloning is "read the version as a definition, write it as a new draft": the same path
the JSON import takes, so whatever an export carries, a clone carries too.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from questionnaires.engine import definition as spec
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
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def _column(field: str, language: str) -> str:
    return f"{field}_{language.replace('-', '_')}"


def _text(obj, field: str) -> dict[str, str]:
    """Read a translated field as a ``Text`` mapping (languages without text are left out)."""
    found = {}
    for language in language_codes():
        value = getattr(obj, _column(field, language), None)
        if value:
            found[language] = value
    return found


def _text_columns(field: str, text: spec.Text) -> dict[str, str | None]:
    return {_column(field, language): (text.get(language) or None) for language in language_codes()}


# ---------------------------------------------------------------------------------------
# Read: ORM rows → VersionDef (one fetch, a fixed number of queries)


def definition_for_version(version: QuestionnaireVersion) -> spec.VersionDef:
    steps = list(
        Step.objects.filter(version=version)
        .order_by("order", "pk")
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.select_related("instrument")
                .prefetch_related(
                    Prefetch("choices", queryset=Choice.objects.order_by("order", "pk"))
                )
                .order_by("order", "pk"),
            )
        )
    )
    scales = list(
        Scale.objects.filter(version=version)
        .select_related("instrument")
        .prefetch_related(Prefetch("bands", queryset=ScaleBand.objects.order_by("order", "lower")))
        .order_by("order", "pk")
    )
    instruments: dict[str, Instrument] = {}

    def question_def(question: Question, children: list[Question]) -> spec.QuestionDef:
        if question.instrument is not None:
            instruments[question.instrument.key] = question.instrument
        return spec.QuestionDef(
            key=question.key,
            kind=question.kind,
            text=_text(question, "text"),
            help=_text(question, "help"),
            required=question.required,
            read_only=question.read_only,
            min_value=_normal(question.min_value),
            max_value=_normal(question.max_value),
            unit=question.unit,
            max_length=question.max_length,
            max_rows=question.max_rows,
            show_if=question.show_if,
            choices=tuple(
                spec.ChoiceDef(
                    value=choice.value,
                    label=_text(choice, "label"),
                    score=_normal(choice.score),
                    system=choice.system,
                )
                for choice in question.choices.all()
            ),
            children=tuple(question_def(child, []) for child in children),
            instrument=question.instrument.key if question.instrument else "",
            criterion=question.criterion,
            link_id=question.link_id,
            hidden=question.hidden,
            expressions=question.expressions or {},
        )

    step_defs = []
    for step in steps:
        questions = list(step.questions.all())
        children_of: dict[int, list[Question]] = defaultdict(list)
        for question in questions:
            if question.parent_id:
                children_of[question.parent_id].append(question)
        step_defs.append(
            spec.StepDef(
                key=step.key,
                title=_text(step, "title"),
                intro=_text(step, "intro"),
                show_if=step.show_if,
                source_link_id=step.source_link_id,
                questions=tuple(
                    question_def(question, children_of.get(question.pk, []))
                    for question in questions
                    if question.parent_id is None
                ),
            )
        )

    scale_defs = []
    for scale in scales:
        if scale.instrument is not None:
            instruments[scale.instrument.key] = scale.instrument
        scale_defs.append(
            spec.ScaleDef(
                key=scale.key,
                name=_text(scale, "name"),
                items=tuple(scale.item_keys),
                method=scale.method,
                max_missing=scale.max_missing,
                higher_is=scale.higher_is,
                min_score=_normal(scale.min_score),
                max_score=_normal(scale.max_score),
                bands=tuple(
                    spec.BandDef(
                        lower=_normal(band.lower),
                        upper=_normal(band.upper),
                        label=_text(band, "label"),
                        severity=band.severity,
                    )
                    for band in scale.bands.all()
                ),
                instrument=scale.instrument.key if scale.instrument else "",
            )
        )

    return spec.VersionDef(
        slug=version.questionnaire.slug,
        title=_text(version, "title"),
        description=_text(version, "description"),
        disease=version.questionnaire.disease,
        languages=tuple(version.languages or language_codes()),
        estimated_minutes=version.estimated_minutes,
        steps=tuple(step_defs),
        scales=tuple(scale_defs),
        instruments=tuple(
            spec.InstrumentDef(
                key=instrument.key,
                name=instrument.name,
                licence=instrument.licence,
                copyright_notice=instrument.copyright_notice,
                allowed_use=instrument.allowed_use,
                citation=instrument.citation,
                url=instrument.url,
            )
            for instrument in sorted(instruments.values(), key=lambda i: i.key)
        ),
        source_url=version.source_url,
        source_version=version.source_version,
        variables=tuple(version.variables or ()),
    )


def _normal(value: Decimal | None) -> Decimal | None:
    """Drop the trailing zeros a DecimalField adds, so 3 and 3.0000 compare equal."""
    if value is None:
        return None
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def definition_hash(definition: spec.VersionDef) -> str:
    from questionnaires.interop import sdm_json

    return hashlib.sha256(sdm_json.dumps(definition).encode("utf-8")).hexdigest()


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
    from questionnaires.engine.lint import lint_structure

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
        **_text_columns("title", definition.title),
        **_text_columns("description", definition.description),
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
            **_text_columns("title", step_def.title),
            **_text_columns("intro", step_def.intro),
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
        show_if=question_def.show_if,
        instrument=instruments.get(question_def.instrument) if question_def.instrument else None,
        criterion=question_def.criterion,
        link_id=question_def.link_id,
        hidden=question_def.hidden,
        expressions=dict(question_def.expressions),
        **_text_columns("text", question_def.text),
        **_text_columns("help", question_def.help),
    )
    question.save()
    Choice.objects.bulk_create(
        Choice(
            question=question,
            order=choice_order,
            value=choice_def.value,
            score=choice_def.score,
            system=choice_def.system,
            **_text_columns("label", choice_def.label),
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
            **_text_columns("name", scale_def.name),
        )
        scale.save()
        ScaleBand.objects.bulk_create(
            ScaleBand(
                scale=scale,
                order=band_order,
                lower=band.lower,
                upper=band.upper,
                severity=band.severity,
                **_text_columns("label", band.label),
            )
            for band_order, band in enumerate(scale_def.bands)
        )


# ---------------------------------------------------------------------------------------
# Lifecycle services


def version_lint(*, version: QuestionnaireVersion) -> list[spec.Problem]:
    from questionnaires.engine.lint import lint

    return lint(definition_for_version(version))


@transaction.atomic
def version_publish(*, version: QuestionnaireVersion, actor=None) -> QuestionnaireVersion:
    """Publish a draft after the linter (and stored test cases) pass; retire the old one."""
    version = QuestionnaireVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.DRAFT:
        raise ServiceRefused([f"Only a draft can be published; this version is {version.status}."])
    definition = definition_for_version(version)
    from questionnaires.engine.lint import lint

    problems = lint(definition)
    problems += _publish_checks(version=version, definition=definition)
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


def _publish_checks(*, version, definition) -> list[spec.Problem]:
    """Extra publish gates registered by other parts (stored simulator test cases)."""
    from questionnaires.services import publish_gates

    problems: list[spec.Problem] = []
    for gate in publish_gates.registered():
        problems.extend(gate(version=version, definition=definition))
    return problems


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
    from questionnaires.services.simulation_cases import simulation_cases_copy

    clone = version_create_from_definition(
        definition=definition_for_version(version),
        actor=actor,
        cloned_from=version,
        audit_action=AuditAction.VERSION_CLONED,
    )
    simulation_cases_copy(source=version, target=clone)
    return clone

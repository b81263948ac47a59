"""Import and export services for questionnaire files (our JSON format and FHIR R4)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from questionnaires.interop import sdm_json
from questionnaires.models import QuestionnaireVersion
from questionnaires.services import definitions as definition_services
from questionnaires.services.errors import ServiceRefused


@dataclass(frozen=True)
class ImportOutcome:
    version: QuestionnaireVersion
    notes: tuple  # FHIR features that could not be mapped (empty for our own format)


@transaction.atomic
def questionnaire_import(
    *, data: bytes, fmt: str, publish: bool = False, actor=None
) -> ImportOutcome:
    """Import one file as a new draft (optionally published); all or nothing."""
    notes: tuple = ()
    if fmt == "sdm":
        try:
            definition = sdm_json.load_bytes(data)
        except sdm_json.ImportRefused as refused:
            raise ServiceRefused(refused.problems) from refused
    elif fmt == "fhir":
        from questionnaires.interop import fhir_questionnaire

        try:
            imported = fhir_questionnaire.import_fhir(data)
        except sdm_json.ImportRefused as refused:
            raise ServiceRefused(refused.problems) from refused
        definition, notes = imported.definition, tuple(imported.report)
    else:
        raise ServiceRefused([f"Unknown format '{fmt}': use sdm or fhir."])
    version = definition_services.version_create_from_definition(definition=definition, actor=actor)
    if publish:
        version = definition_services.version_publish(version=version, actor=actor)
    return ImportOutcome(version=version, notes=notes)


def version_export(*, version: QuestionnaireVersion, fmt: str) -> tuple[str, str]:
    """(file name, file text) of one version in our format or as FHIR R4."""
    definition = definition_services.definition_for_version(version)
    stem = f"{version.questionnaire.slug}-v{version.number}"
    if fmt == "sdm":
        return f"{stem}.sdm.json", sdm_json.dumps(definition)
    if fmt == "fhir":
        from questionnaires.interop import fhir_questionnaire

        exported = fhir_questionnaire.export_fhir(
            definition, version_number=version.number, status=_fhir_status(version)
        )
        return f"{stem}.fhir.json", fhir_questionnaire.fhir_json(exported.resource)
    raise ServiceRefused([f"Unknown format '{fmt}': use sdm or fhir."])


def version_export_notes(*, version: QuestionnaireVersion) -> tuple:
    """What a FHIR export of ``version`` cannot carry exactly (scales, rankings, …)."""
    from questionnaires.interop import fhir_questionnaire

    definition = definition_services.definition_for_version(version)
    return tuple(
        fhir_questionnaire.export_fhir(
            definition, version_number=version.number, status=_fhir_status(version)
        ).notes
    )


def _fhir_status(version: QuestionnaireVersion) -> str:
    return {"draft": "draft", "published": "active", "retired": "retired"}[version.status]


@dataclass(frozen=True)
class ImportPreview:
    definition: object  # the VersionDef the file holds
    notes: tuple  # as ImportOutcome.notes
    existing_versions: int  # versions the questionnaire already has (0: a new questionnaire)


def questionnaire_import_preview(*, data: bytes, fmt: str) -> ImportPreview:
    """What importing ``data`` would write, without writing anything (ServiceRefused if it
    cannot be imported): the admin shows this report before the import is confirmed."""
    from questionnaires.engine.lint import lint_structure

    notes: tuple = ()
    try:
        if fmt == "sdm":
            definition = sdm_json.load_bytes(data)
        elif fmt == "fhir":
            from questionnaires.interop import fhir_questionnaire

            imported = fhir_questionnaire.import_fhir(data)
            definition, notes = imported.definition, tuple(imported.report)
        else:
            raise ServiceRefused([f"Unknown format '{fmt}': use sdm or fhir."])
    except sdm_json.ImportRefused as refused:
        raise ServiceRefused(refused.problems) from refused
    problems = lint_structure(definition)
    if problems:
        raise ServiceRefused(problems)
    existing = QuestionnaireVersion.objects.filter(questionnaire__slug=definition.slug).count()
    return ImportPreview(definition=definition, notes=notes, existing_versions=existing)

"""Import and export services for questionnaire files (our JSON format and FHIR R4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import transaction

from questionnaires.interop import fhir_questionnaire, sdm_json
from questionnaires.interop.json_io import write_json
from questionnaires.models import Questionnaire, QuestionnaireVersion
from questionnaires.selectors.definitions import definition_for_version
from questionnaires.services import definitions as definition_services
from questionnaires.services.errors import ServiceRefused


@dataclass(frozen=True)
class ImportOutcome:
    version: QuestionnaireVersion
    notes: tuple  # FHIR features that could not be mapped (empty for our own format)


@transaction.atomic
def questionnaire_import(
    *, data: bytes, fmt: str, publish: bool = False, actor=None, into: str | None = None
) -> ImportOutcome:
    """Import one file as a new draft (optionally published); all or nothing.

    A FHIR Questionnaire is a new version of an existing questionnaire only when its
    canonical ``url`` is the one that questionnaire was imported from, or when ``into``
    names it; otherwise it becomes a new questionnaire under a fresh slug, so an
    unrelated form with the same title never joins (or, published, retires) another.
    """
    notes: tuple = ()
    source = None
    if fmt == "sdm":
        try:
            definition = sdm_json.load_bytes(data)
        except sdm_json.ImportRefused as refused:
            raise ServiceRefused(refused.problems) from refused
    elif fmt == "fhir":
        try:
            imported = fhir_questionnaire.import_fhir(data)
        except sdm_json.ImportRefused as refused:
            raise ServiceRefused(refused.problems) from refused
        definition, notes = imported.definition, tuple(imported.report)
        source = _json_ready(imported.resource)
        definition = replace(definition, slug=_fhir_slug(definition, into=into))
    else:
        raise ServiceRefused([f"Unknown format '{fmt}': use sdm or fhir."])
    if into is not None and fmt != "fhir":
        if not Questionnaire.objects.filter(slug=into).exists():
            raise ServiceRefused([f"--into {into}: there is no questionnaire with that slug."])
        definition = replace(definition, slug=into)
    version = definition_services.version_create_from_definition(
        definition=definition, actor=actor, fhir_source=source
    )
    if publish:
        version = definition_services.version_publish(version=version, actor=actor)
    return ImportOutcome(version=version, notes=notes)


def _fhir_slug(definition, *, into: str | None) -> str:
    """The questionnaire an imported FHIR Questionnaire belongs to (see questionnaire_import)."""
    if into is not None:
        if not Questionnaire.objects.filter(slug=into).exists():
            raise ServiceRefused([f"--into {into}: there is no questionnaire with that slug."])
        return into
    if definition.source_url:
        same = (
            QuestionnaireVersion.objects.filter(source_url=definition.source_url)
            .order_by("-created_at", "-pk")
            .values_list("questionnaire__slug", flat=True)
            .first()
        )
        if same is not None:
            return same
    base, number = definition.slug, 2
    slug = base
    while Questionnaire.objects.filter(slug=slug).exists():
        suffix = f"-{number}"
        slug = base[: 80 - len(suffix)] + suffix
        number += 1
    return slug


def _json_ready(resource):
    """The parsed resource as plain JSON data for a JSONField (decimals exact as text)."""
    return json.loads(write_json(resource)) if resource is not None else None


def questionnaire_canonical_base(version: QuestionnaireVersion) -> str:
    """The canonical URL of a questionnaire: its FHIR source's, else one of ours.

    ``<base>|<version number>`` names one version: export_fhir writes it as url and
    version, and a QuestionnaireResponse names it in ``questionnaire``.
    """
    return version.source_url or (
        f"{settings.SDM_BASE_URL.rstrip('/')}/fhir/Questionnaire/{version.questionnaire.slug}"
    )


def version_export(*, version: QuestionnaireVersion, fmt: str) -> tuple[str, str]:
    """(file name, file text) of one version in our format or as FHIR R4."""
    definition = definition_for_version(version)
    stem = f"{version.questionnaire.slug}-v{version.number}"
    if fmt == "sdm":
        return f"{stem}.sdm.json", sdm_json.dumps(definition)
    if fmt == "fhir":
        exported = fhir_questionnaire.export_fhir(
            definition,
            version_number=version.number,
            status=_fhir_status(version),
            url=questionnaire_canonical_base(version),
        )
        return f"{stem}.fhir.json", fhir_questionnaire.fhir_json(exported.resource)
    raise ServiceRefused([f"Unknown format '{fmt}': use sdm or fhir."])


def version_export_notes(*, version: QuestionnaireVersion) -> tuple:
    """What a FHIR export of ``version`` cannot carry exactly (scales, rankings, …)."""

    definition = definition_for_version(version)
    return tuple(
        fhir_questionnaire.export_fhir(
            definition,
            version_number=version.number,
            status=_fhir_status(version),
            url=questionnaire_canonical_base(version),
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

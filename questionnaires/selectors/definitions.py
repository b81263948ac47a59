"""Questionnaire definitions read from the database: rows → ``VersionDef``, cached, hashed.

Every page, service and command that needs a version's definition calls
``version_definition`` (published and retired versions are immutable, so a process-level
cache serves them; a draft is read afresh each time). ``definition_for_version`` is the
uncached read (the publish and clone services read a draft they lock), ``definition_hash``
the hash publishing stores and a result records.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch

from questionnaires.engine import definition as spec
from questionnaires.engine.definition import VersionDef
from questionnaires.i18n import language_codes, text_of
from questionnaires.interop import sdm_json
from questionnaires.lru import ImmutableLru
from questionnaires.models import (
    Choice,
    Instrument,
    Question,
    QuestionnaireVersion,
    Scale,
    ScaleBand,
    Step,
    VersionStatus,
)


def definition_for_version(version: QuestionnaireVersion) -> spec.VersionDef:
    """The version read from its rows (one fetch, a fixed number of queries), uncached."""
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
            text=text_of(question, "text"),
            help=text_of(question, "help"),
            required=question.required,
            read_only=question.read_only,
            min_value=_normal(question.min_value),
            max_value=_normal(question.max_value),
            unit=question.unit,
            max_length=question.max_length,
            max_rows=question.max_rows,
            not_in_past=question.not_in_past,
            show_if=question.show_if,
            choices=tuple(
                spec.ChoiceDef(
                    value=choice.value,
                    label=text_of(choice, "label"),
                    score=_normal(choice.score),
                    system=choice.system,
                    exclusive=choice.exclusive,
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
                title=text_of(step, "title"),
                intro=text_of(step, "intro"),
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
                name=text_of(scale, "name"),
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
                        label=text_of(band, "label"),
                        severity=band.severity,
                    )
                    for band in scale.bands.all()
                ),
                instrument=scale.instrument.key if scale.instrument else "",
            )
        )

    return spec.VersionDef(
        slug=version.questionnaire.slug,
        title=text_of(version, "title"),
        description=text_of(version, "description"),
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
    """SHA-256 of the definition's canonical JSON export: what publishing stores and a
    result records (a draft has none stored; it is computed the same way)."""
    return hashlib.sha256(sdm_json.dumps(definition).encode("utf-8")).hexdigest()


# --- definitions, cached for immutable versions ---------------------------------------------

_definitions: ImmutableLru[VersionDef] = ImmutableLru(size=64)


def definition_cache_key(version: QuestionnaireVersion) -> tuple[int, str] | None:
    """(pk, definition hash) for published and retired versions; None for drafts."""
    if version.status == VersionStatus.DRAFT or not version.definition_hash:
        return None
    return (version.pk, version.definition_hash)


_versions: ImmutableLru[QuestionnaireVersion] = ImmutableLru(size=64)


def version_cached(version_id: int, definition_hash: str) -> QuestionnaireVersion:
    """The version row (with its questionnaire), kept per process when it is immutable.

    A patient's page takes its response's version from here, by the id and hash the
    journey query reads, instead of joining every column of it (compiling and fetching
    them on every request cost more than the round trip). The key holds the hash for the
    reason the definition cache's does: a row id can come back with other content (a
    rolled-back test database), a hash cannot. Only the lifecycle fields (status,
    retired_at) of a kept row can go stale, and only from published to retired, which
    changes neither the definition nor its cache key. Drafts have no hash and are read
    afresh. The row is shared between requests: callers must not change it.
    """
    return _versions.get_or_build(
        (version_id, definition_hash) if definition_hash else None,
        lambda: QuestionnaireVersion.objects.select_related("questionnaire").get(pk=version_id),
        keep=lambda version: definition_cache_key(version) == (version_id, definition_hash),
    )


def version_definition(version: QuestionnaireVersion) -> VersionDef:
    """The definition of ``version``; a process-level cache serves immutable versions."""
    return _definitions.get_or_build(
        definition_cache_key(version), lambda: definition_for_version(version)
    )

"""Our own JSON format: one file per questionnaire version (``docs/interop.md``).

The file is ``VersionDef`` written out field by field. ``dumps`` writes every key, in
the order the dataclasses declare their fields, translations sorted by language
code, with two-space indentation and a final newline, so the same definition always
gives the same bytes (``services.definitions.definition_hash`` relies on that).
Numbers are exact: decimals are written digit for digit and read back as
``Decimal``.

``load_bytes`` trusts nothing: size, encoding, JSON syntax, the JSON Schema in
``schema/sdm-questionnaire.schema.json`` and the structural linter must all pass,
and every problem found at the failing stage is reported, one line each.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from questionnaires.engine.conditions import LEAF_FIELDS
from questionnaires.engine.definition import (
    EXPRESSION_NAMES,
    BandDef,
    ChoiceDef,
    InstrumentDef,
    Problem,
    QuestionDef,
    ScaleDef,
    StepDef,
    Text,
    VersionDef,
)
from questionnaires.engine.kinds import kind_codes
from questionnaires.engine.lint import lint_structure

from .json_io import MAX_IMPORT_BYTES, ImportRefused, read_json_bytes, write_json

FORMAT = "sdm-questionnaire"
FORMAT_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "sdm-questionnaire.schema.json"

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_IMPORT_BYTES",
    "ImportRefused",
    "dump",
    "dumps",
    "load",
    "load_bytes",
    "schema",
]


@functools.cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the format (read once)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _validator() -> jsonschema.Draft202012Validator:
    return _validator_for(kind_codes())


@functools.cache
def _validator_for(kinds: tuple[str, ...]) -> jsonschema.Draft202012Validator:
    """The published schema, with the question kinds the registry knows (``engine.kinds``):
    the file lists the built-in kinds; a kind added in code is accepted too."""
    document = copy.deepcopy(schema())
    document["$defs"]["question"]["properties"]["kind"]["enum"] = list(kinds)
    return jsonschema.Draft202012Validator(document)


# --- writing ------------------------------------------------------------------------------


def dump(definition: VersionDef) -> dict[str, Any]:
    """The definition as a JSON-ready dict (numbers stay ``Decimal``; see ``dumps``)."""
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "slug": definition.slug,
        "title": _text(definition.title),
        "description": _text(definition.description),
        "disease": definition.disease,
        "languages": list(definition.languages),
        "estimated_minutes": definition.estimated_minutes,
        "source_url": definition.source_url,
        "source_version": definition.source_version,
        "variables": [_variable(variable) for variable in definition.variables],
        "instruments": [_instrument(instrument) for instrument in definition.instruments],
        "steps": [_step(step) for step in definition.steps],
        "scales": [_scale(scale) for scale in definition.scales],
    }
    return _without_unset_fhir_keys(document)


# Keys added for FHIR fidelity are written only when set, so that every file (and every
# definition hash) made before them stays byte for byte the same.
FHIR_ONLY_KEYS = {
    "source_version": "",
    "variables": [],
    "source_link_id": "",
    "hidden": False,
    "expressions": {},
}
# Keys added later still (issue 10) are written only when set, for the same reason.
WRITTEN_WHEN_SET = {**FHIR_ONLY_KEYS, "exclusive": False, "not_in_past": False}


def _without_unset_fhir_keys(document: dict[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for name, value in document.items()
        if not (name in WRITTEN_WHEN_SET and value == WRITTEN_WHEN_SET[name])
    }


def dumps(definition: VersionDef) -> str:
    """The definition as the text of a file: UTF-8 JSON, indent 2, trailing newline."""
    return write_json(dump(definition))


def _text(text: Text) -> dict[str, str]:
    return {language: text[language] for language in sorted(text)}


def _instrument(instrument: InstrumentDef) -> dict[str, Any]:
    return {
        "key": instrument.key,
        "name": instrument.name,
        "licence": instrument.licence,
        "copyright_notice": instrument.copyright_notice,
        "allowed_use": instrument.allowed_use,
        "citation": instrument.citation,
        "url": instrument.url,
    }


def _step(step: StepDef) -> dict[str, Any]:
    return _without_unset_fhir_keys(
        {
            "key": step.key,
            "title": _text(step.title),
            "intro": _text(step.intro),
            "show_if": _condition(step.show_if),
            "questions": [_question(question) for question in step.questions],
            "source_link_id": step.source_link_id,
        }
    )


def _question(question: QuestionDef) -> dict[str, Any]:
    return _without_unset_fhir_keys(
        {
            "key": question.key,
            "kind": question.kind,
            "text": _text(question.text),
            "help": _text(question.help),
            "required": question.required,
            "read_only": question.read_only,
            "min_value": question.min_value,
            "max_value": question.max_value,
            "unit": question.unit,
            "max_length": question.max_length,
            "max_rows": question.max_rows,
            "show_if": _condition(question.show_if),
            "choices": [_choice(choice) for choice in question.choices],
            "children": [_question(child) for child in question.children],
            "instrument": question.instrument,
            "criterion": question.criterion,
            "link_id": question.link_id,
            "hidden": question.hidden,
            "expressions": _expressions(question.expressions),
            "not_in_past": question.not_in_past,
        }
    )


def _variable(variable: Mapping[str, str]) -> dict[str, str]:
    return {"name": variable["name"], "expression": variable["expression"]}


def _expressions(expressions: Mapping[str, Any]) -> dict[str, Any]:
    written: dict[str, Any] = {
        name: expressions[name] for name in EXPRESSION_NAMES if name in expressions
    }
    if expressions.get("variables"):
        written["variables"] = [_variable(variable) for variable in expressions["variables"]]
    return written


def _choice(choice: ChoiceDef) -> dict[str, Any]:
    written = {
        "value": choice.value,
        "label": _text(choice.label),
        "score": choice.score,
        "system": choice.system,
        "exclusive": choice.exclusive,
    }
    return _without_unset_fhir_keys(written)


def _scale(scale: ScaleDef) -> dict[str, Any]:
    return {
        "key": scale.key,
        "name": _text(scale.name),
        "items": list(scale.items),
        "method": scale.method,
        "max_missing": scale.max_missing,
        "higher_is": scale.higher_is,
        "min_score": scale.min_score,
        "max_score": scale.max_score,
        "bands": [_band(band) for band in scale.bands],
        "instrument": scale.instrument,
    }


def _band(band: BandDef) -> dict[str, Any]:
    return {
        "lower": band.lower,
        "upper": band.upper,
        "label": _text(band.label),
        "severity": band.severity,
    }


def _condition(condition: Any) -> Any:
    """A condition with its keys in a fixed order: q, op, value (combinators have one key)."""
    if isinstance(condition, Mapping):
        ordered = [name for name in LEAF_FIELDS if name in condition]
        ordered += sorted(name for name in condition if name not in LEAF_FIELDS)
        return {name: _condition(condition[name]) for name in ordered}
    if isinstance(condition, list | tuple):
        return [_condition(part) for part in condition]
    return condition


# --- reading ------------------------------------------------------------------------------


def load_bytes(data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES) -> VersionDef:
    """The definition in an uploaded file, or ImportRefused listing every problem found."""
    return load(read_json_bytes(data, max_bytes=max_bytes))


def load(document: Any) -> VersionDef:
    """The definition in an already parsed document (numbers as int or Decimal)."""
    problems = schema_problems(document)
    if problems:
        raise ImportRefused(problems)
    definition = _version(document)
    problems = lint_structure(definition)
    if problems:
        raise ImportRefused(problems)
    return definition


def schema_problems(document: Any) -> list[Problem]:
    """Every JSON Schema violation in ``document``, ordered by path."""
    errors = sorted(_validator().iter_errors(document), key=_error_order)
    return [_problem(best_match([error])) for error in errors]


def _error_order(error: ValidationError) -> tuple:
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in error.path)


def _problem(error: ValidationError) -> Problem:
    path = _path(error.absolute_path)
    instance, schema_part = error.instance, error.schema
    description = schema_part.get("description") if isinstance(schema_part, Mapping) else None
    if not error.absolute_path and error.validator == "type":
        message = f"the file must hold one JSON object, not {_json_type(instance)}"
    elif error.validator == "pattern" and description:
        message = f"{_show(instance)} is not allowed here: {description}"
    elif error.validator == "not" and isinstance(error.validator_value, Mapping):
        forbidden = error.validator_value.get("required", [])
        operator = instance.get("op") if isinstance(instance, Mapping) else None
        message = f"'{forbidden[0]}' must not be given with operator '{operator}'"
    elif error.validator == "additionalProperties" and isinstance(instance, Mapping):
        allowed = error.schema.get("properties", {})
        unknown = sorted(name for name in instance if name not in allowed)
        message = f"unknown field {', '.join(repr(name) for name in unknown)}"
    else:
        message = error.message
    return Problem(path, message)


def _path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return "a number"


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)


def _version(document: Mapping[str, Any]) -> VersionDef:
    defaults = VersionDef(slug="", title={})
    return VersionDef(
        slug=document["slug"],
        title=dict(document["title"]),
        description=dict(document.get("description", defaults.description)),
        disease=document.get("disease", defaults.disease),
        languages=tuple(document.get("languages", defaults.languages)),
        estimated_minutes=document.get("estimated_minutes", defaults.estimated_minutes),
        steps=tuple(_read_step(step) for step in document.get("steps", ())),
        scales=tuple(_read_scale(scale) for scale in document.get("scales", ())),
        instruments=tuple(
            _read_instrument(instrument) for instrument in document.get("instruments", ())
        ),
        source_url=document.get("source_url", defaults.source_url),
        source_version=document.get("source_version", defaults.source_version),
        variables=tuple(_variable(variable) for variable in document.get("variables", ())),
    )


def _read_instrument(raw: Mapping[str, Any]) -> InstrumentDef:
    defaults = InstrumentDef(key="", name="")
    return InstrumentDef(
        key=raw["key"],
        name=raw["name"],
        licence=raw.get("licence", defaults.licence),
        copyright_notice=raw.get("copyright_notice", defaults.copyright_notice),
        allowed_use=raw.get("allowed_use", defaults.allowed_use),
        citation=raw.get("citation", defaults.citation),
        url=raw.get("url", defaults.url),
    )


def _read_step(raw: Mapping[str, Any]) -> StepDef:
    return StepDef(
        key=raw["key"],
        title=dict(raw["title"]),
        intro=dict(raw.get("intro", {})),
        show_if=raw.get("show_if"),
        questions=tuple(_read_question(question) for question in raw.get("questions", ())),
        source_link_id=raw.get("source_link_id", ""),
    )


def _read_question(raw: Mapping[str, Any]) -> QuestionDef:
    defaults = QuestionDef(key="", kind="", text={})
    return QuestionDef(
        key=raw["key"],
        kind=raw["kind"],
        text=dict(raw["text"]),
        help=dict(raw.get("help", {})),
        required=raw.get("required", defaults.required),
        read_only=raw.get("read_only", defaults.read_only),
        min_value=_optional_decimal(raw.get("min_value")),
        max_value=_optional_decimal(raw.get("max_value")),
        unit=raw.get("unit", defaults.unit),
        max_length=raw.get("max_length", defaults.max_length),
        max_rows=raw.get("max_rows", defaults.max_rows),
        show_if=raw.get("show_if"),
        choices=tuple(_read_choice(choice) for choice in raw.get("choices", ())),
        children=tuple(_read_question(child) for child in raw.get("children", ())),
        instrument=raw.get("instrument", defaults.instrument),
        criterion=raw.get("criterion", defaults.criterion),
        link_id=raw.get("link_id", defaults.link_id),
        hidden=raw.get("hidden", defaults.hidden),
        expressions=_expressions(raw.get("expressions", {})),
        not_in_past=raw.get("not_in_past", False),
    )


def _read_choice(raw: Mapping[str, Any]) -> ChoiceDef:
    return ChoiceDef(
        value=raw["value"],
        label=dict(raw["label"]),
        score=_optional_decimal(raw.get("score")),
        system=raw.get("system", ""),
        exclusive=raw.get("exclusive", False),
    )


def _read_scale(raw: Mapping[str, Any]) -> ScaleDef:
    defaults = ScaleDef(key="", name={}, items=())
    return ScaleDef(
        key=raw["key"],
        name=dict(raw["name"]),
        items=tuple(raw["items"]),
        method=raw.get("method", defaults.method),
        max_missing=raw.get("max_missing", defaults.max_missing),
        higher_is=raw.get("higher_is", defaults.higher_is),
        min_score=_decimal(raw.get("min_score", defaults.min_score)),
        max_score=_decimal(raw.get("max_score", defaults.max_score)),
        bands=tuple(_read_band(band) for band in raw.get("bands", ())),
        instrument=raw.get("instrument", defaults.instrument),
    )


def _read_band(raw: Mapping[str, Any]) -> BandDef:
    return BandDef(
        lower=_decimal(raw["lower"]),
        upper=_decimal(raw["upper"]),
        label=dict(raw["label"]),
        severity=raw.get("severity", BandDef(Decimal(0), Decimal(0), {}).severity),
    )


def _decimal(value: int | Decimal) -> Decimal:
    # The reader turns every number with a fraction into Decimal; whole numbers arrive as int.
    return value if isinstance(value, Decimal) else Decimal(value)


def _optional_decimal(value: int | Decimal | None) -> Decimal | None:
    return None if value is None else _decimal(value)

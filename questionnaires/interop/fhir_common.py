"""What the FHIR importer and exporter share: extension addresses, languages, code systems."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

# Core FHIR R4 extensions (http://hl7.org/fhir/R4/extensibility-registry.html).
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ORDINAL_VALUE = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
UNIT_OPTION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unitOption"
MAX_OCCURS = "http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs"
OPTION_EXCLUSIVE = "http://hl7.org/fhir/StructureDefinition/questionnaire-optionExclusive"
CONSTRAINT = "http://hl7.org/fhir/StructureDefinition/questionnaire-constraint"
# A date question's "not in the past" as an R4 questionnaire-constraint on the item (minValue
# cannot say "today" in R4 without an extension on the primitive, which validators refuse).
NOT_IN_PAST_KEY = "sdm-not-in-past"
NOT_IN_PAST_EXPRESSION = "answer.all(value >= today())"


def not_in_past_constraint() -> dict[str, Any]:
    return {
        "url": CONSTRAINT,
        "extension": [
            {"url": "key", "valueId": NOT_IN_PAST_KEY},
            {"url": "severity", "valueCode": "error"},
            {"url": "expression", "valueString": NOT_IN_PAST_EXPRESSION},
            {"url": "human", "valueString": "The date cannot be in the past."},
        ],
    }


def is_not_in_past_constraint(extension: Mapping[str, Any]) -> bool:
    """Our own constraint, recognised by its key or its exact expression."""
    parts = {part["url"]: part for part in extensions(extension)}
    return (
        parts.get("key", {}).get("valueId") == NOT_IN_PAST_KEY
        or parts.get("expression", {}).get("valueString") == NOT_IN_PAST_EXPRESSION
    ) and parts.get("severity", {}).get("valueCode", "error") == "error"


# Choices without a code system of their own are exported in one system per question:
# "urn:sdm:codesystem:<questionnaire slug>:<question key>". The importer reads it back as
# "no system", so our own exports round-trip.
PROJECT_CODE_SYSTEM_PREFIX = "urn:sdm:codesystem:"


def project_code_system(slug: str, question_key: str) -> str:
    return f"{PROJECT_CODE_SYSTEM_PREFIX}{slug}:{question_key}"


def own_system(system: Any) -> str:
    """A coding's system as we store it: "" for none and for our own project systems."""
    if not isinstance(system, str) or system.startswith(PROJECT_CODE_SYSTEM_PREFIX):
        return ""
    return system


# Our language codes (Django's) against BCP 47 tags as FHIR writes them.
_FHIR_LANGUAGE = {"en": "en", "zh-hans": "zh-Hans"}
_OUR_LANGUAGE = {
    "en": "en",
    "zh-hans": "zh-hans",
    "zh-cn": "zh-hans",  # mainland China writes Simplified characters
    "zh-sg": "zh-hans",
    "zh": "zh-hans",
}


def fhir_language(language: str) -> str:
    return _FHIR_LANGUAGE.get(language, language)


def our_language(tag: Any) -> str | None:
    """Our code for a FHIR language tag, or None when we do not support the language."""
    if not isinstance(tag, str):
        return None
    tag = tag.strip().lower()
    if tag in _OUR_LANGUAGE:
        return _OUR_LANGUAGE[tag]
    if tag.startswith("en-"):
        return "en"
    return None


def extensions(element: Any) -> Iterator[Mapping[str, Any]]:
    """The well-formed extensions of a FHIR element (anything else is skipped)."""
    if not isinstance(element, Mapping):
        return
    found = element.get("extension")
    if isinstance(found, list):
        for extension in found:
            if isinstance(extension, Mapping) and isinstance(extension.get("url"), str):
                yield extension


def extension_name(url: str) -> str:
    """A short name for an extension address: its last segment without the usual prefixes.

    http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression
    → "calculatedExpression"; …/questionnaire-itemControl → "itemControl".
    """
    name = url.rstrip("/").rsplit("/", 1)[-1]
    for prefix in ("sdc-questionnaire-", "questionnaire-"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix) :]
    return name


def translation_extension(language: str, content: str) -> dict[str, Any]:
    return {
        "url": TRANSLATION,
        "extension": [
            {"url": "lang", "valueCode": fhir_language(language)},
            {"url": "content", "valueString": content},
        ],
    }


def read_translation(extension: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(FHIR language tag, text) of a translation extension; None for what is missing."""
    tag = content = None
    for part in extensions(extension):
        if part["url"] == "lang":
            tag = part.get("valueCode")
        elif part["url"] == "content":
            content = part.get("valueString") or part.get("valueMarkdown")
    return tag, content if isinstance(content, str) else None


# Structured Data Capture (SDC) extensions we evaluate (engine/expressions.py).
SDC = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"
CALCULATED_EXPRESSION = SDC + "sdc-questionnaire-calculatedExpression"
ENABLE_WHEN_EXPRESSION = SDC + "sdc-questionnaire-enableWhenExpression"
INITIAL_EXPRESSION = SDC + "sdc-questionnaire-initialExpression"
ANSWER_EXPRESSION = SDC + "sdc-questionnaire-answerExpression"
VARIABLE = "http://hl7.org/fhir/StructureDefinition/variable"
HIDDEN = "http://hl7.org/fhir/StructureDefinition/questionnaire-hidden"
FHIRPATH = "text/fhirpath"
# Our expression names (QuestionDef.expressions) against their extensions.
EXPRESSION_EXTENSIONS = {
    "calculated": CALCULATED_EXPRESSION,
    "enable_when": ENABLE_WHEN_EXPRESSION,
    "initial": INITIAL_EXPRESSION,
}


# FHIR writes a variable's name as an ``id`` ([A-Za-z0-9\-.]{1,64}); FHIRPath refers to
# such a name as %`a-b`. Our names are identifiers ([A-Za-z_][A-Za-z0-9_]*, %a_b), so a
# name changes its "-" and "." to "_" on import and its "_" to "-" on export, and the
# references in every expression change with it. Both ways are deterministic, so our
# own exports come back as they were.
def our_variable_name(name: str) -> str:
    return re.sub(r"[-.]", "_", name)


def fhir_variable_name(name: str) -> str:
    return name.replace("_", "-")


def references_to_ours(expression: str, names: set[str]) -> str:
    """``%`a-b``` and ``%'a-b'`` for a variable named a-b become ``%a_b``."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"%{our_variable_name(name)}" if name in names else match.group(0)

    return re.sub(r"%([`'])([A-Za-z0-9_.\-]+)\1", replace, expression)


def references_to_fhir(expression: str, names: set[str]) -> str:
    """``%a_b`` becomes ``%`a-b``` for a variable whose FHIR name differs from ours."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in names and fhir_variable_name(name) != name:
            return f"%`{fhir_variable_name(name)}`"
        return match.group(0)

    return re.sub(r"%([A-Za-z_][A-Za-z0-9_]*)\b", replace, expression)

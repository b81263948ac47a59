"""FHIR R4 export: ``Questionnaire`` from a definition, ``QuestionnaireResponse`` from answers.

``export_fhir`` returns the resource together with notes on what FHIR cannot carry:
scales, ranking order, conditions that need more than one level of enableWhen, and so
on (our own conditions are never written as FHIRPath; FHIRPath kept from an import is
written back as it came). ``response_to_fhir`` writes a response in our steps, or, given
the FHIR source a version was imported from, in the source's hierarchy and answer
types. The resource is plain JSON data with ``Decimal`` numbers; ``fhir_json`` writes
it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from questionnaires.engine.conditions import as_date, as_number
from questionnaires.engine.definition import (
    ChoiceDef,
    Condition,
    Kind,
    QuestionDef,
    StepDef,
    Text,
    VersionDef,
)
from questionnaires.engine.expressions import has_expressions
from questionnaires.engine.kinds import kind_spec
from questionnaires.engine.visibility import prune_hidden

from .fhir_common import (
    EXPRESSION_EXTENSIONS,
    FHIRPATH,
    HIDDEN,
    ITEM_CONTROL,
    ITEM_CONTROL_SYSTEM,
    MAX_OCCURS,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    ORDINAL_VALUE,
    UNIT,
    VARIABLE,
    fhir_language,
    fhir_variable_name,
    not_in_past_constraint,
    project_code_system,
    references_to_fhir,
    translation_extension,
)
from .fhir_enable_when import to_enable_when
from .json_io import write_json

QUESTIONNAIRE_STATUSES = ("draft", "active", "retired", "unknown")
RESPONSE_STATUSES = ("in-progress", "completed", "amended", "entered-in-error", "stopped")


# R4 que-10: "Maximum length can only be declared for simple question types".
_MAX_LENGTH_TYPES = ("boolean", "decimal", "integer", "string", "text", "url", "open-choice")


@dataclass(frozen=True)
class ExportNote:
    """One thing the export could not express exactly, at a path into the definition."""

    path: str  # e.g. "steps[1].questions[0].show_if"
    feature: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}" if self.path else self.detail


@dataclass(frozen=True)
class FhirExport:
    resource: dict[str, Any]
    notes: tuple[ExportNote, ...]


def fhir_json(resource: Mapping[str, Any]) -> str:
    """A resource as JSON text with exact decimals (indent 2, trailing newline)."""
    return write_json(resource)


def export_fhir(
    definition: VersionDef,
    *,
    version_number: int,
    status: str = "active",
    language: str = "en",
    url: str = "",
) -> FhirExport:
    """The definition as an R4 Questionnaire (text in ``language``, others as translations).

    ``url`` is the canonical URL to write (default: the source's); with ``version``
    = ``version_number`` it is what a QuestionnaireResponse's ``questionnaire`` names.
    """
    if status not in QUESTIONNAIRE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(QUESTIONNAIRE_STATUSES)}")
    return _Exporter(definition, language).run(
        version_number=version_number, status=status, url=url or definition.source_url
    )


class _LinkIds:
    """Unique linkIds: a question keeps its FHIR linkId (or its key); steps use their key."""

    def __init__(self, definition: VersionDef) -> None:
        self.used: set[str] = set()
        self.questions: dict[str, str] = {}
        self.steps: dict[str, str] = {}
        for _, _, question in definition.iter_questions():
            for current in (question, *question.children):
                if current.key not in self.questions:
                    self.questions[current.key] = self.claim(current.link_id or current.key)
        for step in definition.steps:
            # An imported group's step keeps the group's linkId, so that FHIRPath written for
            # the source (…item.where(linkId='g')…) still finds it in our export.
            self.steps[step.key] = self.claim(step.source_link_id or step.key)

    def claim(self, preferred: str) -> str:
        candidate, number = preferred, 2
        while candidate in self.used:
            candidate = f"{preferred}-{number}"
            number += 1
        self.used.add(candidate)
        return candidate


class _Exporter:
    def __init__(self, definition: VersionDef, language: str) -> None:
        self.definition = definition
        self.language = language
        self.others = [other for other in definition.languages if other != language]
        self.links = _LinkIds(definition)
        self.questions = definition.question_map()
        self.notes: list[ExportNote] = []
        self.variable_names = {variable["name"] for variable in definition.variables} | {
            variable["name"]
            for question in self.questions.values()
            for variable in question.expressions.get("variables") or ()
        }

    def note(self, path: str, feature: str, detail: str) -> None:
        self.notes.append(ExportNote(path, feature, detail))

    def run(self, *, version_number: int, status: str, url: str) -> FhirExport:
        definition = self.definition
        resource: dict[str, Any] = {
            "resourceType": "Questionnaire",
            "id": definition.slug[:64] or "questionnaire",
            "language": fhir_language(self.language),
        }
        if definition.variables:
            resource["extension"] = [self.variable(variable) for variable in definition.variables]
        if url:
            resource["url"] = url
        resource["version"] = str(version_number)
        if definition.source_version:
            self.note(
                "source_version",
                "version",
                f"the source's version '{definition.source_version}' is replaced by ours "
                f"({version_number}): url|{version_number} names this export",
            )
        if has_expressions(definition):
            self.note(
                "",
                "FHIRPath",
                "FHIRPath expressions are written as the source had them; they address the "
                "source's item hierarchy, which this export regroups into steps",
            )
        resource["name"] = _machine_name(definition.slug)
        resource.update(self.text("title", definition.title, "title"))
        resource["status"] = status
        resource.update(self.text("description", definition.description, "description"))
        notices = [i.copyright_notice for i in definition.instruments if i.copyright_notice]
        if notices:
            resource["copyright"] = "\n\n".join(notices)
        if definition.instruments:
            self.note(
                "instruments",
                "instrument",
                "only the instruments' copyright notices are exported (as copyright); their "
                "licence, allowed use, citation and the questions' instrument tags are not",
            )
        for index, scale in enumerate(definition.scales):
            self.note(
                f"scales[{index}]",
                "scale",
                f"scale '{scale.key}' is not exported: FHIR scores need FHIRPath, which we do "
                "not write (choice scores are exported as ordinalValue)",
            )
        if definition.estimated_minutes is not None or definition.disease:
            self.note("", "metadata", "disease and estimated minutes are not exported")
        resource["item"] = [
            self.step_item(step, f"steps[{index}]") for index, step in enumerate(definition.steps)
        ]
        return FhirExport(resource=resource, notes=tuple(self.notes))

    # --- text -----------------------------------------------------------------------------

    def text(self, name: str, text: Text, path: str) -> dict[str, Any]:
        """``{name: text, _name: translations}`` for one translated field (empty when no text)."""
        main = text.get(self.language, "")
        if not main.strip():
            fallback = next((other for other in self.others if text.get(other, "").strip()), None)
            if fallback is None:
                return {}
            main = text[fallback]
            self.note(path, "language", f"no {self.language} text; the {fallback} text is used")
        fields: dict[str, Any] = {name: main}
        translations = [
            translation_extension(other, text[other])
            for other in self.others
            if text.get(other, "").strip() and text[other] != main
        ]
        if translations:
            fields[f"_{name}"] = {"extension": translations}
        return fields

    def help_item(self, link_id: str, help_text: Text, path: str) -> dict[str, Any]:
        """Help as FHIR writes it: a display child with itemControl 'help'."""
        return {
            "extension": [
                {
                    "url": ITEM_CONTROL,
                    "valueCodeableConcept": {
                        "coding": [{"system": ITEM_CONTROL_SYSTEM, "code": "help"}]
                    },
                }
            ],
            "linkId": self.links.claim(f"{link_id}.help"),
            **self.text("text", help_text, path),
            "type": "display",
        }

    # --- items ----------------------------------------------------------------------------

    def step_item(self, step: StepDef, path: str) -> dict[str, Any]:
        link_id = self.links.steps[step.key]
        item: dict[str, Any] = {
            "linkId": link_id,
            **self.text("text", step.title, f"{path}.title"),
            "type": "group",
        }
        item.update(self.enable_when(step.show_if, f"{path}.show_if"))
        children = []
        if _has_text(step.intro):
            # The intro travels as the group's help; our importer reads it back as the intro.
            children.append(self.help_item(link_id, step.intro, f"{path}.intro"))
        children.extend(
            self.question_item(question, f"{path}.questions[{index}]")
            for index, question in enumerate(step.questions)
        )
        item["item"] = children
        return item

    def question_item(self, question: QuestionDef, path: str) -> dict[str, Any]:
        kind = question.kind
        fhir_type = kind_spec(kind).fhir_type
        link_id = self.links.questions[question.key]
        text = dict(question.text)
        if kind == Kind.DISPLAY and _has_text(question.help):
            # Display items cannot have nested items (R4 que-1), so help joins the text.
            languages = [*text, *(language for language in question.help if language not in text)]
            text = {
                language: "\n\n".join(
                    part for part in (text.get(language), question.help.get(language)) if part
                )
                for language in languages
            }
            self.note(path, "help", "the help of display text is appended to the text")
        item: dict[str, Any] = {}
        extensions = self.extensions(question, path)
        if extensions:
            item["extension"] = extensions
        item["linkId"] = link_id
        item.update(self.text("text", text, f"{path}.text"))
        item["type"] = fhir_type
        item.update(self.enable_when(question.show_if, f"{path}.show_if"))
        if question.required:
            item["required"] = True
        if kind_spec(kind).repeats:
            item["repeats"] = True
        if question.read_only:
            if kind == Kind.DISPLAY:
                self.note(path, "read_only", "display items cannot be read-only in FHIR (que-9)")
            else:
                item["readOnly"] = True
        if question.max_length is not None:
            if fhir_type in _MAX_LENGTH_TYPES:
                item["maxLength"] = question.max_length
            else:
                self.note(path, "max_length", f"maxLength is not allowed on {fhir_type} items")
        if question.choices:
            item["answerOption"] = [
                self.answer_option(question, choice) for choice in question.choices
            ]
        children = []
        if kind != Kind.DISPLAY and _has_text(question.help):
            children.append(self.help_item(link_id, question.help, f"{path}.help"))
        children.extend(
            self.question_item(child, f"{path}.children[{index}]")
            for index, child in enumerate(question.children)
        )
        if children:
            item["item"] = children
        self.kind_notes(question, path)
        return item

    def kind_notes(self, question: QuestionDef, path: str) -> None:
        if question.kind == Kind.RANKING:
            self.note(
                path,
                "ranking",
                "a ranking is exported as a multiple choice: FHIR keeps "
                "the chosen options but not their order",
            )
        elif question.kind == Kind.RATING:
            self.note(
                path, "rating", "a 0–10 rating is exported as an integer with minValue/maxValue"
            )
        if question.criterion:
            self.note(
                path, "criterion", f"the weighing criterion '{question.criterion}' is not exported"
            )

    def extensions(self, question: QuestionDef, path: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [
            self.variable(variable) for variable in question.expressions.get("variables") or ()
        ]
        for name, extension_url in EXPRESSION_EXTENSIONS.items():
            if question.expressions.get(name):
                found.append(
                    {
                        "url": extension_url,
                        "valueExpression": {
                            "language": FHIRPATH,
                            "expression": references_to_fhir(
                                question.expressions[name], self.variable_names
                            ),
                        },
                    }
                )
        if question.hidden:
            found.append({"url": HIDDEN, "valueBoolean": True})
        if question.not_in_past:
            if question.kind == Kind.DATE:
                found.append(not_in_past_constraint())
            else:
                self.note(
                    path,
                    "not_in_past",
                    f"only a date can be 'not in the past', not {question.kind}",
                )
        low, high = question.min_value, question.max_value
        if question.kind == Kind.RATING:
            low = Decimal(0) if low is None else low
            high = Decimal(10) if high is None else high
        for url, bound in ((MIN_VALUE, low), (MAX_VALUE, high)):
            if bound is not None:
                found.append({"url": url, **_number_value(question.kind, bound)})
        if question.unit:
            if question.kind in (Kind.INTEGER, Kind.DECIMAL):
                found.append({"url": UNIT, "valueCoding": {"display": question.unit}})
            else:
                self.note(path, "unit", f"a unit is only exported for numbers, not {question.kind}")
        if question.max_rows is not None and question.kind == Kind.REPEAT_GROUP:
            found.append({"url": MAX_OCCURS, "valueInteger": question.max_rows})
        return found

    def variable(self, variable: Mapping[str, str]) -> dict[str, Any]:
        return {
            "url": VARIABLE,
            "valueExpression": {
                "name": fhir_variable_name(variable["name"]),
                "language": FHIRPATH,
                "expression": references_to_fhir(variable["expression"], self.variable_names),
            },
        }

    def answer_option(self, question: QuestionDef, choice: ChoiceDef) -> dict[str, Any]:
        coding: dict[str, Any] = {
            "system": self.code_system(question, choice),
            "code": choice.value,
        }
        label = self.text("display", choice.label, "")
        coding.update(label or {"display": choice.value})
        option: dict[str, Any] = {}
        found = []
        if choice.score is not None:
            found.append({"url": ORDINAL_VALUE, "valueDecimal": choice.score})
        if choice.exclusive:
            found.append({"url": OPTION_EXCLUSIVE, "valueBoolean": True})
        if found:
            option["extension"] = found
        option["valueCoding"] = coding
        return option

    def code_system(self, question: QuestionDef, choice: ChoiceDef) -> str:
        return choice.system or project_code_system(self.definition.slug, question.key)

    def enable_when(self, condition: Condition | None, path: str) -> dict[str, Any]:
        entries, behavior, notes = to_enable_when(
            condition,
            questions=self.questions,
            link_ids=self.links.questions,
            code_system=self.code_system,
        )
        for detail in notes:
            self.note(path, "show_if", detail)
        fields: dict[str, Any] = {}
        if entries:
            fields["enableWhen"] = entries
        if behavior:
            fields["enableBehavior"] = behavior
        return fields


def _number_value(kind: str, number: Decimal) -> dict[str, Any]:
    if kind != Kind.DECIMAL and number == number.to_integral_value():
        return {"valueInteger": int(number)}
    return {"valueDecimal": number}


def _has_text(text: Text) -> bool:
    return any(isinstance(value, str) and value.strip() for value in text.values())


def _machine_name(slug: str) -> str:
    """A Questionnaire.name (R4 que-0: ``[A-Z]([A-Za-z0-9_]){0,254}``) from the slug."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", slug))
    if not name or not name[0].isalpha():
        name = "Q" + name
    return name[:255]


# --- QuestionnaireResponse ----------------------------------------------------------------


def response_to_fhir(
    definition: VersionDef,
    answers: Mapping[str, Any],
    *,
    status: str,
    authored: datetime | str,
    questionnaire_url: str,
    language: str = "en",
    source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Answers as an R4 QuestionnaireResponse, linkIds as ``export_fhir`` writes them.

    Only answers that count are written (``engine.visibility.prune_hidden``): FHIR
    forbids answers to disabled items. Raises ValueError for an answer of the wrong
    type (a choice value the question does not offer, a non-boolean yes/no, …).

    With ``source`` (the FHIR Questionnaire the definition was imported from) the
    response follows the source's item hierarchy and answer types instead of our
    steps: it is a response to that questionnaire.
    """
    if status not in RESPONSE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(RESPONSE_STATUSES)}")
    if isinstance(authored, datetime):
        if authored.tzinfo is None:
            raise ValueError("authored needs a time zone (FHIR dateTime with a time requires one)")
        authored = authored.isoformat()
    kept = prune_hidden(definition, answers)
    if source is not None:
        items = source_response_items(definition, kept, source, language=language)
    else:
        items = _step_response_items(definition, kept, language)
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_url,
        "status": status,
        "authored": authored,
    }
    if items:
        response["item"] = items
    return response


def _step_response_items(
    definition: VersionDef, kept: Mapping[str, Any], language: str
) -> list[dict[str, Any]]:
    links = _LinkIds(definition)
    writer = _ResponseWriter(definition, links, language)
    items = []
    for step in definition.steps:
        step_items = [
            item
            for question in step.questions
            if question.key in kept
            for item in writer.items(question, kept[question.key])
        ]
        if step_items:
            items.append(
                {"linkId": links.steps[step.key], **writer.text(step.title), "item": step_items}
            )
    return items


def source_response_items(
    definition: VersionDef,
    kept: Mapping[str, Any],
    source: Mapping[str, Any],
    *,
    language: str = "en",
    with_scores: bool = False,
) -> list[dict[str, Any]]:
    """Response items in the hierarchy of the source Questionnaire, typed as its items.

    ``kept`` are answers that count, by question key. ``with_scores`` writes each
    chosen option's score on its coding (ordinalValue), as FHIRPath's ``ordinal()``
    reads it when expressions are evaluated.
    """
    top: dict[str, QuestionDef] = {}
    for _, _, question in definition.iter_questions():
        if question.link_id:
            top.setdefault(question.link_id, question)
    writer = _SourceWriter(definition.slug, language, with_scores)
    return writer.items(source.get("item"), top, kept)


class _SourceWriter:
    def __init__(self, slug: str, language: str, with_scores: bool) -> None:
        self.slug = slug
        self.language = language
        self.with_scores = with_scores

    def items(
        self, items: Any, questions: Mapping[str, QuestionDef], kept: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        written: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, Mapping) or not isinstance(item.get("linkId"), str):
                continue
            link_id = item["linkId"]
            question = questions.get(link_id) if link_id not in seen else None
            seen.add(link_id)
            head = {"linkId": link_id}
            if isinstance(item.get("text"), str) and item["text"]:
                head["text"] = item["text"]
            if question is not None and question.kind == Kind.REPEAT_GROUP:
                row_questions = {child.link_id: child for child in question.children}
                for row in kept.get(question.key) or ():
                    inner = self.items(item.get("item"), row_questions, row)
                    if inner:
                        written.append({**head, "item": inner})
                continue
            nested = self.items(item.get("item"), questions, kept)
            if question is not None and question.kind != Kind.DISPLAY and question.key in kept:
                values = kept[question.key]
                if question.kind not in (Kind.MULTIPLE_CHOICE, Kind.RANKING):
                    values = [values]
                answers = [self.answer(question, item, value) for value in values]
                if nested and answers:
                    answers[0]["item"] = nested  # items nested under a question: in its answer
                written.append({**head, "answer": answers})
            elif nested and item.get("type") in ("group", None):
                written.append({**head, "item": nested})
        return written

    def answer(self, question: QuestionDef, item: Mapping[str, Any], value: Any) -> dict[str, Any]:
        fhir_type = item.get("type")
        if question.kind in Kind.WITH_CHOICES:
            choice = next((choice for choice in question.choices if choice.value == value), None)
            if choice is None:
                raise ValueError(f"{value!r} is not a choice of question '{question.key}'")
            if fhir_type in ("string", "text"):
                return {"valueString": choice.value}
            if fhir_type == "integer":
                return {"valueInteger": int(choice.value)}
            if fhir_type == "date":
                return {"valueDate": choice.value}
            if fhir_type == "time":
                return {"valueTime": choice.value}
            coding: dict[str, Any] = {}
            if choice.system:
                coding["system"] = choice.system
            coding["code"] = choice.value
            label = choice.label.get(self.language) or next(iter(choice.label.values()), "")
            if label:
                coding["display"] = label
            if self.with_scores and choice.score is not None:
                coding["extension"] = [{"url": ORDINAL_VALUE, "valueDecimal": choice.score}]
            return {"valueCoding": coding}
        if fhir_type == "dateTime" and as_date(value) is not None:
            return {"valueDateTime": value.isoformat() if isinstance(value, date) else value}
        if fhir_type == "time" and isinstance(value, str) and _TIME.fullmatch(value.strip()):
            text = value.strip()
            return {"valueTime": text if text.count(":") == 2 else f"{text}:00"}
        if fhir_type == "url" and isinstance(value, str):
            return {"valueUri": value}
        if fhir_type == "quantity" and as_number(value) is not None:
            quantity: dict[str, Any] = {"value": as_number(value)}
            if question.unit:
                quantity["unit"] = question.unit
            return {"valueQuantity": quantity}
        return _answer(question, value, slug=self.slug, language=self.language)


_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?")


class _ResponseWriter:
    def __init__(self, definition: VersionDef, links: _LinkIds, language: str) -> None:
        self.slug = definition.slug
        self.links = links
        self.language = language

    def text(self, text: Text) -> dict[str, str]:
        value = text.get(self.language)
        return {"text": value} if value else {}

    def items(self, question: QuestionDef, value: Any) -> list[dict[str, Any]]:
        link_id = self.links.questions[question.key]
        if question.kind == Kind.REPEAT_GROUP:
            # A repeating group answers as one group item per row, all with the same linkId.
            return [
                {
                    "linkId": link_id,
                    **self.text(question.text),
                    "item": [
                        item
                        for child in question.children
                        if child.key in row
                        for item in self.items(child, row[child.key])
                    ],
                }
                for row in value
            ]
        return [
            {
                "linkId": link_id,
                **self.text(question.text),
                "answer": [self.answer(question, item) for item in _as_list(question, value)],
            }
        ]

    def answer(self, question: QuestionDef, value: Any) -> dict[str, Any]:
        return _answer(question, value, slug=self.slug, language=self.language)


def _answer(question: QuestionDef, value: Any, *, slug: str, language: str) -> dict[str, Any]:
    """One answer as FHIR writes it for our kind of question."""
    kind, key = question.kind, question.key
    if kind in Kind.WITH_CHOICES:
        choice = next((choice for choice in question.choices if choice.value == value), None)
        if choice is None:
            raise ValueError(f"{value!r} is not a choice of question '{key}'")
        coding = {
            "system": choice.system or project_code_system(slug, key),
            "code": choice.value,
        }
        label = choice.label.get(language)
        if label:
            coding["display"] = label
        return {"valueCoding": coding}
    if kind == Kind.YES_NO and isinstance(value, bool):
        return {"valueBoolean": value}
    number = as_number(value)
    if kind in (Kind.INTEGER, Kind.RATING) and number is not None:
        if number != number.to_integral_value():
            raise ValueError(f"question '{key}' takes a whole number, not {value!r}")
        return {"valueInteger": int(number)}
    if kind == Kind.DECIMAL and number is not None:
        return {"valueDecimal": number}
    if kind == Kind.DATE and as_date(value) is not None:
        return {"valueDate": value.isoformat() if isinstance(value, date) else value}
    if kind in Kind.TEXTUAL and isinstance(value, str):
        return {"valueString": value}
    raise ValueError(f"{value!r} is not a valid answer to {kind} question '{key}'")


def _as_list(question: QuestionDef, value: Any) -> list[Any]:
    if question.kind in (Kind.MULTIPLE_CHOICE, Kind.RANKING):
        if not isinstance(value, list | tuple):
            raise ValueError(f"question '{question.key}' takes a list of choice values")
        return list(value)  # a ranking keeps its order, most important first
    return [value]

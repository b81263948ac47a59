"""FHIR R4 ``Questionnaire`` import, with a report of everything not mapped.

Reading is lenient: plain JSON and our own mapping, not strict FHIR validation, since
real files break small rules (a string in ``answerInteger``, a FHIRPath variable name
with an underscore). Whatever the importer cannot carry over is reported as an
``ImportNote``; nothing is dropped silently. The result always passes the
structural linter, or the import is refused.

The mapping, in short (``docs/interop.md`` has the full table):

- top-level groups become steps; runs of top-level non-group items share a step;
- nested groups are flattened into their step, keeping their text as a display
  question, unless they repeat: then they become a repeat group;
- items nested under a question are placed after it; an item inherits the
  conditions of every item it was nested in (a disabled item disables its
  descendants);
- linkIds are kept in ``link_id`` and turned into keys (``^[a-z][a-z0-9_]{0,63}$``).
- SDC FHIRPath (calculatedExpression, enableWhenExpression, initialExpression,
  variable) is kept in ``expressions``/``variables`` and evaluated on the server
  (``engine/expressions.py``); ``questionnaire-hidden`` and a group's ``readOnly`` hold
  for what they cover; an invalid expression, an enableWhen cycle, more than
  ``MAX_ITEMS`` items or nothing left to ask refuse the import, naming the FHIR item.

Export (``export_fhir``, ``response_to_fhir``) lives in ``fhir_export`` and is
re-exported here.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from questionnaires.engine import expressions as fhirpath
from questionnaires.engine.definition import (
    ChoiceDef,
    Condition,
    Kind,
    Problem,
    QuestionDef,
    StepDef,
    Text,
    VersionDef,
)
from questionnaires.engine.lint import lint_structure

from .fhir_common import (
    ANSWER_EXPRESSION,
    CONSTRAINT,
    EXPRESSION_EXTENSIONS,
    FHIRPATH,
    HIDDEN,
    ITEM_CONTROL,
    ITEM_WEIGHT,
    MAX_OCCURS,
    MAX_VALUE,
    MIN_VALUE,
    OPTION_EXCLUSIVE,
    ORDINAL_VALUE,
    TRANSLATION,
    UNIT,
    UNIT_OPTION,
    VARIABLE,
    extension_name,
    extensions,
    is_not_in_past_constraint,
    our_language,
    our_variable_name,
    own_system,
    read_translation,
    references_to_ours,
)
from .fhir_enable_when import to_condition
from .fhir_export import ExportNote, FhirExport, export_fhir, fhir_json, response_to_fhir
from .json_io import MAX_IMPORT_BYTES, ImportRefused, read_json_bytes

__all__ = [
    "ExportNote",
    "FhirExport",
    "FhirImport",
    "ImportNote",
    "ImportRefused",
    "export_fhir",
    "fhir_json",
    "import_fhir",
    "import_resource",
    "response_to_fhir",
]

# Lengths the database stores (models/definition.py); longer values are clipped and reported.
TITLE_LIMIT = 200
LABEL_LIMIT = 300
VALUE_LIMIT = 100
UNIT_LIMIT = 32
# FHIR R4 datatype string (http://hl7.org/fhir/R4/datatypes.html#string).
FHIR_STRING = re.compile(r"[ \r\n\t\S]+")
LINK_ID_LIMIT = 255
URL_LIMIT = 500
SLUG_WORDS_LIMIT = 50  # a slug made from a long title stops at a word boundary before this
VERSION_LIMIT = 100
# More items than this (counted through every level) are refused before anything is read:
# the largest real form we know has a few hundred, and a wizard of thousands helps no one.
MAX_ITEMS = 2000

_SIMPLE_TYPES = {
    "boolean": Kind.YES_NO,
    "decimal": Kind.DECIMAL,
    "integer": Kind.INTEGER,
    "date": Kind.DATE,
    "string": Kind.SHORT_TEXT,
    "text": Kind.LONG_TEXT,
    "display": Kind.DISPLAY,
}
_CHOICE_TYPES = ("choice", "open-choice")
# Types that R4 allows an answer list on besides choice (que-5); such items become choices.
_LISTABLE_TYPES = ("string", "integer", "date", "time", "coding")
_TYPE_NOTES = {
    "dateTime": (Kind.DATE, "dateTime imported as a date: the time of day is dropped"),
    "time": (Kind.SHORT_TEXT, "time imported as short text: the patient types the time"),
    "url": (Kind.SHORT_TEXT, "url imported as short text: the address is not checked"),
    "quantity": (Kind.DECIMAL, ""),  # item_extensions reports it, naming the unit
    "attachment": (
        Kind.DISPLAY,
        "attachment items are not supported (nothing can be uploaded); imported as display "
        "text showing the item's text",
    ),
    "reference": (
        Kind.DISPLAY,
        "reference items are not supported; imported as display text showing the item's text",
    ),
}
# Item fields the mapping reads; any other field is reported.
_ITEM_FIELDS = {
    "id",
    "linkId",
    "text",
    "_text",
    "prefix",
    "type",
    "item",
    "enableWhen",
    "enableBehavior",
    "required",
    "repeats",
    "readOnly",
    "maxLength",
    "answerOption",
    "answerValueSet",
    "extension",
}
_ITEM_FIELD_NOTES = {
    "definition": "the link to a data element definition is not kept",
    "code": "the item's codes (e.g. LOINC) are not kept",
    "initial": "initial values are not kept: the patient starts with no answer",
    "modifierExtension": "a modifier extension is not understood; the item may mean something "
    "other than it appears",
}
_EXTENSION_NOTES = {
    "itemControl": "rendering hint (itemControl) not kept; our wizard chooses the widget",
}
_EXPRESSION_NOTES = {
    "calculated": "calculated on the server (FHIRPath) at every step and at submit; the item is "
    "read-only for the patient",
    "enable_when": "evaluated on the server (FHIRPath) together with enableWhen",
    "initial": "evaluated on the server (FHIRPath) from the answers already given, when the "
    "item is first shown",
}
# Questionnaire fields the mapping reads; the remaining metadata is listed in one note.
_RESOURCE_FIELDS = {
    "resourceType",
    "language",
    "url",
    "version",
    "name",
    "title",
    "_title",
    "description",
    "_description",
    "item",
    "contained",
    "extension",
    "modifierExtension",
    "copyright",
}
_FALLBACK_STEP_TITLE = {"en": "Section {number}", "zh-hans": "第{number}部分"}


@dataclass(frozen=True)
class ImportNote:
    """One thing the import could not carry over exactly, and what it did instead."""

    path: str  # FHIR path with the linkId, e.g. "item[2].item[0] (linkId 1.1.2)"
    feature: str  # FHIR element or extension name, e.g. "initial", "answerValueSet"
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}" if self.path else self.detail


@dataclass(frozen=True)
class FhirImport:
    definition: VersionDef
    report: tuple[ImportNote, ...]
    resource: Mapping[str, Any] | None = None  # the Questionnaire as read (kept as the source)


def import_fhir(data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES) -> FhirImport:
    """Import an uploaded FHIR R4 Questionnaire (JSON bytes); ImportRefused if impossible."""
    return import_resource(read_json_bytes(data, max_bytes=max_bytes))


def import_resource(resource: Any) -> FhirImport:
    """Import an already parsed Questionnaire resource."""
    if not isinstance(resource, Mapping):
        raise ImportRefused([Problem("", "the file must hold one FHIR resource (a JSON object)")])
    resource_type = resource.get("resourceType")
    if resource_type != "Questionnaire":
        if resource_type is None:
            message = "the file has no resourceType; expected a FHIR Questionnaire"
        elif resource_type == "Bundle":
            message = "this is a FHIR Bundle, not a Questionnaire: take the Questionnaire out first"
        else:
            message = f"this is a FHIR {resource_type}, not a Questionnaire"
        raise ImportRefused([Problem("resourceType", message)])
    items = resource.get("item")
    if not isinstance(items, list) or not items:
        raise ImportRefused([Problem("item", "the Questionnaire has no items")])
    _refuse_too_many_items(items)
    importer = _Importer(resource)
    definition = importer.run(items)
    if importer.refusals:
        raise ImportRefused(importer.refusals)
    problems = lint_structure(definition)
    if problems:
        raise ImportRefused([_in_fhir_terms(problem, definition, importer) for problem in problems])
    return FhirImport(definition=definition, report=tuple(importer.notes), resource=resource)


_OUR_PATH = re.compile(r"^steps\[(\d+)\](?:\.questions\[(\d+)\](?:\.children\[(\d+)\])?)?")


def _in_fhir_terms(problem: Problem, definition: VersionDef, importer: _Importer) -> Problem:
    """A linter problem found after the mapping, said at the FHIR item it came from."""
    match = _OUR_PATH.match(problem.path)
    if match is None:
        return problem
    step_index, question_index, child_index = (
        int(group) if group is not None else None for group in match.groups()
    )
    if step_index >= len(definition.steps):
        return problem
    step = definition.steps[step_index]
    link_id = step.source_link_id
    if question_index is not None and question_index < len(step.questions):
        question = step.questions[question_index]
        if child_index is not None and child_index < len(question.children):
            question = question.children[child_index]
        link_id = question.link_id
    where = importer.link_ids.get(link_id) if link_id else None
    if where is None:
        return problem
    return Problem(where, f"{problem.message} (our {problem.path})")


def _refuse_too_many_items(items: list[Any]) -> None:
    """Count items through every level, stopping as soon as there are too many."""
    count, pending = 0, [items]
    while pending:
        for item in pending.pop():
            count += 1
            if count > MAX_ITEMS:
                raise ImportRefused(
                    [
                        Problem(
                            "item",
                            f"the Questionnaire has more than {MAX_ITEMS:,} items (counting "
                            "nested items); larger forms are refused",
                        )
                    ]
                )
            children = item.get("item") if isinstance(item, Mapping) else None
            if isinstance(children, list):
                pending.append(children)


# --- drafts: the tree read, before conditions are translated --------------------------------


@dataclass(frozen=True)
class _Source:
    """One item's enableWhen, kept with where it was read."""

    where: str
    enable_when: list[Any]
    behavior: str | None


@dataclass
class _Draft:
    question: QuestionDef  # show_if still None; a repeat group's children are in ``children``
    conditions: list[_Source]  # the item's own enableWhen and its ancestors', outermost first
    children: list[_Draft] = field(default_factory=list)
    extra_help: list[Text] = field(default_factory=list)  # display text moved into a group


@dataclass
class _StepDraft:
    key: str
    title: Text
    intro: Text
    conditions: list[_Source]
    questions: list[_Draft]
    link_id: str = ""  # the source group's, for a step made from a (non-repeating) group


class _Keys:
    """Unique keys (``^[a-z][a-z0-9_]{0,63}$``) derived from linkIds, in document order."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, source: Any, *, prefix: str) -> str:
        text = source if isinstance(source, str) else ""
        text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)  # camelCase → camel_case
        base = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
        if not base or not base[0].isalpha():
            base = f"{prefix}_{base}" if base else prefix
        base = base[:64].rstrip("_")
        key, number = base, 2
        while key in self.used:
            suffix = f"_{number}"
            key = base[: 64 - len(suffix)] + suffix
            number += 1
        self.used.add(key)
        return key


class _Importer:
    def __init__(self, resource: Mapping[str, Any]) -> None:
        self.resource = resource
        self.notes: list[ImportNote] = []
        self._seen_notes: set[tuple[str, str, str]] = set()
        self.keys = _Keys()
        self.language = self.resource_language()
        self.languages = [self.language]
        self.value_sets = self.contained_value_sets()
        self.value_sets_used: set[str] = set()
        self.link_ids: dict[str, str] = {}  # linkId → where it was first seen
        self.title: Text = {}  # the questionnaire's, also used for steps of loose items
        self.refusals: list[Problem] = []  # what makes the file impossible to import
        self.left_out: list[Problem] = []  # items left out, named in a refusal if nothing is left
        self.variables: list[dict[str, str]] = []  # questionnaire-level FHIRPath variables
        self.variable_names = _variable_names(resource)  # every variable's name, as FHIR has it
        # readOnly and hidden of the groups being read: FHIR says they apply to descendants.
        self.group_read_only = False
        self.group_hidden = False

    def note(self, where: str, feature: str, detail: str) -> None:
        entry = (where, feature, detail)
        if entry not in self._seen_notes:
            self._seen_notes.add(entry)
            self.notes.append(ImportNote(where, feature, detail))

    # --- the resource -------------------------------------------------------------------

    def run(self, items: list[Any]) -> VersionDef:
        resource = self.resource
        self.report_resource_fields()
        title = self.clip(self.text_of(resource, "title", ""), TITLE_LIMIT, "", "title")
        if not title and isinstance(resource.get("name"), str):
            title = {self.language: resource["name"][:TITLE_LIMIT]}
        if not title:
            title = {self.language: "Imported questionnaire"}
            self.note(
                "",
                "title",
                "the Questionnaire has no title or name; titled 'Imported questionnaire'",
            )
        self.title = title
        self.variables.extend(self.variable_extensions(resource, "extension"))
        step_drafts = self.read_steps(items)
        if not step_drafts:
            self.refusals.extend(
                self.left_out
                or [Problem("item", "the Questionnaire has no item that can be asked")]
            )
            return VersionDef(slug=self.slug(), title=title)
        self.refuse_enable_when_cycles(items)
        steps = self.resolve(step_drafts)
        for value_set_id in sorted(set(self.value_sets) - self.value_sets_used):
            self.note("contained", "contained", f"contained ValueSet '{value_set_id}' is not used")
        url = resource.get("url") if isinstance(resource.get("url"), str) else ""
        if len(url) > URL_LIMIT:
            self.note("url", "url", f"the url is longer than {URL_LIMIT} characters; not kept")
            url = ""
        version = resource.get("version")
        if not isinstance(version, str) or len(version) > VERSION_LIMIT:
            if version is not None:
                self.note("version", "version", "the version is not a short text; not kept")
            version = ""
        return VersionDef(
            slug=self.slug(),
            title=title,
            description=self.text_of(resource, "description", "description"),
            languages=tuple(self.languages),
            steps=steps,
            source_url=url,
            source_version=version,
            variables=tuple(self.variables),
        )

    def resource_language(self) -> str:
        tag = self.resource.get("language")
        language = our_language(tag)
        if tag is not None and language is None:
            self.note(
                "language",
                "language",
                f"the resource language {tag!r} is not one we support; its texts are kept as "
                "English ('en') so that they can be translated",
            )
        return language or "en"

    def contained_value_sets(self) -> dict[str, Mapping[str, Any]]:
        found: dict[str, Mapping[str, Any]] = {}
        contained = self.resource.get("contained")
        if not isinstance(contained, list):
            return found
        for index, entry in enumerate(contained):
            if (
                isinstance(entry, Mapping)
                and entry.get("resourceType") == "ValueSet"
                and isinstance(entry.get("id"), str)
            ):
                found[entry["id"]] = entry
            else:
                kind = entry.get("resourceType") if isinstance(entry, Mapping) else None
                self.note(
                    f"contained[{index}]", "contained", f"contained {kind or 'entry'} not used"
                )
        return found

    def report_resource_fields(self) -> None:
        resource = self.resource
        metadata = sorted(name for name in resource if name not in _RESOURCE_FIELDS)
        if metadata:
            self.note("", "metadata", "Questionnaire metadata not kept: " + ", ".join(metadata))
        if isinstance(resource.get("name"), str):
            self.note(
                "name",
                "name",
                "the name is used to make the slug; export writes a name made from our slug",
            )
        if resource.get("copyright"):
            self.note(
                "copyright",
                "copyright",
                "the copyright statement is not kept; add it to the instrument before "
                f"publishing: {str(resource['copyright'])[:200]}",
            )
        for extension in extensions(resource):
            if extension["url"] == VARIABLE:
                continue  # read by run()
            name = extension_name(extension["url"])
            self.note("extension", name, f"Questionnaire extension {name} not supported; ignored")
        if resource.get("modifierExtension"):
            self.note(
                "modifierExtension", "modifierExtension", _ITEM_FIELD_NOTES["modifierExtension"]
            )

    def slug(self) -> str:
        for source in (
            self.resource.get("name"),
            self.resource.get("title"),
            self.resource.get("id"),
        ):
            if isinstance(source, str):
                text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", source)
                words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
                slug = ""
                for word in words:
                    longer = f"{slug}-{word}" if slug else word[:SLUG_WORDS_LIMIT]
                    if len(longer) > SLUG_WORDS_LIMIT:
                        break
                    slug = longer
                if slug:
                    return slug
        return "imported-questionnaire"

    # --- text -----------------------------------------------------------------------------

    def text_of(self, element: Mapping[str, Any], name: str, where: str) -> dict[str, str]:
        """A translated text: the element's own string plus its translation extensions."""
        text: dict[str, str] = {}
        value = element.get(name)
        if isinstance(value, str) and value.strip():
            text[self.language] = value
        for extension in extensions(element.get(f"_{name}")):
            url = extension["url"]
            if url != TRANSLATION:
                feature = extension_name(url)
                self.note(where, feature, f"{feature} on '{name}' not kept; the plain text is used")
                continue
            tag, content = read_translation(extension)
            language = our_language(tag)
            if language is None:
                self.note(
                    where,
                    "translation",
                    f"a translation into {tag!r} is not kept (only en and zh-hans are supported)",
                )
            elif content and language not in text:
                text[language] = content
                if language not in self.languages:
                    self.languages.append(language)
        return text

    def clip(self, text: dict[str, str], limit: int, where: str, what: str) -> dict[str, str]:
        clipped = {}
        for language, value in text.items():
            if len(value) > limit:
                self.note(where, what, f"the {what} was cut to {limit} characters")
                value = value[: limit - 1] + "…"
            clipped[language] = value
        return clipped

    # --- steps and items ------------------------------------------------------------------

    def read_steps(self, items: list[Any]) -> list[_StepDraft]:
        steps: list[_StepDraft] = []
        loose: list[_Draft] | None = None  # the current run of top-level non-group items
        for index, item in enumerate(items):
            where = _where(f"item[{index}]", item)
            if not isinstance(item, Mapping):
                self.note(where, "item", "the item is not an object; skipped")
                continue
            if item.get("type") == "group":
                loose = None
                step = self.group_step(item, where, number=len(steps) + 1)
                if step is not None:
                    steps.append(step)
                continue
            if loose is None:
                loose = []
                steps.append(
                    _StepDraft(
                        key=self.keys.make("questions", prefix="step"),
                        title=dict(self.title),
                        intro={},
                        conditions=[],
                        questions=loose,
                    )
                )
            loose.extend(self.read_item(item, where, inherited=[], row=None))
        return [step for step in steps if step.questions]

    def group_step(self, item: Mapping[str, Any], where: str, *, number: int) -> _StepDraft | None:
        # A repeating group's own question takes the key made from its linkId first, so that
        # our export (a step group around that question) reads back with the same keys.
        key = "" if _repeats(item) else self.keys.make(item.get("linkId"), prefix="step")
        title = self.clip(self.text_of(item, "text", where), TITLE_LIMIT, where, "title")
        if not title:
            title = {self.language: _FALLBACK_STEP_TITLE[self.language].format(number=number)}
            self.note(
                where, "text", f"the group has no text; its step is titled '{title[self.language]}'"
            )
        if _repeats(item):
            # A step cannot repeat: the group becomes a repeat group question on a step of its own.
            questions = self.read_item(item, where, inherited=[], row=None)
            key = self.keys.make(item.get("linkId"), prefix="step")
            conditions: list[_Source] = []
        else:
            self.report_item_fields(item, where)
            self.group_extensions(item, where)
            self.remember_link_id(item, where)
            if item.get("required") is True:
                self.note(where, "required", "'required' on a group is not kept")
            conditions = self.own_conditions(item, where)
            with self.group_flags(item, where):
                questions = self.read_children(item, where, inherited=[], row=None, skip_help=True)
        if not questions:
            self.note(where, "item", "the group has no items; left out")
            if not _repeats(item):  # a repeating group said why itself
                self.left_out.append(
                    Problem(where, "the group (FHIR item.item) has no item that can be asked")
                )
            return None
        return _StepDraft(
            key=key,
            title=title,
            intro={} if _repeats(item) else self.help_text(item, where),
            conditions=conditions,
            questions=questions,
            link_id=self.step_link_id(item, where, key),
        )

    def step_link_id(self, item: Mapping[str, Any], where: str, key: str) -> str:
        """The group's linkId when the step key does not already say it (our export writes
        a step's linkId as its key, so only a different one needs keeping)."""
        link_id = "" if _repeats(item) else self.link_id(item, where)
        return "" if link_id == key else link_id

    def read_children(
        self,
        item: Mapping[str, Any],
        where: str,
        *,
        inherited: list[_Source],
        row: _Draft | None,
        skip_help: bool = False,
    ) -> list[_Draft]:
        children = item.get("item")
        if children is None:
            return []
        if not isinstance(children, list):
            self.note(where, "item", "the nested items are not a list; skipped")
            return []
        drafts: list[_Draft] = []
        for index, child in enumerate(children):
            child_where = _where(f"{where.split(' ')[0]}.item[{index}]", child)
            if not isinstance(child, Mapping):
                self.note(child_where, "item", "the item is not an object; skipped")
            elif not (skip_help and _is_help(child)):
                drafts.extend(self.read_item(child, child_where, inherited=inherited, row=row))
        return drafts

    def read_item(
        self,
        item: Mapping[str, Any],
        where: str,
        *,
        inherited: list[_Source],
        row: _Draft | None,
    ) -> list[_Draft]:
        conditions = [*inherited, *self.own_conditions(item, where)]
        self.report_item_fields(item, where)
        self.remember_link_id(item, where)
        if item.get("type") == "group":
            return self.read_group(item, where, conditions=conditions, row=row)
        question = self.question(item, where)
        drafts: list[_Draft] = []
        if question.kind == Kind.DISPLAY and row is not None:
            # A row holds questions only: its display text joins the group's help.
            if question.text:
                row.extra_help.extend(part for part in (question.text, question.help) if part)
                self.note(
                    where,
                    "display",
                    "display text inside a repeating group moved into the group's help",
                )
        else:
            drafts.append(_Draft(question=question, conditions=conditions))
        children = item.get("item")
        nested = children if isinstance(children, list) else []
        if any(isinstance(child, Mapping) and not _is_help(child) for child in nested):
            self.note(
                where,
                "item",
                "items nested under a question are placed after it, shown only when it is",
            )
        drafts.extend(
            self.read_children(item, where, inherited=conditions, row=row, skip_help=True)
        )
        return drafts

    def read_group(
        self,
        item: Mapping[str, Any],
        where: str,
        *,
        conditions: list[_Source],
        row: _Draft | None,
    ) -> list[_Draft]:
        text = self.text_of(item, "text", where)
        help_text = self.help_text(item, where)
        if _repeats(item) and row is None:
            limits = self.item_extensions(item, where, kind=Kind.REPEAT_GROUP)
            self.group_variables(limits, where)
            if not text:
                text = self.fallback_text(item, where, "repeating group")
            group = _Draft(
                question=QuestionDef(
                    key=self.keys.make(item.get("linkId"), prefix="group"),
                    kind=Kind.REPEAT_GROUP,
                    text=text,
                    help=help_text,
                    required=item.get("required") is True,
                    read_only=self.group_read_only or item.get("readOnly") is True,
                    max_rows=limits.get("max_rows"),
                    link_id=self.link_id(item, where),
                    hidden=self.group_hidden or limits.get("hidden", False),
                ),
                conditions=conditions,
            )
            with self.group_flags(item, where):
                group.children = self.read_children(
                    item, where, inherited=[], row=group, skip_help=True
                )
            if not group.children:
                self.note(where, "item", "the repeating group has no questions; left out")
                self.left_out.append(
                    Problem(
                        where,
                        "the repeating group (FHIR item with repeats true) has no question "
                        "inside it (item.item), so nothing can be asked",
                    )
                )
                return []
            return [group]
        self.group_extensions(item, where)
        if _repeats(item):
            self.note(
                where,
                "repeats",
                "a repeating group inside a repeating group is not supported; "
                "its questions are asked once per row of the outer group",
            )
        if item.get("required") is True:
            self.note(where, "required", "'required' on a group is not kept")
        drafts: list[_Draft] = []
        if text and row is not None:
            row.extra_help.extend(part for part in (text, help_text) if part)
            self.note(
                where,
                "group",
                "the heading of a group inside a repeating group moved into the group's help",
            )
        elif text:
            # Flattened into the step: a display question keeps the heading.
            self.note(
                where,
                "group",
                "a group inside a group is flattened into its step: its text is a heading "
                "(display item) and its items follow it; responses keep the group",
            )
            drafts.append(
                _Draft(
                    question=QuestionDef(
                        # "q" as for any display item: the export writes the heading as
                        # one, and a re-import must give it the same key.
                        key=self.keys.make(item.get("linkId"), prefix="q"),
                        kind=Kind.DISPLAY,
                        text=text,
                        help=help_text,
                        link_id=self.link_id(item, where),
                    ),
                    conditions=conditions,
                )
            )
        if not text and row is None:
            self.note(
                where,
                "group",
                "a group without text inside a group is flattened into its step; "
                "responses keep the group",
            )
        with self.group_flags(item, where):
            return drafts + self.read_children(
                item, where, inherited=conditions, row=row, skip_help=True
            )

    @contextmanager
    def group_flags(self, item: Mapping[str, Any], where: str) -> Iterator[None]:
        """readOnly and hidden on a group hold for everything inside it (FHIR que-9 text)."""
        if item.get("readOnly") is True:
            self.note(
                where,
                "readOnly",
                "readOnly on a group is kept on every item inside it (exported there)",
            )
        saved = (self.group_read_only, self.group_hidden)
        self.group_read_only = saved[0] or item.get("readOnly") is True
        self.group_hidden = saved[1] or any(
            extension["url"] == HIDDEN and extension.get("valueBoolean") is True
            for extension in extensions(item)
        )
        try:
            yield
        finally:
            self.group_read_only, self.group_hidden = saved

    def group_extensions(self, item: Mapping[str, Any], where: str) -> None:
        found = self.item_extensions(item, where, kind=Kind.DISPLAY)
        self.group_variables(found, where)
        for name in found.get("expressions", {}):
            self.note(
                where,
                name,
                f"a {name} expression on a group is not supported; ignored",
            )

    def group_variables(self, found: Mapping[str, Any], where: str) -> None:
        if found.get("variables"):
            self.variables.extend(found["variables"])
            self.note(
                where,
                "variable",
                "the group's FHIRPath variables are evaluated for the whole questionnaire "
                "(names are expected to be unique)",
            )

    def fallback_text(self, item: Mapping[str, Any], where: str, what: str) -> dict[str, str]:
        """FHIR makes text optional: the first code's display, else the linkId, is shown."""
        codes = item.get("code")
        for coding in codes if isinstance(codes, list) else []:
            display = coding.get("display") if isinstance(coding, Mapping) else None
            if isinstance(display, str) and display.strip():
                self.note(
                    where, "text", f"the {what} has no text; labelled with its code's display"
                )
                return {self.language: display.strip()[:LABEL_LIMIT]}
        link_id = item.get("linkId")
        label = link_id if isinstance(link_id, str) and link_id.strip() else what
        self.note(where, "text", f"the {what} has no text; labelled with its linkId '{label}'")
        return {self.language: label[:LABEL_LIMIT]}

    def own_conditions(self, item: Mapping[str, Any], where: str) -> list[_Source]:
        enable_when = item.get("enableWhen")
        if enable_when is None:
            return []
        if not isinstance(enable_when, list):
            self.note(
                where, "enableWhen", "enableWhen is not a list; ignored, the item always shows"
            )
            return []
        behavior = item.get("enableBehavior")
        return [_Source(where, enable_when, behavior if isinstance(behavior, str) else None)]

    def remember_link_id(self, item: Mapping[str, Any], where: str) -> None:
        link_id = item.get("linkId")
        if not isinstance(link_id, str) or not link_id:
            self.note(where, "linkId", "the item has no linkId; a key was made up")
        elif link_id in self.link_ids:
            self.note(
                where,
                "linkId",
                f"linkId '{link_id}' is also used by {self.link_ids[link_id]}; "
                "conditions on it refer to the first",
            )
        else:
            self.link_ids[link_id] = where

    def link_id(self, item: Mapping[str, Any], where: str) -> str:
        link_id = item.get("linkId")
        if not isinstance(link_id, str):
            return ""
        if len(link_id) > LINK_ID_LIMIT:
            self.note(
                where, "linkId", f"the linkId is longer than {LINK_ID_LIMIT} characters; not kept"
            )
            return ""
        if not FHIR_STRING.fullmatch(link_id):
            # FHIR's string type: no control characters but tab, CR and LF, not blank.
            self.note(where, "linkId", "the linkId is not a valid FHIR string; not kept")
            return ""
        return link_id

    def report_item_fields(self, item: Mapping[str, Any], where: str) -> None:
        for name in item:
            if name in _ITEM_FIELDS:
                continue
            detail = _ITEM_FIELD_NOTES.get(name, f"the field '{name}' is not kept")
            self.note(where, name.lstrip("_"), detail)

    # --- questions ------------------------------------------------------------------------

    def question(self, item: Mapping[str, Any], where: str) -> QuestionDef:
        fhir_type = item.get("type")
        kind, choices = self.kind_and_choices(item, where, fhir_type)
        text = self.text_of(item, "text", where)
        prefix = item.get("prefix")
        if isinstance(prefix, str) and prefix.strip() and self.language in text:
            text[self.language] = f"{prefix.strip()} {text[self.language]}"
            self.note(where, "prefix", "the prefix is joined to the front of the text")
        if not text:
            text = self.fallback_text(item, where, "item")
        limits = self.item_extensions(item, where, kind=kind, fhir_type=fhir_type)
        expressions = dict(limits.get("expressions", {}))
        if limits.get("variables"):
            expressions["variables"] = limits["variables"]
        if kind == Kind.DISPLAY and set(expressions) & {"calculated", "initial"}:
            self.note(where, "calculatedExpression", "a display item has no value; ignored")
            expressions.pop("calculated", None)
            expressions.pop("initial", None)
        if "calculated" in expressions:
            self.note(where, "calculatedExpression", _EXPRESSION_NOTES["calculated"])
        if item.get("repeats") == "true":
            self.note(
                where,
                "repeats",
                "'repeats' is the text \"true\", not a boolean; read as true and exported as "
                "the boolean true",
            )
        if _repeats(item) and kind not in (Kind.MULTIPLE_CHOICE,):
            self.note(
                where,
                "repeats",
                "'repeats' on a non-choice item is not supported; one answer is asked",
            )
        required = item.get("required") is True
        if required and kind == Kind.DISPLAY:
            self.note(where, "required", "a display item cannot be required; 'required' dropped")
            required = False
        max_length = item.get("maxLength")
        if not (
            isinstance(max_length, int) and not isinstance(max_length, bool) and max_length > 0
        ):
            if max_length is not None:
                self.note(
                    where,
                    "maxLength",
                    f"maxLength {max_length!r} is not a positive number; ignored",
                )
            max_length = None
        return QuestionDef(
            key=self.keys.make(item.get("linkId"), prefix="q"),
            kind=kind,
            text=text,
            help=self.help_text(item, where),
            required=required and "calculated" not in expressions,
            read_only=(
                item.get("readOnly") is True or self.group_read_only or "calculated" in expressions
            )
            and kind != Kind.DISPLAY,
            min_value=limits.get("min_value"),
            max_value=limits.get("max_value"),
            unit=limits.get("unit", ""),
            max_length=max_length,
            choices=choices,
            link_id=self.link_id(item, where),
            hidden=self.group_hidden or limits.get("hidden", False),
            expressions=expressions,
            not_in_past=limits.get("not_in_past", False),
        )

    def kind_and_choices(
        self, item: Mapping[str, Any], where: str, fhir_type: Any
    ) -> tuple[str, tuple[ChoiceDef, ...]]:
        has_answer_list = bool(item.get("answerOption")) or "answerValueSet" in item
        if fhir_type in _CHOICE_TYPES or (has_answer_list and fhir_type in _LISTABLE_TYPES):
            choices = self.choices(item, where)
            if not choices:
                return Kind.SHORT_TEXT, ()
            if fhir_type == "open-choice":
                self.note(
                    where,
                    "open-choice",
                    "open-choice imported as a choice: a free-text 'other' answer is not supported",
                )
            elif fhir_type not in _CHOICE_TYPES:
                self.note(
                    where,
                    "answerOption",
                    f"the {fhir_type} item has an answer list, so it is imported as a choice; "
                    "answers are stored as the option values' text",
                )
            return (Kind.MULTIPLE_CHOICE if _repeats(item) else Kind.SINGLE_CHOICE), choices
        if has_answer_list:
            self.note(where, "answerOption", f"the answer list of the {fhir_type} item is not kept")
        if fhir_type in _SIMPLE_TYPES:
            return _SIMPLE_TYPES[fhir_type], ()
        if fhir_type in _TYPE_NOTES:
            kind, detail = _TYPE_NOTES[fhir_type]
            if detail:
                self.note(where, f"type {fhir_type}", detail)
            return kind, ()
        self.note(where, "type", f"unknown item type {fhir_type!r}; imported as display text")
        return Kind.DISPLAY, ()

    def choices(self, item: Mapping[str, Any], where: str) -> tuple[ChoiceDef, ...]:
        options = item.get("answerOption")
        if isinstance(options, list) and options:
            return self.options(options, where)
        value_set = item.get("answerValueSet")
        if isinstance(value_set, str) and value_set.startswith("#"):
            contained = self.value_sets.get(value_set[1:])
            if contained is not None:
                self.value_sets_used.add(value_set[1:])
                choices = self.expand(contained, where)
                if choices:
                    return choices
                self.note(
                    where,
                    "answerValueSet",
                    f"the contained ValueSet {value_set} lists no "
                    "codes we can read (filters are not expanded); imported as short text",
                )
                return ()
            self.note(
                where,
                "answerValueSet",
                f"answerValueSet {value_set} points at no "
                "contained ValueSet; imported as short text",
            )
            return ()
        if isinstance(value_set, str):
            self.note(
                where,
                "answerValueSet",
                f"answerValueSet {value_set} cannot be fetched "
                "offline; imported as short text (the patient types the answer)",
            )
            return ()
        if any(extension["url"] == ANSWER_EXPRESSION for extension in extensions(item)):
            return self.answer_expression(item, where)
        self.note(
            where, "answerOption", "a choice item without answer options; imported as short text"
        )
        return ()

    def expand(self, value_set: Mapping[str, Any], where: str) -> tuple[ChoiceDef, ...]:
        """The codes a contained ValueSet lists (compose.include.concept or expansion.contains)."""
        codes: list[tuple[str, Any, Any]] = []  # (system, code, display)
        compose = value_set.get("compose")
        for include in compose.get("include", []) if isinstance(compose, Mapping) else []:
            if not isinstance(include, Mapping):
                continue
            if include.get("filter") or include.get("valueSet"):
                return ()
            for concept in include.get("concept", []) or []:
                if isinstance(concept, Mapping):
                    codes.append((include.get("system"), concept))
        expansion = value_set.get("expansion")
        for entry in expansion.get("contains", []) if isinstance(expansion, Mapping) else []:
            if isinstance(entry, Mapping):
                codes.append((entry.get("system"), entry))
        # A concept's scores (ordinalValue / itemWeight) travel with its coding.
        options = [
            {
                "valueCoding": {
                    "system": system,
                    "code": concept.get("code"),
                    "display": concept.get("display"),
                    **({"_display": concept["_display"]} if "_display" in concept else {}),
                    **({"extension": concept["extension"]} if "extension" in concept else {}),
                }
            }
            for system, concept in codes
        ]
        if options:
            self.note(
                where,
                "answerValueSet",
                "options read from the contained ValueSet (scores kept); exported as answerOption",
            )
        return self.options(options, where) if options else ()

    def options(self, options: Sequence[Any], where: str) -> tuple[ChoiceDef, ...]:
        choices: list[ChoiceDef] = []
        seen: set[str] = set()
        for option in options:
            choice = self.option(option, where)
            if choice is None:
                continue
            if choice.value in seen:
                self.note(
                    where,
                    "answerOption",
                    f"option value '{choice.value}' appears twice; the second is left out",
                )
                continue
            seen.add(choice.value)
            choices.append(choice)
        return tuple(choices)

    def option(self, option: Any, where: str) -> ChoiceDef | None:
        if not isinstance(option, Mapping):
            self.note(where, "answerOption", "an answer option is not an object; left out")
            return None
        score = self.option_score(option, where)
        if option.get("initialSelected") is True:
            self.note(
                where,
                "initialSelected",
                "a preselected option is not kept: the patient starts with no answer",
            )
        coding = option.get("valueCoding")
        if isinstance(coding, Mapping):
            code = coding.get("code")
            if not isinstance(code, str) or not code.strip():
                self.note(where, "answerOption", "an option coding has no code; left out")
                return None
            label = self.text_of(coding, "display", where) or {self.language: code}
            if score is None:
                score = self.option_score(coding, where)
            if not own_system(coding.get("system")) or "display" not in coding:
                # The export writes every option as a full Coding, so it gains these.
                self.note(
                    where,
                    "answerOption",
                    "an option coding without a system or display is exported with our own "
                    "system (urn:sdm:codesystem:…) and its label (the code) as display",
                )
            choice = self.choice(code, label, score, own_system(coding.get("system")), where)
            return _exclusive(choice, option)
        for name, what in (
            ("valueString", None),
            ("valueInteger", "integers"),
            ("valueDate", "dates"),
            ("valueTime", "times"),
        ):
            value = option.get(name)
            if value is None or isinstance(value, bool):
                continue
            if what:
                self.note(
                    where,
                    name,
                    f"options that are {what} are imported as coded choices; "
                    "answers store the value as text",
                )
            text = str(value)
            label = self.text_of(option, name, where) or {self.language: text}
            return _exclusive(self.choice(text, label, score, "", where), option)
        self.note(
            where,
            "answerOption",
            "an option of an unsupported type (e.g. valueReference) is left out",
        )
        return None

    def choice(
        self, value: str, label: dict[str, str], score: Decimal | None, system: str, where: str
    ) -> ChoiceDef | None:
        if len(value) > VALUE_LIMIT:
            self.note(
                where,
                "answerOption",
                f"an option code is longer than {VALUE_LIMIT} characters; left out",
            )
            return None
        return ChoiceDef(
            value=value,
            label=self.clip(label, LABEL_LIMIT, where, "option label"),
            score=score,
            system=system[:LINK_ID_LIMIT],
        )

    def option_score(self, element: Mapping[str, Any], where: str) -> Decimal | None:
        score = None
        for extension in extensions(element):
            url = extension["url"]
            if url in (ORDINAL_VALUE, ITEM_WEIGHT):
                number = extension.get("valueDecimal", extension.get("valueInteger"))
                if _number(number) is not None:
                    score = _number(number)
                    if url == ITEM_WEIGHT:
                        self.note(
                            where,
                            "itemWeight",
                            "an option's itemWeight is kept as its score and exported as "
                            "ordinalValue, R4's name for the same extension",
                        )
                    continue
                self.note(where, extension_name(url), "a score that is not a number is not kept")
            elif url == OPTION_EXCLUSIVE:
                continue  # read by ``option``
            else:
                name = extension_name(url)
                self.note(where, name, f"option extension {name} not kept")
        return score

    def help_text(self, item: Mapping[str, Any], where: str) -> Text:
        """Display children marked as help (itemControl 'help') become the help text."""
        children = item.get("item")
        return _joined(
            [
                self.text_of(child, "text", where)
                for child in (children if isinstance(children, list) else [])
                if isinstance(child, Mapping) and _is_help(child)
            ]
        )

    def item_extensions(
        self, item: Mapping[str, Any], where: str, *, kind: str, fhir_type: Any = None
    ) -> dict[str, Any]:
        """The extensions we map (bounds, unit, maximum rows); every other one is reported."""
        found: dict[str, Any] = {}
        unit_options: list[str] = []
        for extension in extensions(item):
            url, name = extension["url"], extension_name(extension["url"])
            if url in (MIN_VALUE, MAX_VALUE) and kind in (Kind.INTEGER, Kind.DECIMAL):
                number = _number(extension.get("valueInteger", extension.get("valueDecimal")))
                if number is not None:
                    found["min_value" if url == MIN_VALUE else "max_value"] = number
                    continue
            elif url == UNIT and kind in (Kind.INTEGER, Kind.DECIMAL):
                coding = extension.get("valueCoding")
                unit = _coding_text(coding)
                if unit:
                    found["unit"] = unit
                    if set(coding) - {"display"}:
                        # We keep the unit as text; its code (e.g. UCUM) is not carried.
                        self.note(
                            where,
                            "unit",
                            f"the unit is kept as the text '{unit}'; its coding "
                            f"({_coding_summary(coding)}) is not kept and the export writes "
                            "the text only",
                        )
                    continue
            elif url == UNIT_OPTION and fhir_type == "quantity":
                unit = _coding_text(extension.get("valueCoding"))
                if unit:
                    unit_options.append(unit)
                    continue
            elif url == MAX_OCCURS and kind == Kind.REPEAT_GROUP:
                rows = extension.get("valueInteger")
                if isinstance(rows, int) and not isinstance(rows, bool) and rows > 0:
                    found["max_rows"] = rows
                    continue
            elif url == HIDDEN and isinstance(extension.get("valueBoolean"), bool):
                found["hidden"] = extension["valueBoolean"]
                continue
            elif url == CONSTRAINT and kind == Kind.DATE and is_not_in_past_constraint(extension):
                found["not_in_past"] = True
                continue
            elif url == ANSWER_EXPRESSION:
                continue  # kind_and_choices reads it
            elif url == VARIABLE:
                continue  # variable_extensions reads them, below
            elif url in EXPRESSION_EXTENSIONS.values():
                our_name = next(k for k, v in EXPRESSION_EXTENSIONS.items() if v == url)
                text = self.expression_text(extension, where, name)
                if text is not None:
                    found.setdefault("expressions", {})[our_name] = text
                    if our_name != "calculated":
                        self.note(where, name, _EXPRESSION_NOTES[our_name])
                continue
            detail = _EXTENSION_NOTES.get(name, f"extension {name} not supported; ignored")
            self.note(where, name, detail)
        if fhir_type == "quantity":
            unit = found.get("unit") or (unit_options[0] if unit_options else "")
            found["unit"] = unit
            others = [option for option in unit_options if option != unit]
            detail = f"the unit is fixed to '{unit}'" if unit else "no unit is given"
            if others:
                detail += f"; other units (unitOption {', '.join(others)}) cannot be chosen"
            self.note(where, "quantity", f"quantity imported as a decimal number: {detail}")
        variables = self.variable_extensions(item, where)
        if variables:
            found["variables"] = variables
        unit = found.get("unit", "")
        if len(unit) > UNIT_LIMIT:
            self.note(where, "unit", f"the unit is longer than {UNIT_LIMIT} characters; cut")
            found["unit"] = unit[:UNIT_LIMIT]
        return found

    # --- FHIRPath ---------------------------------------------------------------------------

    def expression_text(self, extension: Mapping[str, Any], where: str, name: str) -> str | None:
        """The FHIRPath of an Expression-valued extension; None (reported) if unusable."""
        value = extension.get("valueExpression")
        if not isinstance(value, Mapping):
            self.note(where, name, f"{name} has no valueExpression; ignored")
            return None
        language, text = value.get("language"), value.get("expression")
        if language != FHIRPATH:
            self.note(
                where,
                name,
                f"{name} in {language!r} (not FHIRPath) needs a FHIR or terminology server; "
                "ignored",
            )
            return None
        if isinstance(text, str):
            text = references_to_ours(text, self.variable_names)
        problem = fhirpath.check(text)
        if problem:
            self.refusals.append(Problem(where, f"{name} (FHIRPath): {problem}"))
            return None
        return text

    def variable_extensions(self, element: Mapping[str, Any], where: str) -> list[dict[str, str]]:
        found = []
        for extension in extensions(element):
            if extension["url"] != VARIABLE:
                continue
            value = extension.get("valueExpression")
            variable_name = value.get("name") if isinstance(value, Mapping) else None
            if isinstance(variable_name, str):
                variable_name = our_variable_name(variable_name)
            if not isinstance(variable_name, str) or not _VARIABLE_NAME.match(variable_name):
                self.note(
                    where, "variable", f"variable name {variable_name!r} is not usable; ignored"
                )
                continue
            text = self.expression_text(extension, where, "variable")
            if text is not None:
                found.append({"name": variable_name, "expression": text})
        return found

    def answer_expression(self, item: Mapping[str, Any], where: str) -> tuple[ChoiceDef, ...]:
        """Options from an answerExpression that needs no answers and no server."""
        for extension in extensions(item):
            if extension["url"] != ANSWER_EXPRESSION:
                continue
            text = self.expression_text(extension, where, "answerExpression")
            if text is None:
                return ()
            try:
                values = fhirpath.evaluate(
                    text,
                    {"resourceType": "QuestionnaireResponse"},
                    {"questionnaire": self.resource},
                )
            except fhirpath.ExpressionError as error:
                self.note(where, "answerExpression", f"answerExpression failed ({error}); ignored")
                return ()
            options = [
                {"valueCoding": value}
                for value in values
                if isinstance(value, Mapping) and isinstance(value.get("code"), str)
            ]
            if options and len(options) == len(values):
                self.note(
                    where,
                    "answerExpression",
                    "answerExpression evaluated once at import: its options are fixed",
                )
                return self.options(options, where)
            self.note(
                where,
                "answerExpression",
                "answerExpression gives no fixed list of codings without the patient's answers "
                "or a server; ignored",
            )
        return ()

    def refuse_enable_when_cycles(self, items: list[Any]) -> None:
        """An item enabled by an item that (through others) it enables itself is refused:
        no order of asking can satisfy it."""
        edges: dict[str, list[str]] = {}
        where_of: dict[str, str] = {}
        pending = [(item, f"item[{index}]") for index, item in enumerate(items)]
        while pending:
            item, path = pending.pop()
            if not isinstance(item, Mapping):
                continue
            link_id = item.get("linkId")
            children = item.get("item")
            for index, child in enumerate(children if isinstance(children, list) else []):
                pending.append((child, f"{path}.item[{index}]"))
            if not isinstance(link_id, str):
                continue
            where_of.setdefault(link_id, _where(path, item))
            for criterion in (
                item.get("enableWhen") or () if isinstance(item.get("enableWhen"), list) else ()
            ):
                target = criterion.get("question") if isinstance(criterion, Mapping) else None
                if isinstance(target, str):
                    edges.setdefault(link_id, []).append(target)
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        for start in sorted(edges):
            if state.get(start):
                continue
            stack = [(start, iter(edges.get(start, ())))]
            trail = [start]
            state[start] = 1
            while stack:
                node, targets = stack[-1]
                target = next(targets, None)
                if target is None:
                    state[node] = 2
                    stack.pop()
                    trail.pop()
                elif state.get(target) == 1:
                    cycle = trail[trail.index(target) :] + [target]
                    self.refusals.append(
                        Problem(
                            where_of.get(target, ""),
                            "enableWhen conditions form a cycle ("
                            + " → ".join(cycle)
                            + "): each item waits for another; no order of asking works",
                        )
                    )
                    return
                elif not state.get(target):
                    state[target] = 1
                    trail.append(target)
                    stack.append((target, iter(edges.get(target, ()))))

    # --- conditions -------------------------------------------------------------------------

    def resolve(self, drafts: list[_StepDraft]) -> tuple[StepDef, ...]:
        """Translate every enableWhen, now that every question and its kind is known.

        A condition may only use questions answered before it (the linter's rule, and
        FHIR's form fillers work the same way in practice): the step's own condition
        sees earlier steps; a question also sees earlier questions of its step; a
        repeat group's child also sees its earlier siblings in the row.
        """
        earlier: dict[str, QuestionDef] = {}  # linkId → top-level question walked so far
        steps: list[StepDef] = []
        for draft in drafts:
            show_if = self.condition(draft.conditions, earlier)
            questions: list[QuestionDef] = []
            for question_draft in draft.questions:
                question = replace(
                    question_draft.question,
                    show_if=self.condition(question_draft.conditions, earlier),
                )
                if question.kind == Kind.REPEAT_GROUP:
                    question = self.resolve_row(question, question_draft, earlier)
                questions.append(question)
                _remember(earlier, question)
            steps.append(
                StepDef(
                    key=draft.key,
                    title=draft.title,
                    intro=draft.intro,
                    show_if=show_if,
                    questions=tuple(questions),
                    source_link_id=draft.link_id,
                )
            )
        return tuple(steps)

    def resolve_row(
        self, group: QuestionDef, draft: _Draft, earlier: Mapping[str, QuestionDef]
    ) -> QuestionDef:
        siblings: dict[str, QuestionDef] = {}
        children = []
        for child_draft in draft.children:
            child = replace(
                child_draft.question,
                show_if=self.condition(child_draft.conditions, ChainMap(siblings, dict(earlier))),
            )
            children.append(child)
            _remember(siblings, child)
        help_text = _joined([group.help, *draft.extra_help])
        return replace(group, children=tuple(children), help=help_text)

    def condition(
        self, sources: list[_Source], available: Mapping[str, QuestionDef]
    ) -> Condition | None:
        parts: list[Condition] = []
        for source in sources:
            condition, notes = to_condition(
                source.enable_when, source.behavior, items_by_link_id=available
            )
            for detail in notes:
                self.note(source.where, "enableWhen", detail)
            if condition is None:
                continue
            parts.extend(condition["all"] if set(condition) == {"all"} else [condition])
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"all": parts}


_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _variable_names(resource: Mapping[str, Any]) -> set[str]:
    """The names of every variable extension in the resource, at any level."""
    names: set[str] = set()
    pending: list[Any] = [resource]
    while pending:
        element = pending.pop()
        for extension in extensions(element):
            value = extension.get("valueExpression")
            name = value.get("name") if isinstance(value, Mapping) else None
            if extension["url"] == VARIABLE and isinstance(name, str):
                names.add(name)
        children = element.get("item") if isinstance(element, Mapping) else None
        if isinstance(children, list):
            pending.extend(children)
    return names


def _joined(texts: Sequence[Text]) -> dict[str, str]:
    """Several translated texts as one, paragraph after paragraph, language by language."""
    joined: dict[str, list[str]] = {}
    for text in texts:
        for language, value in text.items():
            joined.setdefault(language, []).append(value)
    return {language: "\n\n".join(values) for language, values in joined.items()}


def _remember(found: dict[str, QuestionDef], question: QuestionDef) -> None:
    """Make ``question`` available to later conditions, by its linkId (first one wins)."""
    if question.link_id and question.kind not in (Kind.DISPLAY, Kind.REPEAT_GROUP):
        found.setdefault(question.link_id, question)


def _where(path: str, item: Any) -> str:
    link_id = item.get("linkId") if isinstance(item, Mapping) else None
    return f"{path} (linkId {link_id})" if isinstance(link_id, str) else path


def _repeats(item: Mapping[str, Any]) -> bool:
    # One shared file writes "repeats": "true" (a string); read it the way its author meant.
    return item.get("repeats") in (True, "true")


def _is_help(item: Mapping[str, Any]) -> bool:
    if item.get("type") != "display":
        return False
    for extension in extensions(item):
        if extension["url"] == ITEM_CONTROL:
            concept = extension.get("valueCodeableConcept")
            codings = concept.get("coding") if isinstance(concept, Mapping) else None
            for coding in codings if isinstance(codings, list) else []:
                if isinstance(coding, Mapping) and coding.get("code") == "help":
                    return True
    return False


def _number(value: Any) -> Decimal | None:
    """A JSON number as an exact Decimal (floats from a caller's json.loads via repr)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return number if number.is_finite() else None


def _coding_summary(coding: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {coding[name]}" for name in ("system", "code") if name in coding)


def _coding_text(coding: Any) -> str:
    if not isinstance(coding, Mapping):
        return ""
    for name in ("display", "code"):
        if isinstance(coding.get(name), str) and coding[name].strip():
            return coding[name].strip()
    return ""


def _exclusive(choice: ChoiceDef | None, option: Mapping[str, Any]) -> ChoiceDef | None:
    """The choice marked exclusive when its answerOption carries optionExclusive true."""
    marked = any(
        extension["url"] == OPTION_EXCLUSIVE and extension.get("valueBoolean") is True
        for extension in extensions(option)
    )
    return replace(choice, exclusive=True) if choice is not None and marked else choice

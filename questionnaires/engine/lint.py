"""The definition linter: every problem that must be fixed before a version is published.

``lint`` returns the full list, never just the first problem, so an author can fix
everything in one pass. Each problem carries a path into the definition such as
``steps[2].questions[0].show_if`` or ``scales[0].bands[2]``. Importers use
``lint_structure``, which leaves translations alone (they arrive in one language
first and are translated later).
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from . import conditions
from .definition import (
    Condition,
    Direction,
    Kind,
    Problem,
    QuestionDef,
    ScaleDef,
    ScaleMethod,
    Severity,
    Text,
    VersionDef,
)
from .expressions import has_expressions, lint_expressions
from .kinds import kind_codes, kind_spec

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")

# A ranking lists every choice, so the sum of its choice scores would not depend on the answer.
SCORABLE_CHOICE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)
RATING_MIN, RATING_MAX = Decimal(0), Decimal(10)


def lint(
    definition: VersionDef,
    *,
    languages: Sequence[str] | None = None,
    check_translations: bool = True,
) -> list[Problem]:
    """Every problem in ``definition``: structure first, then missing translations.

    ``languages`` defaults to the version's own languages.
    """
    problems = _StructureLinter(definition).run()
    if has_expressions(definition):
        problems.extend(lint_expressions(definition))
    if check_translations:
        wanted = definition.languages if languages is None else tuple(languages)
        problems.extend(_translation_problems(definition, wanted))
    return problems


def lint_structure(definition: VersionDef) -> list[Problem]:
    """Every structural problem in ``definition``, ignoring translations (for importers)."""
    return lint(definition, check_translations=False)


class _StructureLinter:
    """One walk over the definition in patient order, collecting problems as it goes."""

    def __init__(self, definition: VersionDef) -> None:
        self.definition = definition
        self.problems: list[Problem] = []
        self.instrument_keys = {instrument.key for instrument in definition.instruments}
        self.top_level: dict[str, QuestionDef] = {}
        for _, _, question in definition.iter_questions():
            self.top_level.setdefault(question.key, question)
        self.child_keys = frozenset(
            child.key
            for question in self.top_level.values()
            if question.kind == Kind.REPEAT_GROUP
            for child in question.children
        )
        self.all_keys = frozenset(definition.question_map())
        self.question_paths: dict[str, str] = {}  # first path of each question key

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def run(self) -> list[Problem]:
        definition = self.definition
        if not SLUG_PATTERN.fullmatch(definition.slug):
            self.report(
                "slug",
                f"slug '{definition.slug}' may use only lowercase letters, digits and "
                "single hyphens between them",
            )
        self.check_instruments()
        self.check_steps()
        for index, scale in enumerate(definition.scales):
            self.check_scale(scale, f"scales[{index}]")
        self.check_unique_keys([scale.key for scale in definition.scales], "scales[{}]", "scale")
        return self.problems

    # --- shared -------------------------------------------------------------------------

    def check_key(self, key: str, path: str, what: str) -> None:
        if not KEY_PATTERN.fullmatch(key):
            self.report(
                path,
                f"{what} key '{key}' must start with a lowercase letter and use only lowercase "
                "letters, digits and underscores (at most 64 characters)",
            )

    def check_unique_keys(self, keys: Sequence[str], path_template: str, what: str) -> None:
        """Report each repeated key at its ``.key``, naming the first holder of that key."""
        first_path: dict[str, str] = {}
        for index, key in enumerate(keys):
            path = path_template.format(index)
            if key in first_path:
                self.report(
                    f"{path}.key", f"{what} key '{key}' is already used by {first_path[key]}"
                )
            else:
                first_path[key] = path

    def check_instrument_reference(self, instrument: str, path: str) -> None:
        if instrument and instrument not in self.instrument_keys:
            self.report(path, f"unknown instrument '{instrument}'")

    def check_condition(
        self,
        condition: Condition | None,
        path: str,
        *,
        earlier: Mapping[str, QuestionDef],
        self_key: str | None = None,
        row_only_keys: Collection[str],
    ) -> None:
        self.problems.extend(
            conditions.validate(
                condition,
                path=path,
                earlier=earlier,
                all_keys=self.all_keys,
                self_key=self_key,
                row_only_keys=row_only_keys,
            )
        )

    # --- instruments, steps, questions --------------------------------------------------

    def check_instruments(self) -> None:
        for index, instrument in enumerate(self.definition.instruments):
            if not instrument.key.strip():
                self.report(f"instruments[{index}].key", "an instrument needs a key")
        self.check_unique_keys(
            [instrument.key for instrument in self.definition.instruments],
            "instruments[{}]",
            "instrument",
        )

    def check_steps(self) -> None:
        steps = self.definition.steps
        if not steps:
            self.report("steps", "a questionnaire needs at least one step")
        # Top-level questions walked so far, by key: what a condition may refer to.
        earlier: dict[str, QuestionDef] = {}
        for step_index, step in enumerate(steps):
            path = f"steps[{step_index}]"
            self.check_key(step.key, f"{path}.key", "step")
            # A step's condition is evaluated before its questions are shown, so only
            # questions of earlier steps count as earlier here.
            self.check_condition(
                step.show_if, f"{path}.show_if", earlier=earlier, row_only_keys=self.child_keys
            )
            if not step.questions:
                self.report(f"{path}.questions", "a step needs at least one question")
            for question_index, question in enumerate(step.questions):
                question_path = f"{path}.questions[{question_index}]"
                self.check_question(question, question_path)
                self.check_condition(
                    question.show_if,
                    f"{question_path}.show_if",
                    earlier=earlier,
                    self_key=question.key,
                    row_only_keys=self.child_keys,
                )
                self.check_children(question, question_path, outer=earlier)
                earlier.setdefault(question.key, question)
        self.check_unique_keys([step.key for step in steps], "steps[{}]", "step")

    def check_question(self, question: QuestionDef, path: str) -> None:
        """Checks that do not depend on where the question stands."""
        self.check_key(question.key, f"{path}.key", "question")
        if question.key in self.question_paths:
            self.report(
                f"{path}.key",
                f"question key '{question.key}' is already used by "
                f"{self.question_paths[question.key]}",
            )
        else:
            self.question_paths[question.key] = path
        self.check_instrument_reference(question.instrument, f"{path}.instrument")
        spec = kind_spec(question.kind)
        if spec is None:
            self.report(
                f"{path}.kind",
                f"unknown kind '{question.kind}'; use one of {', '.join(kind_codes())}",
            )
            return
        self.check_choices(question, path)
        self.check_bounds(question, path)
        for field_name, message in spec.lint(question):  # the kind's own rules
            self.report(f"{path}.{field_name}", message)
        for name in ("max_length", "max_rows"):
            limit = getattr(question, name)
            if limit is not None and limit <= 0:
                self.report(f"{path}.{name}", f"{name} must be a positive number, not {limit}")
        if question.max_rows is not None and question.kind != Kind.REPEAT_GROUP:
            self.report(f"{path}.max_rows", "max_rows only applies to repeat groups")
        if not spec.answered and question.required:
            self.report(
                f"{path}.required",
                f"a {question.kind} question has no answer and cannot be required",
            )

    def check_choices(self, question: QuestionDef, path: str) -> None:
        minimum = kind_spec(question.kind).min_choices
        if minimum is None:
            if question.choices:
                self.report(f"{path}.choices", f"a {question.kind} question cannot have choices")
            return
        if len(question.choices) < minimum:
            needed = "at least one choice" if minimum == 1 else f"at least {minimum} choices"
            self.report(f"{path}.choices", f"a {question.kind} question needs {needed}")
        first_path: dict[str, str] = {}
        for index, choice in enumerate(question.choices):
            choice_path = f"{path}.choices[{index}]"
            if not choice.value.strip():
                self.report(f"{choice_path}.value", "a choice needs a value")
            elif choice.value in first_path:
                self.report(
                    f"{choice_path}.value",
                    f"choice value '{choice.value}' is already used by {first_path[choice.value]}",
                )
            else:
                first_path[choice.value] = choice_path

    def check_bounds(self, question: QuestionDef, path: str) -> None:
        bounds = {"min_value": question.min_value, "max_value": question.max_value}
        given = {name: value for name, value in bounds.items() if value is not None}
        if not given:
            return
        if not kind_spec(question.kind).numeric:
            self.report(
                f"{path}.{next(iter(given))}",
                "min_value and max_value only apply to integer, decimal and rating questions",
            )
            return
        numbers = {name: self.number(value, f"{path}.{name}") for name, value in given.items()}
        low, high = numbers.get("min_value"), numbers.get("max_value")
        if low is not None and high is not None and low > high:
            self.report(
                f"{path}.min_value",
                f"min_value {_format(low)} is greater than max_value {_format(high)}",
            )
        if question.kind == Kind.RATING:
            for name, number in numbers.items():
                if number is not None and not RATING_MIN <= number <= RATING_MAX:
                    self.report(
                        f"{path}.{name}",
                        f"a rating runs from 0 to 10; {name} {_format(number)} is outside",
                    )

    def check_children(
        self, question: QuestionDef, path: str, *, outer: Mapping[str, QuestionDef]
    ) -> None:
        """A repeat group's row: its children may use ``outer`` and their earlier siblings."""
        if question.kind != Kind.REPEAT_GROUP:
            if question.children:
                self.report(f"{path}.children", "only repeat groups have child questions")
            return
        if not question.children:
            self.report(f"{path}.children", "a repeat group needs at least one question")
        siblings: dict[str, QuestionDef] = {}
        # Children of other groups live in other rows; this group's own later children are
        # simply "later", which all_keys already tells.
        other_rows = self.child_keys - {child.key for child in question.children}
        for index, child in enumerate(question.children):
            child_path = f"{path}.children[{index}]"
            self.check_question(child, child_path)
            child_spec = kind_spec(child.kind)
            if child_spec is not None and not child_spec.in_repeat_row:
                self.report(
                    f"{child_path}.kind",
                    f"a repeat group row cannot contain a {child.kind} question",
                )
            if child.children:
                self.report(
                    f"{child_path}.children", "questions inside a repeat group have no children"
                )
            self.check_condition(
                child.show_if,
                f"{child_path}.show_if",
                earlier=ChainMap(siblings, outer),
                self_key=child.key,
                row_only_keys=other_rows,
            )
            siblings.setdefault(child.key, child)

    # --- scales -------------------------------------------------------------------------

    def check_scale(self, scale: ScaleDef, path: str) -> None:
        self.check_key(scale.key, f"{path}.key", "scale")
        self.check_scale_items(scale, path)
        if scale.method not in ScaleMethod.ALL:
            self.report(
                f"{path}.method",
                f"unknown method '{scale.method}'; use one of {', '.join(ScaleMethod.ALL)}",
            )
        if scale.items and not 0 <= scale.max_missing < len(scale.items):
            self.report(
                f"{path}.max_missing",
                f"max_missing must be from 0 to {len(scale.items) - 1} (fewer than the "
                f"{len(scale.items)} items), not {scale.max_missing}",
            )
        if scale.higher_is not in Direction.ALL:
            self.report(
                f"{path}.higher_is",
                f"unknown direction '{scale.higher_is}'; use one of {', '.join(Direction.ALL)}",
            )
        self.check_instrument_reference(scale.instrument, f"{path}.instrument")
        low = self.number(scale.min_score, f"{path}.min_score")
        high = self.number(scale.max_score, f"{path}.max_score")
        if low is not None and high is not None and low >= high:
            self.report(
                f"{path}.max_score",
                f"min_score {_format(low)} must be below max_score {_format(high)}",
            )
        self.check_bands(scale, path, low, high)

    def check_scale_items(self, scale: ScaleDef, path: str) -> None:
        if not scale.items:
            self.report(f"{path}.items", "a scale needs at least one item")
        seen: set[str] = set()
        for index, key in enumerate(scale.items):
            item_path = f"{path}.items[{index}]"
            if key in seen:
                self.report(item_path, f"item '{key}' is listed twice")
                continue
            seen.add(key)
            question = self.top_level.get(key)
            if question is not None:
                problem = _unscorable_reason(question)
            elif key in self.child_keys:
                problem = f"question '{key}' is inside a repeat group and cannot be scored"
            else:
                problem = f"unknown question '{key}'"
            if problem:
                self.report(item_path, problem)

    def check_bands(
        self, scale: ScaleDef, path: str, low: Decimal | None, high: Decimal | None
    ) -> None:
        if not scale.bands:
            self.report(f"{path}.bands", "a scale needs at least one band")
            return
        bounds: list[tuple[Decimal, Decimal] | None] = []
        for index, band in enumerate(scale.bands):
            band_path = f"{path}.bands[{index}]"
            lower = self.number(band.lower, f"{band_path}.lower")
            upper = self.number(band.upper, f"{band_path}.upper")
            if band.severity not in Severity.ALL:
                self.report(
                    f"{band_path}.severity",
                    f"unknown severity '{band.severity}'; use one of {', '.join(Severity.ALL)}",
                )
            if lower is None or upper is None:
                bounds.append(None)
                continue
            bounds.append((lower, upper))
            # The last band includes its upper bound, so it alone may hold a single score
            # (SURE: 0-3 is decisional conflict, exactly 4 is not).
            is_last = index == len(scale.bands) - 1
            if lower > upper or (lower == upper and not is_last):
                self.report(
                    band_path,
                    f"the band runs from {_format(lower)} to {_format(upper)}; "
                    "its lower bound must be below its upper bound",
                )
        first, last = bounds[0], bounds[-1]
        if first is not None and low is not None and first[0] != low:
            self.report(
                f"{path}.bands[0]",
                f"the first band starts at {_format(first[0])} "
                f"but the scale starts at {_format(low)}",
            )
        if last is not None and high is not None and last[1] != high:
            self.report(
                f"{path}.bands[{len(bounds) - 1}]",
                f"the last band ends at {_format(last[1])} but the scale ends at {_format(high)}",
            )
        for index in range(1, len(bounds)):
            previous, current = bounds[index - 1], bounds[index]
            if previous is None or current is None:
                continue
            end, start = _format(previous[1]), _format(current[0])
            if previous[1] < current[0]:
                self.report(
                    f"{path}.bands[{index}]",
                    f"gap between bands: bands[{index - 1}] ends at {end} and bands[{index}] "
                    f"starts at {start}, so scores from {end} to {start} have no band",
                )
            elif previous[1] > current[0]:
                self.report(
                    f"{path}.bands[{index}]",
                    f"overlap between bands: bands[{index - 1}] ends at {end} but "
                    f"bands[{index}] already starts at {start}",
                )

    def number(self, value: Any, path: str) -> Decimal | None:
        """``value`` as a finite Decimal; otherwise report it and return None."""
        number = conditions.as_number(value)
        if number is None:
            self.report(path, f"must be a finite number, not {value!s}")
        return number


def _unscorable_reason(question: QuestionDef) -> str | None:
    """Why a scale cannot score ``question``, or None when it can."""
    if question.kind in Kind.NUMERIC or question.kind == Kind.YES_NO:
        return None
    if question.kind in SCORABLE_CHOICE_KINDS:
        unscored = [choice.value for choice in question.choices if choice.score is None]
        if unscored:
            return f"choice '{unscored[0]}' of question '{question.key}' has no score"
        return None
    return f"question '{question.key}' ({question.kind}) cannot be scored"


def _format(number: Decimal) -> str:
    """A bound as an author would write it: 5, 2.5 (not 5.00 or 1E+1)."""
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


# --- translations ---------------------------------------------------------------------------


def _translation_problems(definition: VersionDef, languages: Sequence[str]) -> list[Problem]:
    """Required text must exist in every language; optional text in all of them or none."""
    problems: list[Problem] = []

    def required(text: Text, path: str) -> None:
        missing = [language for language in languages if not _has_text(text, language)]
        if missing:
            problems.append(Problem(path, _missing_message(missing)))

    def optional(text: Text, path: str) -> None:
        missing = [language for language in languages if not _has_text(text, language)]
        if missing and len(missing) < len(languages):
            problems.append(Problem(path, _missing_message(missing)))

    def question_texts(question: QuestionDef, path: str) -> None:
        required(question.text, f"{path}.text")
        optional(question.help, f"{path}.help")
        for index, choice in enumerate(question.choices):
            required(choice.label, f"{path}.choices[{index}].label")

    if not languages:
        return problems
    required(definition.title, "title")
    optional(definition.description, "description")
    for step_index, step in enumerate(definition.steps):
        path = f"steps[{step_index}]"
        required(step.title, f"{path}.title")
        optional(step.intro, f"{path}.intro")
        for question_index, question in enumerate(step.questions):
            question_path = f"{path}.questions[{question_index}]"
            question_texts(question, question_path)
            for child_index, child in enumerate(question.children):
                question_texts(child, f"{question_path}.children[{child_index}]")
    for scale_index, scale in enumerate(definition.scales):
        path = f"scales[{scale_index}]"
        required(scale.name, f"{path}.name")
        for band_index, band in enumerate(scale.bands):
            required(band.label, f"{path}.bands[{band_index}].label")
    return problems


def _has_text(text: Text | None, language: str) -> bool:
    value = text.get(language) if isinstance(text, Mapping) else None
    return isinstance(value, str) and bool(value.strip())


def _missing_message(languages: Sequence[str]) -> str:
    if len(languages) == 1:
        return f"missing {languages[0]} translation"
    return f"missing {', '.join(languages[:-1])} and {languages[-1]} translations"

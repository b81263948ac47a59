"""The shipped therapy content files: where they are, how they are read, and every check
an entry must pass before ``services.therapies.therapies_load`` writes anything.

Reads only (the demo questionnaire's definition, the therapy slugs for rule conditions):
the admin's rule form and the loader share ``rule_condition_problems`` and
``therapy_content_problems``, so a condition refused in one is refused in the other.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from questionnaires.engine import weighing as engine
from questionnaires.engine.conditions import validate
from questionnaires.engine.definition import Problem, VersionDef
from questionnaires.i18n import text_columns
from questionnaires.interop import sdm_json
from questionnaires.models import (
    INDICATION_TEXT_FIELDS,
    STATUS_QUO_SLUG,
    Certainty,
    Disease,
    RegulatoryStatus,
    RuleEffect,
    SeverityGate,
    Therapy,
    TherapyFamily,
)
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.weighing import derived_questions

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
THERAPY_DIR = CONTENT_DIR / "therapies"
DEMO_DEFINITION_PATH = CONTENT_DIR / "questionnaires" / "treatment-discussion.json"
THERAPIES_FORMAT = "sdm-therapies"
RULES_FORMAT = "sdm-rules"
SUPPORTED_VERSION = 1
DEFAULT_REVIEW_DAYS = 365


# --- reading ------------------------------------------------------------------------------


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise ServiceRefused([f"{path}: file not found"]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ServiceRefused([f"{path}: not valid JSON ({error})"]) from None


def content_files(path: Path | None) -> tuple[Path, Path]:
    base = THERAPY_DIR if path is None else Path(path)
    if base.is_dir():
        return base / "therapies.json", base / "rules.json"
    return base, base.with_name("rules.json")


def entry_hash(entry: Any) -> str:
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def text_of(raw: Any) -> dict[str, str]:
    """A translated text: {"en": …, "zh-hans": …}; a bare string counts as English."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"en": raw} if raw else {}
    if isinstance(raw, Mapping):
        return {str(lang): str(value) for lang, value in raw.items() if value}
    return {}


def lines_of(raw: Any) -> dict[str, str]:
    """A list of translated items → {language: one item per line}."""
    found: dict[str, list[str]] = {}
    for item in raw or []:
        for language, value in text_of(item).items():
            found.setdefault(language, []).append(" ".join(value.split()))
    return {language: "\n".join(items) for language, items in found.items()}


def columns_of(field_name: str, text: Mapping[str, str]) -> dict[str, str]:
    return text_columns(field_name, text, empty="")


def date_of(raw: Any) -> datetime.date | None:
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def number_of(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str | float):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# --- checking -----------------------------------------------------------------------------


class _Checker:
    """Collects every problem in the two documents before anything is written."""

    def __init__(self, definition: VersionDef | None) -> None:
        self.definition = definition
        self.problems: list[Problem] = []
        # Indication scope conditions, checked with the rule conditions (same language).
        self.scopes: list[tuple[Any, str]] = []

    def report(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def code(self, path: str, value: Any, allowed: Iterable[str], what: str) -> None:
        allowed = tuple(allowed)
        if value not in allowed:
            self.report(path, f"unknown {what} {value!r}; use one of {', '.join(allowed)}")

    def document(self, doc: Any, fmt: str, path: str) -> bool:
        if not isinstance(doc, Mapping):
            self.report(path, "the file must hold a JSON object")
            return False
        if doc.get("format") != fmt:
            self.report(f"{path}.format", f"expected '{fmt}', found {doc.get('format')!r}")
            return False
        if doc.get("format_version") != SUPPORTED_VERSION:
            self.report(
                f"{path}.format_version",
                f"version {doc.get('format_version')!r} is not supported "
                f"(this code reads {SUPPORTED_VERSION})",
            )
            return False
        return True

    def therapies(self, doc: Mapping[str, Any]) -> None:
        criteria = doc.get("criteria") or []
        keys = []
        for index, criterion in enumerate(criteria):
            path = f"criteria[{index}]"
            key = criterion.get("key") if isinstance(criterion, Mapping) else None
            if not isinstance(key, str) or not key:
                self.report(path, "a criterion needs a key")
                continue
            keys.append(key)
            self.code(f"{path}.better", criterion.get("better"), engine.Better.ALL, "direction")
            if not text_of(criterion.get("name")).get("en"):
                self.report(f"{path}.name", "a criterion needs an English name")
        self.criterion_keys = set(keys) or set(engine.CriterionKey.ALL)
        if len(set(keys)) != len(keys):
            self.report("criteria", "criterion keys must be unique")

        slugs = []
        for index, entry in enumerate(doc.get("therapies") or []):
            path = f"therapies[{index}]"
            if not isinstance(entry, Mapping):
                self.report(path, "a therapy must be an object")
                continue
            slug = entry.get("slug")
            if not isinstance(slug, str) or not slug:
                self.report(path, "a therapy needs a slug")
                continue
            slugs.append(slug)
            self.therapy(entry, f"therapies[{slug}]")
        if len(set(slugs)) != len(slugs):
            self.report("therapies", "therapy slugs must be unique")
        self.slugs = set(slugs)
        status_quo = next(
            (e for e in doc.get("therapies") or [] if e.get("slug") == STATUS_QUO_SLUG), None
        )
        if status_quo is None:
            self.report("therapies", f"the status-quo therapy '{STATUS_QUO_SLUG}' is missing")
        else:
            missing = [d for d in Disease.values if d not in (status_quo.get("indications") or {})]
            if missing:
                self.report(
                    f"therapies[{STATUS_QUO_SLUG}].indications",
                    f"'no change' must be an option for every condition; missing: "
                    f"{', '.join(missing)}",
                )

    def therapy(self, entry: Mapping[str, Any], path: str) -> None:
        slug = entry["slug"]
        self.code(f"{path}.family", entry.get("family"), TherapyFamily.values, "family")
        if (entry.get("family") == TherapyFamily.STATUS_QUO) != (slug == STATUS_QUO_SLUG):
            self.report(f"{path}.family", f"only '{STATUS_QUO_SLUG}' has the family status_quo")
        if not text_of(entry.get("name")).get("en"):
            self.report(f"{path}.name", "a therapy needs an English name")
        routes = entry.get("routes") or []
        for route in routes:
            self.code(f"{path}.routes", route, engine.Route.ALL, "route")
        if entry.get("administration"):
            self.code(
                f"{path}.administration",
                entry["administration"],
                engine.Administration.ALL,
                "administration",
            )
        self.onset(entry.get("onset_weeks"), f"{path}.onset_weeks")
        for index, reference in enumerate(entry.get("references") or []):
            self.reference(reference, f"{path}.references[{index}]")
        indications = entry.get("indications") or {}
        if not isinstance(indications, Mapping):
            self.report(f"{path}.indications", "indications must be an object by condition")
            return
        for disease, indication in indications.items():
            self.indication(indication, f"{path}.indications[{disease}]", disease)

    def onset(self, onset: Any, path: str) -> None:
        if onset is not None and (
            not isinstance(onset, list)
            or len(onset) != 2
            or not all(isinstance(week, int) and week >= 0 for week in onset)
            or onset[0] > onset[1]
        ):
            self.report(path, "give [from, to] whole weeks, or null")

    def reference(self, reference: Any, path: str) -> None:
        if not isinstance(reference, Mapping) or not reference.get("citation"):
            self.report(path, "a reference needs a citation")
            return
        checked, review = date_of(reference.get("checked")), date_of(reference.get("next_review"))
        if checked is None:
            self.report(f"{path}.checked", "give the date checked as YYYY-MM-DD")
        if reference.get("next_review") is not None and review is None:
            self.report(f"{path}.next_review", "give the next review as YYYY-MM-DD")
        if checked and review and review < checked:
            self.report(f"{path}.next_review", "the next review is before the check")

    def indication(self, indication: Any, path: str, disease: str) -> None:
        self.code(path, disease, Disease.values, "condition")
        if not isinstance(indication, Mapping):
            self.report(path, "an indication must be an object")
            return
        self.code(f"{path}.status", indication.get("status"), RegulatoryStatus.values, "status")
        self.code(f"{path}.certainty", indication.get("certainty"), Certainty.values, "certainty")
        self.code(
            f"{path}.severity",
            indication.get("severity", SeverityGate.ANY),
            SeverityGate.values,
            "severity",
        )
        self.onset(indication.get("onset_weeks"), f"{path}.onset_weeks")
        values = indication.get("values") or {}
        if not isinstance(values, Mapping):
            self.report(f"{path}.values", "values must be an object: criterion → number")
            values = {}
        for key, value in values.items():
            if key not in self.criterion_keys:
                self.report(f"{path}.values.{key}", f"unknown criterion '{key}'")
            elif number_of(value) is None:
                self.report(f"{path}.values.{key}", f"{value!r} is not a number")
        for key in indication.get("uncertain") or []:
            if key not in self.criterion_keys:
                self.report(f"{path}.uncertain", f"unknown criterion '{key}'")
        for index, outcome in enumerate(indication.get("outcomes") or []):
            self.outcome(outcome, f"{path}.outcomes[{index}]")
        if indication.get("role"):
            self.code(f"{path}.role", indication["role"], engine.Role.ALL, "role")
        self.indication_text(indication.get("text"), f"{path}.text")
        self.indication_scope(indication.get("scope"), f"{path}.scope")

    def indication_text(self, text: Any, path: str) -> None:
        if text is None:
            return
        if not isinstance(text, Mapping):
            self.report(path, "text must be an object: field → {language: text}")
            return
        for name, value in text.items():
            self.code(f"{path}.{name}", name, INDICATION_TEXT_FIELDS, "text field")
            if not text_of(value).get("en"):
                self.report(f"{path}.{name}", "a text for a condition needs English")

    def indication_scope(self, scope: Any, path: str) -> None:
        if scope is None:
            return
        if not isinstance(scope, Mapping) or "condition" not in scope:
            self.report(path, 'a scope is an object with a "condition", a "note" and evidence')
            return
        if not text_of(scope.get("note")).get("en"):
            self.report(f"{path}.note", "a scope needs an English note saying who it is for")
        self.scopes.append((scope.get("condition"), f"{path}.condition"))

    def outcome(self, outcome: Any, path: str) -> None:
        if not isinstance(outcome, Mapping):
            self.report(path, "an outcome must be an object")
            return
        if not text_of(outcome.get("text")).get("en"):
            self.report(f"{path}.text", "an outcome needs an English text")
        per, count = outcome.get("per"), number_of(outcome.get("count"))
        if per not in (100, 1000):
            self.report(f"{path}.per", "give natural frequencies per 100 or per 1000")
        elif count is None or count < 0 or count > per:
            self.report(f"{path}.count", f"the count must be a number from 0 to {per}")
        elif count != count.quantize(Decimal("0.1")):
            self.report(f"{path}.count", "at most one decimal place")
        if not text_of(outcome.get("horizon")).get("en"):
            self.report(f"{path}.horizon", "an outcome needs a time horizon")
        self.code(f"{path}.certainty", outcome.get("certainty"), Certainty.values, "certainty")

    def rules(self, doc: Mapping[str, Any]) -> None:
        scope = None
        if self.definition is not None:
            scope = condition_scope(self.definition, therapy_slugs=sorted(self.slugs))
        ids = []
        for index, rule in enumerate(doc.get("rules") or []):
            path = f"rules[{index}]"
            if not isinstance(rule, Mapping) or not rule.get("id"):
                self.report(path, "a rule needs an id")
                continue
            ids.append(rule["id"])
            path = f"rules[{rule['id']}]"
            self.code(f"{path}.effect", rule.get("effect"), RuleEffect.values, "effect")
            applies = rule.get("applies_to") or {}
            named = [
                *(applies.get("therapies") or []),
                *(applies.get("families") or []),
                *(applies.get("target_classes") or []),
            ]
            if not named:
                self.report(f"{path}.applies_to", "name at least one therapy, family or class")
            for slug in applies.get("therapies") or []:
                if slug not in self.slugs:
                    self.report(f"{path}.applies_to.therapies", f"unknown therapy '{slug}'")
            for family in applies.get("families") or []:
                self.code(f"{path}.applies_to.families", family, TherapyFamily.values, "family")
            if rule.get("effect") == RuleEffect.ADJUST:
                if rule.get("criterion") not in self.criterion_keys:
                    self.report(f"{path}.criterion", "an adjusting rule names a known criterion")
                amounts = [rule.get("multiplier"), rule.get("delta")]
                if sum(amount is not None for amount in amounts) != 1 or not all(
                    number_of(amount) is not None for amount in amounts if amount is not None
                ):
                    self.report(path, "an adjusting rule has exactly one of multiplier, delta")
            for name in ("clinician_message", "patient_message"):
                if not text_of(rule.get(name)).get("en"):
                    self.report(f"{path}.{name}", "an English message is needed")
            if scope is not None:
                self.problems.extend(
                    _condition_problems(rule.get("condition"), f"{path}.condition", scope)
                )
        if scope is not None:
            for condition, path in self.scopes:
                self.problems.extend(_condition_problems(condition, path, scope))
        if len(set(ids)) != len(ids):
            self.report("rules", "rule ids must be unique")


@dataclass(frozen=True)
class ConditionScope:
    """What a rule condition may test: every top-level question and the derived keys."""

    questions: Mapping[str, Any]
    row_only: frozenset[str]


def condition_scope(definition: VersionDef, *, therapy_slugs: Iterable[str]) -> ConditionScope:
    row_only = frozenset(
        child.key for _, _, question in definition.iter_questions() for child in question.children
    )
    questions = {
        key: question for key, question in definition.question_map().items() if key not in row_only
    }
    questions.update(derived_questions(definition, therapy_slugs=sorted(therapy_slugs)))
    return ConditionScope(questions, row_only)


def _condition_problems(condition: Any, path: str, scope: ConditionScope) -> list[Problem]:
    # Rules run on the finished answers, so every question counts as "earlier".
    return validate(
        condition,
        path=path,
        earlier=scope.questions,
        all_keys=set(scope.questions) | scope.row_only,
        row_only_keys=scope.row_only,
    )


def rule_condition_problems(
    *, condition: Any, definition: VersionDef | None = None
) -> list[Problem]:
    """Problems of one rule condition against the demo questionnaire (the admin's check)."""
    definition = definition or demo_definition()
    if definition is None:
        return []
    slugs = Therapy.objects.values_list("slug", flat=True)
    return _condition_problems(
        condition, "condition", condition_scope(definition, therapy_slugs=slugs)
    )


def therapy_content_problems(
    *, therapies_doc: Any, rules_doc: Any, definition: VersionDef | None
) -> list[Problem]:
    """Every problem in the two documents (empty when they can be loaded)."""
    checker = _Checker(definition)
    if checker.document(therapies_doc, THERAPIES_FORMAT, "therapies.json"):
        checker.therapies(therapies_doc)
    else:
        checker.slugs, checker.criterion_keys = set(), set(engine.CriterionKey.ALL)
    if checker.document(rules_doc, RULES_FORMAT, "rules.json"):
        checker.rules(rules_doc)
    return checker.problems


def demo_definition() -> VersionDef | None:
    """The shipped demo questionnaire, whose questions rule conditions are checked against."""

    if not DEMO_DEFINITION_PATH.exists():
        return None
    return sdm_json.load_bytes(DEMO_DEFINITION_PATH.read_bytes())

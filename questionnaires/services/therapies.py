"""Therapy profiles: loading the shipped content files, and keeping revisions honest.

``therapies_load`` reads ``content/therapies/therapies.json`` and ``rules.json`` (formats
``sdm-therapies`` and ``sdm-rules``, described in ``docs/simulate.md``), checks every entry
(codes, numbers, criteria, and every rule condition against the demo questionnaire's
question kinds) and only then writes, in one transaction.

It is idempotent and leaves admin edits alone: each row remembers the hash of the file
entry it was last loaded from (``source_hash``). An entry whose hash has not changed is
skipped, so running ``load_demo`` at every start never reverts what a content admin
changed in the admin; an entry that did change in the file is written again, row by row,
so django-simple-history records exactly what changed, and the therapy's ``revision``
goes up by one. ``force=True`` rewrites every entry whose content differs from the row.

Therapies, rules and evidence that are not in the files are left as they are: the files
are the shipped content, the admin may add more.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation

from questionnaires.engine import weighing as engine
from questionnaires.engine.conditions import validate
from questionnaires.engine.definition import Problem, VersionDef
from questionnaires.i18n import language_codes, text_columns, translated_column
from questionnaires.interop import sdm_json
from questionnaires.models import (
    INDICATION_TEXT_FIELDS,
    STATUS_QUO_SLUG,
    Certainty,
    Criterion,
    Disease,
    Evidence,
    Indication,
    OutcomeEstimate,
    RegulatoryStatus,
    RuleEffect,
    RuleEvidence,
    SeverityGate,
    Therapy,
    TherapyEvidence,
    TherapyFamily,
    TherapyRule,
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


@dataclass
class LoadReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return "; ".join(
            f"{kind}: {self.created[kind]} new, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in kinds
        )


# --- reading ------------------------------------------------------------------------------


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise ServiceRefused([f"{path}: file not found"]) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ServiceRefused([f"{path}: not valid JSON ({error})"]) from None


def _files(path: Path | None) -> tuple[Path, Path]:
    base = THERAPY_DIR if path is None else Path(path)
    if base.is_dir():
        return base / "therapies.json", base / "rules.json"
    return base, base.with_name("rules.json")


def _entry_hash(entry: Any) -> str:
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(raw: Any) -> dict[str, str]:
    """A translated text: {"en": …, "zh-hans": …}; a bare string counts as English."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        return {"en": raw} if raw else {}
    if isinstance(raw, Mapping):
        return {str(lang): str(value) for lang, value in raw.items() if value}
    return {}


def _lines(raw: Any) -> dict[str, str]:
    """A list of translated items → {language: one item per line}."""
    found: dict[str, list[str]] = {}
    for item in raw or []:
        for language, value in _text(item).items():
            found.setdefault(language, []).append(" ".join(value.split()))
    return {language: "\n".join(items) for language, items in found.items()}


def _columns(field_name: str, text: Mapping[str, str]) -> dict[str, str]:
    return text_columns(field_name, text, empty="")


def _date(raw: Any) -> datetime.date | None:
    if isinstance(raw, str):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _number(raw: Any) -> Decimal | None:
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
            if not _text(criterion.get("name")).get("en"):
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
        if not _text(entry.get("name")).get("en"):
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
        checked, review = _date(reference.get("checked")), _date(reference.get("next_review"))
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
            elif _number(value) is None:
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
            if not _text(value).get("en"):
                self.report(f"{path}.{name}", "a text for a condition needs English")

    def indication_scope(self, scope: Any, path: str) -> None:
        if scope is None:
            return
        if not isinstance(scope, Mapping) or "condition" not in scope:
            self.report(path, 'a scope is an object with a "condition", a "note" and evidence')
            return
        if not _text(scope.get("note")).get("en"):
            self.report(f"{path}.note", "a scope needs an English note saying who it is for")
        self.scopes.append((scope.get("condition"), f"{path}.condition"))

    def outcome(self, outcome: Any, path: str) -> None:
        if not isinstance(outcome, Mapping):
            self.report(path, "an outcome must be an object")
            return
        if not _text(outcome.get("text")).get("en"):
            self.report(f"{path}.text", "an outcome needs an English text")
        per, count = outcome.get("per"), _number(outcome.get("count"))
        if per not in (100, 1000):
            self.report(f"{path}.per", "give natural frequencies per 100 or per 1000")
        elif count is None or count < 0 or count > per:
            self.report(f"{path}.count", f"the count must be a number from 0 to {per}")
        elif count != count.quantize(Decimal("0.1")):
            self.report(f"{path}.count", "at most one decimal place")
        if not _text(outcome.get("horizon")).get("en"):
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
                    _number(amount) is not None for amount in amounts if amount is not None
                ):
                    self.report(path, "an adjusting rule has exactly one of multiplier, delta")
            for name in ("clinician_message", "patient_message"):
                if not _text(rule.get(name)).get("en"):
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


# --- writing ------------------------------------------------------------------------------


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set ``values`` on ``row``; whether anything differed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _save(row: Any) -> None:
    row.full_clean()
    row.save()


def therapy_revision_bump(*, therapy: Therapy) -> Therapy:
    """Record that the profile changed (the admin and the loader call this)."""
    therapy.refresh_from_db(fields=["revision"])
    therapy.revision += 1
    therapy.save(update_fields=["revision"])
    return therapy


def rule_revision_bump(*, rule: TherapyRule) -> TherapyRule:
    rule.refresh_from_db(fields=["revision"])
    rule.revision += 1
    rule.save(update_fields=["revision"])
    return rule


_OUTCOME_FIELDS = (
    "order",
    "count",
    "per",
    "certainty",
    "evidence_id",
    *(
        translated_column(name, lang)
        for name in ("text", "horizon", "population")
        for lang in language_codes()
    ),
)


class _Writer:
    def __init__(self, *, force: bool, reviewed: datetime.date | None) -> None:
        self.force = force
        self.reviewed = reviewed
        self.report = LoadReport()
        self.evidence: dict[str, Evidence] = {}

    # evidence ---------------------------------------------------------------------------

    def collect_evidence(self, therapies: list[Mapping[str, Any]]) -> None:
        """One row per source: the same address cited by several profiles is merged, the
        latest check winning, so loading is stable whatever order the file lists them in."""
        merged: dict[str, dict[str, Any]] = {}
        for entry in therapies:
            for reference in entry.get("references") or []:
                key = reference.get("url") or reference["citation"]
                current = merged.get(key)
                if current is None or (reference.get("checked") or "") > (
                    current.get("checked") or ""
                ):
                    merged[key] = dict(reference)
        for key in sorted(merged):
            self.evidence[key] = self.upsert_evidence(merged[key])

    def upsert_evidence(self, reference: Mapping[str, Any]) -> Evidence:
        checked = _date(reference.get("checked")) or self.reviewed or datetime.date.today()
        review = _date(reference.get("next_review")) or checked + datetime.timedelta(
            days=DEFAULT_REVIEW_DAYS
        )
        url = reference.get("url") or ""
        values = {
            "citation": reference["citation"],
            "url": url,
            "checked": checked,
            "next_review": review,
        }
        if url:
            row = Evidence.objects.filter(url=url).first()
        else:
            row = Evidence.objects.filter(url="", citation=reference["citation"]).first()
        return self.write("evidence", row, Evidence, values, _entry_hash(reference))

    def evidence_for(self, source: Any) -> Evidence | None:
        if isinstance(source, Mapping):
            source = source.get("url") or source.get("citation")
        if not isinstance(source, str) or not source:
            return None
        found = self.evidence.get(source)
        if found is None:
            found = Evidence.objects.filter(url=source).first()
        return found

    def write(self, kind: str, row, model, values: Mapping[str, Any], source_hash: str):
        """Create or update one row from its file entry; skipped when the entry is unchanged
        since the last load (so admin edits stay) unless forced."""
        if row is None:
            row = model(**values, source_hash=source_hash)
            _save(row)
            self.report.created[kind] += 1
            return row
        if not self.force and row.source_hash == source_hash:
            self.report.unchanged[kind] += 1
            return row
        changed = _assign(row, values)
        if changed or row.source_hash != source_hash:
            row.source_hash = source_hash
            _save(row)
        if changed:
            self.report.updated[kind] += 1
        else:
            self.report.unchanged[kind] += 1
        return row

    # criteria ---------------------------------------------------------------------------

    def criteria(self, criteria: list[Mapping[str, Any]]) -> None:
        for order, entry in enumerate(criteria):
            values = {
                "order": order,
                "better": entry["better"],
                **_columns("name", _text(entry.get("name"))),
                **_columns("description", _text(entry.get("description"))),
            }
            row = Criterion.objects.filter(key=entry["key"]).first()
            values = {"key": entry["key"], **values}
            self.write("criterion", row, Criterion, values, _entry_hash(entry))

    # therapies --------------------------------------------------------------------------

    def therapy(self, entry: Mapping[str, Any]) -> None:
        row = Therapy.objects.filter(slug=entry["slug"]).first()
        source_hash = _entry_hash(entry)
        if row is not None and not self.force and row.source_hash == source_hash:
            self.report.unchanged["therapy"] += 1
            return
        onset = entry.get("onset_weeks") or [None, None]
        values = {
            "slug": entry["slug"],
            "family": entry["family"],
            "target": entry.get("target") or "",
            "target_class": entry.get("target_class") or "",
            "routes": list(entry.get("routes") or []),
            "administration": entry.get("administration") or "",
            "onset_weeks_min": onset[0],
            "onset_weeks_max": onset[1],
            "unverified": "\n".join(entry.get("unverified") or []),
        }
        for name in (
            "name",
            "schedule",
            "what_it_is",
            "how_taken",
            "benefits",
            "downsides",
            "living_with",
            "pregnancy",
        ):
            values.update(_columns(name, _text(entry.get(name))))
        for name in ("common_side_effects", "serious_risks", "monitoring"):
            values.update(_columns(name, _lines(entry.get(name))))

        created = row is None
        if created:
            row = Therapy(**values, source_hash=source_hash)
            _save(row)
            changed = True
        else:
            changed = _assign(row, values)
            row.source_hash = source_hash
            _save(row)
        changed |= self.references(row, entry.get("references") or [])
        changed |= self.indications(row, entry.get("indications") or {})
        if created:
            self.report.created["therapy"] += 1
        elif changed:
            therapy_revision_bump(therapy=row)
            self.report.updated["therapy"] += 1
        else:
            self.report.unchanged["therapy"] += 1

    def references(self, therapy: Therapy, references: list[Mapping[str, Any]]) -> bool:
        wanted = []
        for reference in references:
            evidence = self.evidence_for(reference)
            if evidence is not None and evidence.pk not in wanted:
                wanted.append(evidence.pk)
        current = list(
            therapy.references.order_by("order", "pk").values_list("evidence_id", flat=True)
        )
        if current == wanted:
            return False
        for link in therapy.references.all():
            link.delete()
        for order, evidence_id in enumerate(wanted):
            TherapyEvidence.objects.create(therapy=therapy, evidence_id=evidence_id, order=order)
        return True

    def indications(self, therapy: Therapy, indications: Mapping[str, Any]) -> bool:
        changed = False
        existing = {row.disease: row for row in therapy.indications.all()}
        for disease, entry in indications.items():
            values = {
                "therapy": therapy,
                "disease": disease,
                "status": entry["status"],
                "severity": entry.get("severity") or SeverityGate.ANY,
                "certainty": entry["certainty"],
                "onset_weeks_min": (entry.get("onset_weeks") or [None, None])[0],
                "onset_weeks_max": (entry.get("onset_weeks") or [None, None])[1],
                "values": {
                    key: _number_text(value) for key, value in (entry.get("values") or {}).items()
                },
                "uncertain": list(entry.get("uncertain") or []),
                **_columns("status_note", _text(entry.get("status_note"))),
                "role": entry.get("role") or "",
                "scope": _plain_json(dict(entry.get("scope") or {})),
                "text": {name: _text(value) for name, value in (entry.get("text") or {}).items()},
            }
            row = existing.pop(disease, None)
            if row is None:
                row = Indication(**values)
                _save(row)
                changed = True
            elif _assign(row, values):
                _save(row)
                changed = True
            changed |= self.outcomes(row, entry.get("outcomes") or [])
        for row in existing.values():  # the file no longer lists it for this therapy
            row.delete()
            changed = True
        return changed

    def outcomes(self, indication: Indication, outcomes: list[Mapping[str, Any]]) -> bool:
        wanted = []
        for order, entry in enumerate(outcomes):
            evidence = self.evidence_for(entry.get("source"))
            wanted.append(
                {
                    "order": order,
                    "count": _number(entry["count"]).quantize(Decimal("0.1")),
                    "per": entry["per"],
                    "certainty": entry["certainty"],
                    "evidence_id": evidence.pk if evidence else None,
                    **_columns("text", _text(entry.get("text"))),
                    **_columns("horizon", _text(entry.get("horizon"))),
                    **_columns("population", _text(entry.get("population"))),
                }
            )
        current_rows = list(indication.outcomes.order_by("order", "pk"))
        current = [{name: getattr(row, name) for name in _OUTCOME_FIELDS} for row in current_rows]
        if current == [{name: values[name] for name in _OUTCOME_FIELDS} for values in wanted]:
            return False
        for row in current_rows:
            row.delete()
        for values in wanted:
            _save(OutcomeEstimate(indication=indication, **values))
        return True

    # rules ------------------------------------------------------------------------------

    def rule(self, entry: Mapping[str, Any]) -> None:
        applies = entry.get("applies_to") or {}
        effect = entry["effect"]
        adjusting = effect == RuleEffect.ADJUST
        values = {
            "rule_id": entry["id"],
            # A retired rule stays in the file with "active": false, so a database loaded
            # before keeps it switched off rather than silently active.
            "active": entry.get("active", True) is not False,
            "therapies": list(applies.get("therapies") or []),
            "families": list(applies.get("families") or []),
            "target_classes": list(applies.get("target_classes") or []),
            "condition": _plain_json(entry.get("condition")),
            "effect": effect,
            "criterion": (entry.get("criterion") or "") if adjusting else "",
            "multiplier": _number(entry.get("multiplier")) if adjusting else None,
            "delta": _number(entry.get("delta")) if adjusting else None,
            **_columns("clinician_message", _text(entry.get("clinician_message"))),
            **_columns("patient_message", _text(entry.get("patient_message"))),
        }
        row = TherapyRule.objects.filter(rule_id=entry["id"]).first()
        source_hash = _entry_hash(entry)
        if row is not None and not self.force and row.source_hash == source_hash:
            self.report.unchanged["rule"] += 1
            return
        created = row is None
        if created:
            row = TherapyRule(**values, source_hash=source_hash)
            _save(row)
            changed = True
        else:
            changed = _assign_decimal_aware(row, values)
            row.source_hash = source_hash
            _save(row)
        changed |= self.rule_evidence(row, entry.get("evidence") or [])
        if created:
            self.report.created["rule"] += 1
        elif changed:
            rule_revision_bump(rule=row)
            self.report.updated["rule"] += 1
        else:
            self.report.unchanged["rule"] += 1

    def rule_evidence(self, rule: TherapyRule, sources: list[Any]) -> bool:
        wanted = []
        for source in sources:
            evidence = self.evidence_for(source)
            if evidence is None and isinstance(source, str) and source:
                evidence = self.upsert_evidence({"citation": source, "url": source})
                self.evidence[source] = evidence
            if evidence is not None and evidence.pk not in wanted:
                wanted.append(evidence.pk)
        current = list(rule.evidence_links.order_by("pk").values_list("evidence_id", flat=True))
        if current == wanted:
            return False
        for link in rule.evidence_links.all():
            link.delete()
        for evidence_id in wanted:
            RuleEvidence.objects.create(rule=rule, evidence_id=evidence_id)
        return True


def _plain_json(value: Any) -> Any:
    """A condition read with Decimal numbers, as JSON a JSONField stores (a threshold such
    as a JC virus index of 1.5 becomes the float 1.5, exact enough for a comparison)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {key: _plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(item) for item in value]
    return value


def _assign_decimal_aware(row: Any, values: Mapping[str, Any]) -> bool:
    """Like ``_assign``, but 1.5 and 1.5000 (a DecimalField read back) count as equal."""
    changed = False
    for name, value in values.items():
        current = getattr(row, name)
        if isinstance(value, Decimal) and isinstance(current, Decimal) and value == current:
            continue
        if current != value:
            setattr(row, name, value)
            changed = True
    return changed


def _number_text(value: Any) -> str:
    number = _number(value)
    normal = number.normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    return format(normal, "f")


@transaction.atomic
def therapies_load(
    *, path: Path | str | None = None, force: bool = False, definition: VersionDef | None = None
) -> LoadReport:
    """Load therapy profiles and rules from the content files (see the module docstring).

    ``path`` is the folder holding ``therapies.json`` and ``rules.json`` (or the path of
    ``therapies.json``); by default the shipped content. Rule conditions are checked
    against ``definition``, by default the shipped demo questionnaire. Raises
    ServiceRefused with every problem when the files cannot be loaded; nothing is written
    then.
    """
    therapies_path, rules_path = _files(Path(path) if path is not None else None)
    therapies_doc = _read(therapies_path)
    rules_doc = (
        _read(rules_path)
        if rules_path.exists()
        else {
            "format": RULES_FORMAT,
            "format_version": SUPPORTED_VERSION,
            "rules": [],
        }
    )
    if definition is None:
        definition = demo_definition()
    problems = therapy_content_problems(
        therapies_doc=therapies_doc, rules_doc=rules_doc, definition=definition
    )
    if problems:
        raise ServiceRefused(problems)

    writer = _Writer(force=force, reviewed=_date(therapies_doc.get("reviewed")))
    # The default language is active so the untranslated base columns get English.
    with translation.override("en"):
        therapies = list(therapies_doc.get("therapies") or [])
        writer.collect_evidence(therapies)
        writer.criteria(list(therapies_doc.get("criteria") or []))
        for entry in therapies:
            writer.therapy(entry)
        for entry in rules_doc.get("rules") or []:
            writer.rule(entry)
    return writer.report

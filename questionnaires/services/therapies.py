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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation

from questionnaires.engine.definition import VersionDef
from questionnaires.i18n import language_codes, translated_column
from questionnaires.models import (
    Criterion,
    Evidence,
    Indication,
    OutcomeEstimate,
    RuleEffect,
    RuleEvidence,
    SeverityGate,
    Therapy,
    TherapyEvidence,
    TherapyRule,
)
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.therapy_content import (
    DEFAULT_REVIEW_DAYS,
    RULES_FORMAT,
    SUPPORTED_VERSION,
    columns_of,
    content_files,
    date_of,
    demo_definition,
    entry_hash,
    lines_of,
    number_of,
    read_json,
    text_of,
    therapy_content_problems,
)


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
        checked = date_of(reference.get("checked")) or self.reviewed or datetime.date.today()
        review = date_of(reference.get("next_review")) or checked + datetime.timedelta(
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
        return self.write("evidence", row, Evidence, values, entry_hash(reference))

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
                **columns_of("name", text_of(entry.get("name"))),
                **columns_of("description", text_of(entry.get("description"))),
            }
            row = Criterion.objects.filter(key=entry["key"]).first()
            values = {"key": entry["key"], **values}
            self.write("criterion", row, Criterion, values, entry_hash(entry))

    # therapies --------------------------------------------------------------------------

    def therapy(self, entry: Mapping[str, Any]) -> None:
        row = Therapy.objects.filter(slug=entry["slug"]).first()
        source_hash = entry_hash(entry)
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
            values.update(columns_of(name, text_of(entry.get(name))))
        for name in ("common_side_effects", "serious_risks", "monitoring"):
            values.update(columns_of(name, lines_of(entry.get(name))))

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
                **columns_of("status_note", text_of(entry.get("status_note"))),
                "role": entry.get("role") or "",
                "scope": _plain_json(dict(entry.get("scope") or {})),
                "text": {name: text_of(value) for name, value in (entry.get("text") or {}).items()},
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
                    "count": number_of(entry["count"]).quantize(Decimal("0.1")),
                    "per": entry["per"],
                    "certainty": entry["certainty"],
                    "evidence_id": evidence.pk if evidence else None,
                    **columns_of("text", text_of(entry.get("text"))),
                    **columns_of("horizon", text_of(entry.get("horizon"))),
                    **columns_of("population", text_of(entry.get("population"))),
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
            "multiplier": number_of(entry.get("multiplier")) if adjusting else None,
            "delta": number_of(entry.get("delta")) if adjusting else None,
            **columns_of("clinician_message", text_of(entry.get("clinician_message"))),
            **columns_of("patient_message", text_of(entry.get("patient_message"))),
        }
        row = TherapyRule.objects.filter(rule_id=entry["id"]).first()
        source_hash = entry_hash(entry)
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
    number = number_of(value)
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
    therapies_path, rules_path = content_files(Path(path) if path is not None else None)
    therapies_doc = read_json(therapies_path)
    rules_doc = (
        read_json(rules_path)
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

    writer = _Writer(force=force, reviewed=date_of(therapies_doc.get("reviewed")))
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

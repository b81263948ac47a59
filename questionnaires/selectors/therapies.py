"""Therapy profiles as the weighing reads them: fetched once per condition into frozen
dataclasses (``profiles_fetch``), kept per process (``profiles_current``), and rebuilt only
when they changed since this process last read them.

A submit weighs the patient's answers against every therapy profile of the condition.
Reading and building those profiles costs a dozen queries, yet they change only when an
admin or a service (``load_therapies``, "mark reviewed") saves or deletes a row, and
django-simple-history records every such save or delete in the row's history table. So
``profiles_revision`` reads one cheap stamp of those history tables, and the weighing
adapter (``profiles_current``, below) rebuilds its profiles only when the stamp
moves.

Per history table the stamp holds the number of records, the newest id and the newest
date:

- the count moves with every committed save or delete, even when two admins save at once
  and the one with the lower id commits last (on PostgreSQL ids are handed out before
  commit, so the newest id alone would miss that save);
- the newest id and date move too, which also tells apart a rolled-back write from a later
  one with as many rows (SQLite hands the ids of a rolled-back write out again).

What bypasses the ORM's save and delete (``QuerySet.update``, ``bulk_create``, raw SQL,
a data migration) writes no history and so is not seen until the next save or a restart;
nothing in the product writes therapy content that way.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from questionnaires.engine import weighing as engine
from questionnaires.engine.snapshot import shortest_decimal_text
from questionnaires.i18n import lines_of, text_of
from questionnaires.lru import ImmutableLru
from questionnaires.models import (
    INDICATION_TEXT_FIELDS,
    Criterion,
    Evidence,
    Indication,
    OutcomeEstimate,
    RuleEvidence,
    SeverityGate,
    Therapy,
    TherapyEvidence,
    TherapyRule,
)

# Every model whose rows end up in a weighing's profiles (``profiles_fetch`` below).
PROFILE_MODELS = (
    Criterion,
    Evidence,
    Therapy,
    TherapyEvidence,
    Indication,
    OutcomeEstimate,
    TherapyRule,
    RuleEvidence,
)


@functools.lru_cache(maxsize=4)
def _stamp_sql(vendor: str) -> str:
    """One aggregate per history table, all in one round trip (each table is scanned once:
    far cheaper to plan and run than a scalar subquery per figure). Only our models' own
    table and column names go into it, quoted (no outside input).

    Built once per process and database vendor (its quoting): reaching a model's history
    table through ``Model.history`` builds a new manager class on every access
    (django-simple-history's descriptor), 2.5 ms of every submit before this was cached."""
    quote = connection.ops.quote_name
    selects = []
    for position, model in enumerate(PROFILE_MODELS):
        historical = model.history.model
        history_id = quote(historical._meta.get_field("history_id").column)
        history_date = quote(historical._meta.get_field("history_date").column)
        table = quote(historical._meta.db_table)
        selects.append(
            f"SELECT {position}, COUNT(*), MAX({history_id}), MAX({history_date}) "  # noqa: S608
            f"FROM {table}"
        )
    return " UNION ALL ".join(selects)


def profiles_revision() -> Hashable:
    """A value that differs whenever a therapy profile, indication, outcome, source,
    criterion or rule was saved or deleted since it was last read (see the module
    docstring); equal values mean the profiles read then are still current."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(connection.vendor))
        rows = cursor.fetchall()
    # UNION ALL promises no order: each row carries its table's position.
    return tuple(sorted(tuple(row) for row in rows))


# --- profiles: one fetch per disease ------------------------------------------------------


@dataclass(frozen=True)
class TherapyProfile:
    """One therapy as the adapter needs it; ``indication`` fields are for one disease."""

    slug: str
    family: str
    target_class: str
    routes: tuple[str, ...]
    revision: int
    history_id: int | None
    display: Mapping[str, Any]  # patient-facing text and facts, JSON-safe
    # For the disease fetched; None when the therapy has no indication for it.
    status: str | None = None
    certainty: str | None = None
    severity: str = SeverityGate.ANY
    values: Mapping[str, Decimal] = field(default_factory=dict)
    indication_history_id: int | None = None
    administration: str = ""
    role: str = ""  # for the disease fetched
    scope: Mapping[str, Any] = field(default_factory=dict)  # for the disease fetched


@dataclass(frozen=True)
class CriterionInfo:
    key: str
    better: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    history_id: int | None


@dataclass(frozen=True)
class DiseaseProfiles:
    disease: str
    criteria: tuple[CriterionInfo, ...]
    therapies: Mapping[str, TherapyProfile]  # every therapy, by slug
    rules: tuple[engine.Rule, ...]  # active content rules
    rule_versions: Mapping[str, Mapping[str, int | None]]

    def indicated(self) -> list[TherapyProfile]:
        return [profile for profile in self.therapies.values() if profile.status is not None]


class ProfilesMissing(LookupError):
    """The therapy profiles needed to weigh are not in the database (load_therapies)."""


def _latest_history_ids(model, ids: Iterable[int]) -> dict[int, int]:
    historical = model.history.model
    rows = (
        historical.objects.filter(id__in=list(ids))
        .values("id")
        .annotate(latest=Max("history_id"))
        .values_list("id", "latest")
    )
    return dict(rows)


def profiles_fetch(*, disease: str, today: datetime.date | None = None) -> DiseaseProfiles:
    """Criteria, every therapy (with its indication for ``disease``) and the active rules."""
    today = today or timezone.localdate()
    criteria_rows = list(Criterion.objects.order_by("order", "key"))
    therapy_rows = list(Therapy.objects.order_by("slug").prefetch_related("references__evidence"))
    indications = {
        indication.therapy_id: indication
        for indication in Indication.objects.filter(disease=disease).prefetch_related(
            "outcomes__evidence"
        )
    }
    rule_rows = list(
        TherapyRule.objects.filter(active=True)
        .order_by("rule_id")
        .prefetch_related("evidence_links__evidence")
    )
    therapy_history = _latest_history_ids(Therapy, (row.pk for row in therapy_rows))
    indication_history = _latest_history_ids(Indication, (row.pk for row in indications.values()))
    rule_history = _latest_history_ids(TherapyRule, (row.pk for row in rule_rows))
    criterion_history = _latest_history_ids(Criterion, (row.pk for row in criteria_rows))

    therapies = {}
    for row in therapy_rows:
        indication = indications.get(row.pk)
        therapies[row.slug] = TherapyProfile(
            slug=row.slug,
            family=row.family,
            target_class=row.target_class,
            routes=tuple(row.routes or ()),
            revision=row.revision,
            history_id=therapy_history.get(row.pk),
            display=_display(row, indication, today=today),
            status=indication.status if indication else None,
            certainty=indication.certainty if indication else None,
            severity=indication.severity if indication else SeverityGate.ANY,
            values=indication.decimal_values() if indication else {},
            indication_history_id=indication_history.get(indication.pk) if indication else None,
            administration=row.administration,
            role=indication.role if indication else "",
            scope=dict(indication.scope or {}) if indication else {},
        )
    rules = tuple(
        engine.Rule(
            rule_id=row.rule_id,
            applies_to=row.applies_to(),
            effect=row.effect,
            condition=row.condition,
            criterion=row.criterion,
            multiplier=row.multiplier,
            delta=row.delta,
            clinician_message=text_of(row, "clinician_message"),
            patient_message=text_of(row, "patient_message"),
            evidence_ids=tuple(
                link.evidence.url or link.evidence.citation for link in row.evidence_links.all()
            ),
        )
        for row in rule_rows
    )
    return DiseaseProfiles(
        disease=disease,
        criteria=tuple(
            CriterionInfo(
                key=row.key,
                better=row.better,
                name=text_of(row, "name"),
                description=text_of(row, "description"),
                history_id=criterion_history.get(row.pk),
            )
            for row in criteria_rows
        ),
        therapies=therapies,
        rules=rules,
        rule_versions={
            row.rule_id: {"revision": row.revision, "history_id": rule_history.get(row.pk)}
            for row in rule_rows
        },
    )


# Built profiles per (disease, day, stamp of the profile tables). The day is in the key
# because a source's "overdue" flag depends on it; entries of an old stamp are never asked
# for again and fall out as new ones come in. Content only, nothing about a patient.
_profiles: ImmutableLru[DiseaseProfiles] = ImmutableLru(size=16)


def profiles_current(*, disease: str, today: datetime.date | None = None) -> DiseaseProfiles:
    """``profiles_fetch`` for ``disease``, kept per process until a profile changes: one
    stamp query (``selectors.therapies.profiles_revision``) instead of a dozen."""
    today = today or timezone.localdate()
    key = (disease, today, profiles_revision())
    # The stamp is read before the rows: a save committed in between is in the rows and
    # moves the stamp, so the next call rebuilds; never the other way round.
    return _profiles.get_or_build(key, lambda: profiles_fetch(disease=disease, today=today))


def evidence_entry(evidence: Evidence, *, today: datetime.date) -> dict[str, Any]:
    return {
        "citation": evidence.citation,
        "url": evidence.url,
        "checked": evidence.checked.isoformat(),
        "next_review": evidence.next_review.isoformat(),
        "overdue": evidence.is_overdue(today),
    }


def _display(
    therapy: Therapy, indication: Indication | None, *, today: datetime.date
) -> dict[str, Any]:
    """What a patient or clinician reads about the option, frozen into the snapshot."""
    onset = None
    if therapy.onset_weeks_min is not None or therapy.onset_weeks_max is not None:
        onset = [therapy.onset_weeks_min, therapy.onset_weeks_max]
    display: dict[str, Any] = {
        "therapy": therapy.slug,
        "name": text_of(therapy, "name"),
        "family": therapy.family,
        "target": therapy.target,
        "target_class": therapy.target_class,
        "routes": list(therapy.routes or []),
        "administration": therapy.administration,
        "role": "",
        "scope_note": {},
        "schedule": text_of(therapy, "schedule"),
        "onset_weeks": onset,
        "what_it_is": text_of(therapy, "what_it_is"),
        "how_taken": text_of(therapy, "how_taken"),
        "benefits": text_of(therapy, "benefits"),
        "downsides": text_of(therapy, "downsides"),
        "living_with": text_of(therapy, "living_with"),
        "pregnancy": text_of(therapy, "pregnancy"),
        "common_side_effects": lines_of(therapy, "common_side_effects"),
        "serious_risks": lines_of(therapy, "serious_risks"),
        "monitoring": lines_of(therapy, "monitoring"),
        "has_unverified": bool(therapy.unverified.strip()),
        "revision": therapy.revision,
        "evidence": [
            evidence_entry(link.evidence, today=today) for link in therapy.references.all()
        ],
        "status": None,
        "status_note": {},
        "certainty": None,
        "severity": SeverityGate.ANY,
        "outcomes": [],
        "uncertain_values": [],
        "based_on": None,
    }
    if indication is not None:
        if indication.onset_weeks_min is not None or indication.onset_weeks_max is not None:
            display["onset_weeks"] = [indication.onset_weeks_min, indication.onset_weeks_max]
        # Texts written for this condition replace the general ones (no MS figures for a
        # lupus patient).
        for name, text in (indication.text or {}).items():
            if name in INDICATION_TEXT_FIELDS and text:
                display[name] = dict(text)
        display.update(
            {
                "role": indication.role,
                "scope_note": dict((indication.scope or {}).get("note") or {}),
                "status": indication.status,
                "status_note": text_of(indication, "status_note"),
                "certainty": indication.certainty,
                "severity": indication.severity,
                "uncertain_values": list(indication.uncertain or []),
                "outcomes": [
                    {
                        "text": text_of(outcome, "text"),
                        "count": shortest_decimal_text(outcome.count),
                        "per": outcome.per,
                        "horizon": text_of(outcome, "horizon"),
                        "population": text_of(outcome, "population"),
                        "certainty": outcome.certainty,
                        "evidence": (
                            evidence_entry(outcome.evidence, today=today)
                            if outcome.evidence
                            else None
                        ),
                    }
                    for outcome in indication.outcomes.all()
                ],
            }
        )
    return display

"""Therapy profiles: whether they changed since this process last read them.

A submit weighs the patient's answers against every therapy profile of the condition.
Reading and building those profiles costs a dozen queries, yet they change only when an
admin or a service (``load_therapies``, "mark reviewed") saves or deletes a row, and
django-simple-history records every such save or delete in the row's history table. So
``profiles_revision`` reads one cheap stamp of those history tables, and the weighing
adapter (``services.weighing.profiles_current``) rebuilds its profiles only when the stamp
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

from collections.abc import Hashable

from django.db import connection

from questionnaires.models import (
    Criterion,
    Evidence,
    Indication,
    OutcomeEstimate,
    RuleEvidence,
    Therapy,
    TherapyEvidence,
    TherapyRule,
)

# Every model whose rows end up in a weighing's profiles (services.weighing.profiles_fetch).
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


def _stamp_sql() -> str:
    """One aggregate per history table, all in one round trip (each table is scanned once:
    far cheaper to plan and run than a scalar subquery per figure). Only our models' own
    table and column names go into it, quoted (no outside input)."""
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
        cursor.execute(_stamp_sql())
        rows = cursor.fetchall()
    # UNION ALL promises no order: each row carries its table's position.
    return tuple(sorted(tuple(row) for row in rows))

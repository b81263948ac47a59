"""Keyset ("seek") pagination: a page starts after, or ends before, a row the reader saw.

``OFFSET n`` makes the database read and throw away ``n`` rows, so page 2,000 of a large
team costs 2,000 pages of work; a page that starts after a known row costs one page however
deep it is (with an index on the order, one index range). The link carries only the
boundary row's primary key: its sort values are read back from the database, so no date or
other patient fact travels in a URL (URLs end up in access logs).

An order is a tuple of ``SortKey``: the column or annotation, its direction and, for a
column that may be null, whether nulls come last. The last key must be unique (the primary
key), so "after this row" is always well defined.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy


@dataclass(frozen=True)
class SortKey:
    name: str  # a field or an annotation of the queryset
    descending: bool = False
    nullable: bool = False  # nulls sort last in this order, first in its reverse

    def reversed(self) -> SortKey:
        return SortKey(self.name, not self.descending, self.nullable)

    def order_by(self, *, nulls_last: bool) -> OrderBy:
        nulls = {"nulls_last": True} if nulls_last else {"nulls_first": True}
        if not self.nullable:
            nulls = {}
        expression = F(self.name)
        return expression.desc(**nulls) if self.descending else expression.asc(**nulls)


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    # Primary keys of the first and last row shown: the "previous" and "next" links' cursors.
    first_pk: Any
    last_pk: Any
    has_previous: bool
    has_next: bool


def _beyond(key: SortKey, value, *, forward: bool) -> Q | None:
    """Rows strictly past ``value`` on this key, in the order (``forward``) or its reverse.

    In the order, nulls come last: past a value are the larger (or smaller) values and the
    nulls; past a null is nothing. In the reverse, nulls come first: past a value are only the
    smaller (or larger) values; past a null, every non-null.
    """
    larger = key.descending != forward  # ascending forward, or descending in reverse
    lookup = f"{key.name}__gt" if larger else f"{key.name}__lt"
    if value is None:
        if forward or not key.nullable:
            return None
        return Q(**{f"{key.name}__isnull": False})
    condition = Q(**{lookup: value})
    if forward and key.nullable:
        condition |= Q(**{f"{key.name}__isnull": True})
    return condition


def _equal(key: SortKey, value) -> Q:
    return Q(**{f"{key.name}__isnull": True}) if value is None else Q(**{key.name: value})


def seek_condition(order: tuple[SortKey, ...], values: tuple, *, forward: bool) -> Q:
    """Rows after the row with these sort ``values`` (``forward``), or before it."""
    alternatives = Q(pk__in=[])  # matches nothing: the neutral element of "or"
    ties = Q()
    for key, value in zip(order, values, strict=True):
        beyond = _beyond(key, value, forward=forward)
        if beyond is not None:
            alternatives |= ties & beyond
        ties &= _equal(key, value)
    return alternatives


def keyset_page(
    queryset: QuerySet,
    *,
    order: tuple[SortKey, ...],
    size: int,
    after=None,
    before=None,
    last: bool = False,
) -> KeysetPage:
    """One page of ``queryset`` in ``order``: the first, the one after or before a row, or the last.

    ``after``/``before`` are primary keys of rows in ``queryset``; a key that is not there
    (deleted since, or never the reader's) gives the first page. Two queries with a cursor
    (its values, then the page), one without.
    """
    forward_order = [key.order_by(nulls_last=True) for key in order]
    reverse_keys = tuple(key.reversed() for key in order)
    reverse_order = [key.order_by(nulls_last=False) for key in reverse_keys]
    names = [key.name for key in order]
    cursor = after if after is not None else before
    values = None
    if cursor is not None:
        row = queryset.filter(pk=cursor).values_list(*names).first()
        values = tuple(row) if row is not None else None
    if values is not None and before is not None and after is None:
        found = list(
            queryset.filter(seek_condition(order, values, forward=False)).order_by(*reverse_order)[
                : size + 1
            ]
        )
        more = len(found) > size
        rows = list(reversed(found[:size]))
        if not rows:  # nothing before it: the reader is at the start
            return keyset_page(queryset, order=order, size=size)
        return KeysetPage(rows, rows[0].pk, rows[-1].pk, has_previous=more, has_next=True)
    if last:
        found = list(queryset.order_by(*reverse_order)[: size + 1])
        rows = list(reversed(found[:size]))
        first = rows[0].pk if rows else None
        final = rows[-1].pk if rows else None
        return KeysetPage(rows, first, final, has_previous=len(found) > size, has_next=False)
    seeking = queryset
    if values is not None:
        seeking = queryset.filter(seek_condition(order, values, forward=True))
    found = list(seeking.order_by(*forward_order)[: size + 1])
    rows = found[:size]
    if not rows and values is not None:  # nothing after it (rows removed since): the last page
        return keyset_page(queryset, order=order, size=size, last=True)
    return KeysetPage(
        rows,
        rows[0].pk if rows else None,
        rows[-1].pk if rows else None,
        has_previous=values is not None,
        has_next=len(found) > size,
    )

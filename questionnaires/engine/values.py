"""The vocabulary conditions and question kinds share: operator names and answer values.

Kept apart from ``conditions`` so that ``kinds`` (which says which operators fit each kind)
and ``conditions`` (which evaluates and validates conditions, consulting ``kinds``) both build
on it without importing each other. ``conditions`` re-exports every name here.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

EQ = "eq"
NE = "ne"
IN = "in"
NOT_IN = "not_in"
GT = "gt"
GTE = "gte"
LT = "lt"
LTE = "lte"
ANSWERED = "answered"
NOT_ANSWERED = "not_answered"
CONTAINS = "contains"
CONTAINS_ANY = "contains_any"

OPERATORS = (
    EQ,
    NE,
    IN,
    NOT_IN,
    GT,
    GTE,
    LT,
    LTE,
    ANSWERED,
    NOT_ANSWERED,
    CONTAINS,
    CONTAINS_ANY,
)

PRESENCE_OPS = (ANSWERED, NOT_ANSWERED)  # take no value
LIST_VALUE_OPS = (IN, NOT_IN, CONTAINS_ANY)  # take a non-empty list
ORDERING_OPS = (GT, GTE, LT, LTE)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_answered(value: Any) -> bool:
    """Whether an answer counts as given: missing, ``None``, ``""`` and ``[]`` do not."""
    if value is None:
        return False
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


def as_number(value: Any) -> Decimal | None:
    """The value as a finite Decimal, or None when it is not a number.

    ``bool`` is an ``int`` subclass in Python but a yes/no answer is not a number.
    Floats go through ``repr`` so that ``0.1`` means the decimal 0.1 a person typed.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        return None
    # NaN and infinities would raise on ordering comparisons; they are no answer.
    return number if number.is_finite() else None


def as_date(value: Any) -> date | None:
    """The value as a date when it is a ``date`` or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):
        return None  # answers are dates, never timestamps
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:  # e.g. 2024-02-30
            return None
    return None

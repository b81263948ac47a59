"""A paragraph of text."""

from __future__ import annotations

from questionnaires.engine.definition import Kind

from .common import CHOICE_OPS, text_problem, text_value_problem
from .registry import KindSpec

SPEC = KindSpec(
    Kind.LONG_TEXT,
    CHOICE_OPS,
    "text",
    condition_value_problem=text_value_problem,
    answer_problem=text_problem,
)

"""Text only: never answered, never required, never tested by a condition."""

from __future__ import annotations

from questionnaires.engine.definition import Kind

from .registry import KindSpec

SPEC = KindSpec(
    Kind.DISPLAY,
    (),
    "display",
    answered=False,
    in_repeat_row=False,
)

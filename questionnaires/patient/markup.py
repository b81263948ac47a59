"""A step's questions rendered from cached markup: the static part once, the answers per request.

Rendering ``patient/_question.html`` (and the ``_field.html`` it includes) per question was
about half of a step GET (issue 14). What it writes is a function of the question's render
data (``StepForm.question_items``) and the active language, and almost all of that data is
the same for every patient: labels, hints, choices, ids, names. Only a few leaves differ per
request: the typed or saved ``value``, which options are ``checked`` or ``selected`` and the
same-page condition ``show_if``. Those leaves are the *slots*.

So a question is rendered once with a marker in place of each slot, the result is split at
the markers, and every later request with the same static data joins the static pieces with
its own slot values, escaped as the template would have escaped them. The cache key is the
language and the static data itself, never a slot, so no answer is kept here (the rule of
``lru.py``), and markup can only be served for data that renders it.

What a slot may be used for in the templates: output (``{{ item.value }}``) or the
``html_attr`` filter (``{{ option.checked|html_attr:"checked" }}``), never a test
(``{% if item.value %}``): a marker is always true. ``tests/patient/test_markup.py``
renders every step of the shipped questionnaire both ways, in both languages, with and
without answers and errors, and asserts the same bytes; a template change that tests a slot
fails there.

Not cached, rendered by the template as before: questions with errors (the messages, error
ids and classes change the markup; a page with errors is the rare path), repeat groups (their
management form is a form object), read-only (calculated) questions and kinds added in code
(their template data is theirs to define).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.template import Context
from django.template.context import Context as ContextType
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from questionnaires.engine.definition import Kind
from questionnaires.lru import ImmutableLru

TEMPLATE = "patient/_question.html"
SLOT_KEYS = frozenset({"value", "checked", "selected", "show_if"})
_START, _END = "\ue000", "\ue001"  # private-use characters: never escaped, never in content

# Turned off by the test that compares the cached markup with the template's.
USE_CACHE = True

_markup: ImmutableLru[tuple[Any, ...]] = ImmutableLru(size=1024)


def html_attr(value: Any, name: str) -> str:
    """`` name`` for True, `` name="value"`` for a non-empty text, nothing otherwise; on a
    slot's marker (the cached render), a marker that ``_fill`` turns into the same."""
    if isinstance(value, str) and value.startswith(_START) and value.endswith(_END):
        return mark_safe(f"{value[:-1]}:{name}{_END}")  # noqa: S308 - digits and a fixed name
    return _attribute(value, name)


def _attribute(value: Any, name: str) -> str:
    if value is True:
        return mark_safe(f" {name}")  # noqa: S308 - a fixed attribute name from the template
    if isinstance(value, str) and value:
        return mark_safe(f' {name}="{conditional_escape(value)}"')  # noqa: S308 - escaped
    return ""


def render_question(item: Mapping[str, Any], context: ContextType) -> SafeString:
    """The markup of one question, as ``{% include "patient/_question.html" %}`` writes it."""
    if USE_CACHE and _cacheable(item):
        values: list[Any] = []
        static: list[Any] = []
        if _split(item, values, static):
            key = (get_language(), tuple(static))
            parts = _markup.get_or_build(key, lambda: _parts(item, context))
            return mark_safe("".join(_fill(parts, values)))  # noqa: S308 - escaped in _fill
    template = context.template.engine.get_template(TEMPLATE)
    with context.push(item=item):
        return template.render(context)


def _cacheable(item: Mapping[str, Any]) -> bool:
    if item.get("group") or item.get("read_only") or item.get("errors"):
        return False
    return item.get("kind") in _BUILT_IN


_BUILT_IN = frozenset(
    {
        Kind.SINGLE_CHOICE,
        Kind.MULTIPLE_CHOICE,
        Kind.YES_NO,
        Kind.INTEGER,
        Kind.DECIMAL,
        Kind.RATING,
        Kind.DATE,
        Kind.SHORT_TEXT,
        Kind.LONG_TEXT,
        Kind.RANKING,
        Kind.DISPLAY,
    }
)


def _split(value: Any, values: list[Any], static: list[Any]) -> bool:
    """Walk ``value`` in order: slot leaves go to ``values``, the rest (with their keys) to
    ``static``. False when something in it cannot be cached (an object, a marker character)."""
    if isinstance(value, Mapping):
        for key, leaf in value.items():
            static.append(key)
            if key in SLOT_KEYS and isinstance(leaf, str | bool):
                values.append(leaf)
                static.append(_SLOT)
            elif not _split(leaf, values, static):
                return False
        static.append(_END_OF_MAPPING)
        return True
    if isinstance(value, list | tuple):
        static.append(len(value))
        return all(_split(leaf, values, static) for leaf in value)
    if isinstance(value, str):
        if _START in value or _END in value:
            return False
        static.append(value)
        return True
    if value is None or isinstance(value, bool | int):
        static.append(value)
        return True
    return False


_SLOT = ("slot",)
_END_OF_MAPPING = ("end",)


def _skeleton(value: Any, counter: list[int]) -> Any:
    """``value`` with every slot leaf replaced by its numbered marker (the order of _split)."""
    if isinstance(value, Mapping):
        result = {}
        for key, leaf in value.items():
            if key in SLOT_KEYS and isinstance(leaf, str | bool):
                result[key] = f"{_START}{counter[0]}{_END}"
                counter[0] += 1
            else:
                result[key] = _skeleton(leaf, counter)
        return result
    if isinstance(value, list | tuple):
        return [_skeleton(leaf, counter) for leaf in value]
    return value


def _parts(item: Mapping[str, Any], context: ContextType) -> tuple[Any, ...]:
    """Render the question with markers and split it: text, then (slot, attribute) pairs."""
    template = context.template.engine.get_template(TEMPLATE)
    html = template.render(Context({"item": _skeleton(item, [0])}, autoescape=True))
    parts: list[Any] = []
    rest = str(html)
    while _START in rest:
        text, _start, rest = rest.partition(_START)
        marker, _end, rest = rest.partition(_END)
        number, _colon, attribute = marker.partition(":")
        parts.extend((text, (int(number), attribute)))
    parts.append(rest)
    return tuple(parts)


def _fill(parts: tuple[Any, ...], values: list[Any]) -> list[str]:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        number, attribute = part
        value = values[number]
        out.append(_attribute(value, attribute) if attribute else conditional_escape(value))
    return out

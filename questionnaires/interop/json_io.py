"""Reading uploaded JSON safely and writing JSON with exact decimals.

Both importers (our own format and FHIR) start here, so an upload is refused the
same way whatever it claims to be: too large, not UTF-8, not JSON. Numbers with a
fraction or an exponent are read as ``Decimal`` (never ``float``), and the writer
prints ``Decimal`` values digit for digit, so ``0.1`` stays ``0.1``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from questionnaires.engine.definition import Problem

MAX_IMPORT_BYTES = 2 * 1024 * 1024  # 2 MiB: the largest real questionnaire we know is ~30 KiB
MAX_NESTING = 100  # objects and arrays inside each other; our deepest legitimate file uses ~80
# A number such as 1e-999999999 is short to send but a billion digits long to print.
MAX_DECIMAL_EXPONENT = 30

_UTF8_BOM = b"\xef\xbb\xbf"


class ImportRefused(Exception):
    """An upload that cannot be imported, with every reason found (one line each)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class _NumberOutOfRange(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _NotJsonConstant(_NumberOutOfRange):
    pass


def read_json_bytes(data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES) -> Any:
    """The JSON value in ``data``; ImportRefused with a one-line reason otherwise."""
    if len(data) > max_bytes:
        raise ImportRefused(
            [
                Problem(
                    "",
                    f"the file is {len(data):,} bytes; files over {_size(max_bytes)} "
                    f"({max_bytes:,} bytes) are refused",
                )
            ]
        )
    if data.startswith(_UTF8_BOM):  # some editors on Windows add one; it is not content
        data = data[len(_UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad_byte = data[error.start]
        raise ImportRefused(
            [
                Problem(
                    "",
                    f"the file is not UTF-8 text: byte 0x{bad_byte:02x} at position {error.start}",
                )
            ]
        ) from None
    duplicates: list[str] = []
    try:
        value = json.loads(
            text,
            parse_float=_parse_decimal,
            parse_int=_parse_int,
            parse_constant=_refuse_constant,
            object_pairs_hook=_object_without_duplicates(duplicates),
        )
    except json.JSONDecodeError as error:
        raise ImportRefused(
            [
                Problem(
                    "",
                    f"the file is not valid JSON: {error.msg} "
                    f"at line {error.lineno}, column {error.colno}",
                )
            ]
        ) from None
    except _NotJsonConstant as error:
        raise ImportRefused(
            [Problem("", f"the file is not valid JSON: {error.text} is not a JSON value")]
        ) from None
    except _NumberOutOfRange as error:
        raise ImportRefused(
            [Problem("", f"the number {error.text} is too large or has too many digits")]
        ) from None
    except RecursionError:
        raise ImportRefused([Problem("", "the JSON nests too deeply")]) from None
    if duplicates:
        raise ImportRefused(
            [Problem("", f"the name '{name}' appears twice in one object") for name in duplicates]
        )
    if _nesting(value) > MAX_NESTING:
        raise ImportRefused([Problem("", f"the JSON nests more than {MAX_NESTING} levels deep")])
    return value


def _size(byte_count: int) -> str:
    mebibytes = Decimal(byte_count) / (1024 * 1024)
    return f"{format(mebibytes.normalize(), 'f')} MiB"


def _parse_decimal(text: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:  # the JSON grammar should make this impossible
        raise _NumberOutOfRange(text) from None
    exponent = number.as_tuple().exponent
    if (
        not number.is_finite()
        or abs(number.adjusted()) > MAX_DECIMAL_EXPONENT
        or not isinstance(exponent, int)
        or exponent < -MAX_DECIMAL_EXPONENT
    ):
        raise _NumberOutOfRange(text)
    return number


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DECIMAL_EXPONENT:
        raise _NumberOutOfRange(text)
    return int(text)


def _refuse_constant(name: str) -> Any:
    # json accepts NaN and Infinity by default; they are not JSON and not a number we can use.
    raise _NotJsonConstant(name)


def _object_without_duplicates(duplicates: list[str]):
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, item in pairs:
            if name in found and name not in duplicates:
                duplicates.append(name)
            found[name] = item
        return found

    return build


def _nesting(value: Any) -> int:
    """How deeply objects and arrays nest in ``value`` (without recursion)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest


# --- writing ------------------------------------------------------------------------------


def write_json(value: Any, *, indent: int = 2) -> str:
    """``value`` as JSON text, like ``json.dumps(indent=2, ensure_ascii=False)`` plus a newline.

    Unlike ``json``, this writes ``Decimal`` exactly (``Decimal("1.50")`` → ``1.50``)
    and refuses NaN and infinities instead of writing invalid JSON. Objects keep
    their insertion order: callers decide the order of keys.
    """
    parts: list[str] = []
    _write(value, parts, level=0, indent=indent)
    parts.append("\n")
    return "".join(parts)


def _write(value: Any, parts: list[str], *, level: int, indent: int) -> None:
    if value is None or isinstance(value, bool | str):
        parts.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        parts.append(str(int(value)))
    elif isinstance(value, Decimal | float):
        parts.append(decimal_text(value))
    elif isinstance(value, Mapping):
        _write_items(
            [
                (json.dumps(str(key), ensure_ascii=False) + ": ", item)
                for key, item in value.items()
            ],
            "{}",
            parts,
            level=level,
            indent=indent,
        )
    elif isinstance(value, list | tuple):
        _write_items([("", item) for item in value], "[]", parts, level=level, indent=indent)
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _write_items(
    items: list[tuple[str, Any]], brackets: str, parts: list[str], *, level: int, indent: int
) -> None:
    if not items:
        parts.append(brackets)
        return
    inner = "\n" + " " * (indent * (level + 1))
    parts.append(brackets[0])
    for index, (prefix, item) in enumerate(items):
        parts.append(("," if index else "") + inner + prefix)
        _write(item, parts, level=level + 1, indent=indent)
    parts.append("\n" + " " * (indent * level) + brackets[1])


def decimal_text(number: Decimal | float) -> str:
    """A finite number as a JSON number without exponent: 1.50 → "1.50", 1E+2 → "100"."""
    if isinstance(number, float):
        number = Decimal(repr(number))
    if not number.is_finite():
        raise ValueError(f"{number} is not a finite number and cannot be written as JSON")
    text = format(number, "f")
    return text[1:] if text.startswith("-") and number.is_zero() else text

"""One typed reader of the stored weighing snapshot, and one codec for scale results.

``Result.weighing`` stores the weighing as JSON (format ``sdm-weighing`` version 1,
``docs/simulate.schema.json``); ``Result.scores`` stores the scale results. Stored results
outlive the code that wrote them, so the reader here:

- keeps every member it does not know in ``extra`` and writes it back unchanged, so a
  result written by a newer adapter survives a round trip through older code;
- tolerates the members older results lack (those added by issue 8: the guideline
  ``group`` and ``restrictions`` of an option, ``groups``, ``status_quo``, and an option's
  ``administration``, ``role`` and ``scope_note``): they read as their neutral default and
  are remembered in ``absent``, so they are not written back;
- refuses anything else malformed with one ``SnapshotError`` naming the path of the bad
  member (``weighing.ranked[2].fit``), never a ``KeyError`` deep inside a page.

``snapshot_to_json(read_snapshot(data)) == data`` for every snapshot the adapter writes.
Decimal strings from the profiles stay the strings they were stored as (their text is what
the summary shows); fits, weights and contributions stay the JSON numbers they were.

Scale results were written in two shapes: ``Result.scores`` (``band_index``,
``band_label``, ``severity``, ``items``) and the simulator's ``scales`` (``name`` and a
``band`` object). ``ScaleSnapshot`` is the one typed value behind both, with one reader
(``read_scale``) for the stored shape and one writer per shape.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from questionnaires.engine.scoring import ScaleResult

FORMAT = "sdm-weighing"
FORMAT_VERSION = 1


class SnapshotError(ValueError):
    """A stored snapshot that does not have the documented shape; says where."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# --- codecs: (read(value, path) -> typed, write(typed) -> JSON) ---------------------------


@dataclass(frozen=True)
class _Codec:
    read: Callable[[Any, str], Any]
    write: Callable[[Any], Any]


def _name(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _scalar(expected: str, test: Callable[[Any], bool]) -> _Codec:
    def read(value: Any, path: str) -> Any:
        if not test(value):
            raise SnapshotError(path, f"expected {expected}, got {_name(value)}")
        return value

    return _Codec(read, lambda value: value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


STR = _scalar("a string", lambda value: isinstance(value, str))
BOOL = _scalar("true or false", lambda value: isinstance(value, bool))
INT = _scalar("an integer", _is_int)
NUMBER = _scalar("a number", lambda value: _is_int(value) or isinstance(value, float))
# Free-form JSON (a reason's or conflict's detail): kept as stored, copied so the
# snapshot does not share it with the caller.
JSON = _Codec(lambda value, path: copy.deepcopy(value), copy.deepcopy)


def _optional(codec: _Codec) -> _Codec:
    return _Codec(
        lambda value, path: None if value is None else codec.read(value, path),
        lambda value: None if value is None else codec.write(value),
    )


def _list(codec: _Codec) -> _Codec:
    def read(value: Any, path: str) -> tuple:
        if not isinstance(value, list | tuple):
            raise SnapshotError(path, f"expected a list, got {_name(value)}")
        return tuple(codec.read(item, f"{path}[{index}]") for index, item in enumerate(value))

    return _Codec(read, lambda value: [codec.write(item) for item in value])


def _map(codec: _Codec) -> _Codec:
    def read(value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise SnapshotError(path, f"expected an object, got {_name(value)}")
        return MappingProxyType(
            {str(key): codec.read(item, f"{path}.{key}") for key, item in value.items()}
        )

    return _Codec(read, lambda value: {key: codec.write(item) for key, item in value.items()})


def _node(cls: type) -> _Codec:
    return _Codec(lambda value, path: _read_node(cls, value, path), _write_node)


TEXT = _map(STR)  # language code -> text
LINES = _map(_list(STR))  # language code -> items
OPTIONAL_STR = _optional(STR)
OPTIONAL_INT = _optional(INT)
# Decimal strings from the profiles ("12.5"), kept as text: see the module docstring.
DECIMAL = STR
OPTIONAL_DECIMAL = OPTIONAL_STR


_REQUIRED = object()


def _member(codec: _Codec, *, absent_as: Any = _REQUIRED, absent_factory: Any = None) -> Any:
    """A member of a snapshot object. With ``absent_as``/``absent_factory`` older stored
    results may lack it: it then reads as that default and is not written back."""
    optional = absent_as is not _REQUIRED or absent_factory is not None
    metadata = {"codec": codec, "optional": optional}
    if absent_factory is not None:
        return field(default_factory=absent_factory, metadata=metadata)
    if absent_as is not _REQUIRED:
        return field(default=absent_as, metadata=metadata)
    return field(metadata=metadata)


def _members(cls: type) -> list:
    return [item for item in fields(cls) if "codec" in item.metadata]


def _read_node(cls: type, value: Any, path: str) -> Any:
    if not isinstance(value, Mapping):
        raise SnapshotError(path, f"expected an object, got {_name(value)}")
    kwargs: dict[str, Any] = {}
    absent: list[str] = []
    known = set()
    for member in _members(cls):
        known.add(member.name)
        if member.name not in value:
            if not member.metadata["optional"]:
                raise SnapshotError(f"{path}.{member.name}", "missing")
            absent.append(member.name)
            continue
        kwargs[member.name] = member.metadata["codec"].read(
            value[member.name], f"{path}.{member.name}"
        )
    extra = {key: copy.deepcopy(item) for key, item in value.items() if key not in known}
    return cls(**kwargs, extra=MappingProxyType(extra), absent=frozenset(absent))


def _write_node(node: Any) -> dict[str, Any]:
    data = {
        member.name: member.metadata["codec"].write(getattr(node, member.name))
        for member in _members(type(node))
        if member.name not in node.absent
    }
    data.update(copy.deepcopy(dict(node.extra)))
    return data


@dataclass(frozen=True, kw_only=True)
class _Node:
    # Members a newer writer added that this code does not know, written back unchanged.
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Optional members the stored object lacked (an older result): not written back.
    absent: frozenset[str] = frozenset()


# --- the weighing snapshot ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Criterion(_Node):
    key: str = _member(STR)
    better: str = _member(STR)
    name: Mapping[str, str] = _member(TEXT)
    description: Mapping[str, str] = _member(TEXT)


@dataclass(frozen=True, kw_only=True)
class Preferences(_Node):
    ranking: tuple[str, ...] = _member(_list(STR))
    ranking_given: bool = _member(BOOL)
    mar_serious_harm: str | None = _member(OPTIONAL_STR)
    routes_accepted: tuple[str, ...] = _member(_list(STR))
    experimental_openness: str | None = _member(OPTIONAL_STR)


@dataclass(frozen=True, kw_only=True)
class StatusQuo(_Node):
    response: str = _member(STR)
    disease_active: bool | None = _member(_optional(BOOL))
    restricted: bool = _member(BOOL)


@dataclass(frozen=True, kw_only=True)
class RiskLimit(_Node):
    code: str | None = _member(OPTIONAL_STR)
    gated: bool = _member(BOOL)
    relative_to_status_quo: bool = _member(BOOL)
    per_1000: str | None = _member(OPTIONAL_DECIMAL)


@dataclass(frozen=True, kw_only=True)
class Reason(_Node):
    """Why an option is not suitable now, restricted, cautioned or adjusted."""

    code: str = _member(STR)
    rule_id: str = _member(STR)
    clinician_message: Mapping[str, str] = _member(TEXT)
    patient_message: Mapping[str, str] = _member(TEXT)
    evidence: tuple[str, ...] = _member(_list(STR))
    detail: Any = _member(JSON)

    @property
    def label(self) -> str:
        """The rule id, else the built-in code (how lists and expectations name it)."""
        return self.rule_id or self.code


@dataclass(frozen=True, kw_only=True)
class Conflict(_Node):
    kind: str = _member(STR)
    level: str = _member(STR)
    detail: Any = _member(JSON)


@dataclass(frozen=True, kw_only=True)
class Adjustment(_Node):
    criterion: str = _member(STR)
    multiplier: str | None = _member(OPTIONAL_DECIMAL)
    delta: str | None = _member(OPTIONAL_DECIMAL)
    before: str | None = _member(OPTIONAL_DECIMAL)
    after: str | None = _member(OPTIONAL_DECIMAL)
    reason: Reason = _member(_node(Reason))


@dataclass(frozen=True, kw_only=True)
class Explanation(_Node):
    top_drivers: tuple[str, ...] = _member(_list(STR))
    main_trade_off: str | None = _member(OPTIONAL_STR)
    trade_off_best_option: str | None = _member(OPTIONAL_STR)


@dataclass(frozen=True, kw_only=True)
class RankedOption(_Node):
    option_id: str = _member(STR)
    is_status_quo: bool = _member(BOOL)
    rank: int = _member(INT)
    fit: float = _member(NUMBER)
    fit_display: int = _member(INT)
    contributions: Mapping[str, float] = _member(_map(NUMBER))
    partial_values: Mapping[str, float] = _member(_map(NUMBER))
    values: Mapping[str, str | None] = _member(_map(OPTIONAL_DECIMAL))
    missing: tuple[str, ...] = _member(_list(STR))
    status: str = _member(STR)
    certainty: str = _member(STR)
    routes: tuple[str, ...] = _member(_list(STR))
    serious_harm_per_1000: str | None = _member(OPTIONAL_DECIMAL)
    conflicts: tuple[Conflict, ...] = _member(_list(_node(Conflict)))
    cautions: tuple[Reason, ...] = _member(_list(_node(Reason)))
    adjustments: tuple[Adjustment, ...] = _member(_list(_node(Adjustment)))
    # Before issue 8 every ranked option was in one list: group 1, no restrictions.
    group: int = _member(INT, absent_as=1)
    restrictions: tuple[Reason, ...] = _member(_list(_node(Reason)), absent_as=())
    explanation: Explanation = _member(_node(Explanation))
    profile_version: int = _member(INT)


@dataclass(frozen=True, kw_only=True)
class GroupMember(_Node):
    option_id: str = _member(STR)
    why: tuple[str, ...] = _member(_list(STR))


@dataclass(frozen=True, kw_only=True)
class Group(_Node):
    group: int = _member(INT)
    code: str = _member(STR)
    options: tuple[GroupMember, ...] = _member(_list(_node(GroupMember)))


@dataclass(frozen=True, kw_only=True)
class NotSuitable(_Node):
    option_id: str = _member(STR)
    reasons: tuple[Reason, ...] = _member(_list(_node(Reason)))


@dataclass(frozen=True, kw_only=True)
class SmallestChange(_Node):
    criterion: str = _member(STR)
    delta: float = _member(NUMBER)
    new_weight: float = _member(NUMBER)
    new_leader: str = _member(STR)


@dataclass(frozen=True, kw_only=True)
class Sensitivity(_Node):
    leader: str | None = _member(OPTIONAL_STR)
    runner_up: str | None = _member(OPTIONAL_STR)
    margin: float | None = _member(_optional(NUMBER))
    smallest_change: SmallestChange | None = _member(_optional(_node(SmallestChange)))
    equal_weights_leader: str | None = _member(OPTIONAL_STR)
    rank_weights_leader: str | None = _member(OPTIONAL_STR)
    close_call: bool = _member(BOOL)
    reasons: tuple[str, ...] = _member(_list(STR))


@dataclass(frozen=True, kw_only=True)
class EvidenceEntry(_Node):
    citation: str = _member(STR)
    url: str = _member(STR)
    checked: str = _member(STR)
    next_review: str = _member(STR)
    overdue: bool = _member(BOOL)


@dataclass(frozen=True, kw_only=True)
class Outcome(_Node):
    text: Mapping[str, str] = _member(TEXT)
    count: str = _member(DECIMAL)
    per: int = _member(INT)
    horizon: Mapping[str, str] = _member(TEXT)
    population: Mapping[str, str] = _member(TEXT)
    certainty: str = _member(STR)
    evidence: EvidenceEntry | None = _member(_optional(_node(EvidenceEntry)))


_EMPTY_TEXT: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, kw_only=True)
class OptionDisplay(_Node):
    """What a patient or clinician reads about one option, frozen with the result."""

    therapy: str = _member(STR)
    name: Mapping[str, str] = _member(TEXT)
    family: str = _member(STR)
    target: str = _member(STR)
    target_class: str = _member(STR)
    routes: tuple[str, ...] = _member(_list(STR))
    administration: str = _member(STR, absent_as="")
    role: str = _member(STR, absent_as="")
    scope_note: Mapping[str, str] = _member(TEXT, absent_factory=lambda: _EMPTY_TEXT)
    schedule: Mapping[str, str] = _member(TEXT)
    onset_weeks: tuple[int | None, ...] | None = _member(_optional(_list(OPTIONAL_INT)))
    what_it_is: Mapping[str, str] = _member(TEXT)
    how_taken: Mapping[str, str] = _member(TEXT)
    benefits: Mapping[str, str] = _member(TEXT)
    downsides: Mapping[str, str] = _member(TEXT)
    living_with: Mapping[str, str] = _member(TEXT)
    pregnancy: Mapping[str, str] = _member(TEXT)
    common_side_effects: Mapping[str, tuple[str, ...]] = _member(LINES)
    serious_risks: Mapping[str, tuple[str, ...]] = _member(LINES)
    monitoring: Mapping[str, tuple[str, ...]] = _member(LINES)
    has_unverified: bool = _member(BOOL)
    revision: int = _member(INT)
    evidence: tuple[EvidenceEntry, ...] = _member(_list(_node(EvidenceEntry)))
    status: str | None = _member(OPTIONAL_STR)
    status_note: Mapping[str, str] = _member(TEXT)
    certainty: str | None = _member(OPTIONAL_STR)
    severity: str = _member(STR)
    outcomes: tuple[Outcome, ...] = _member(_list(_node(Outcome)))
    uncertain_values: tuple[str, ...] = _member(_list(STR))
    based_on: str | None = _member(OPTIONAL_STR)


@dataclass(frozen=True, kw_only=True)
class OverdueSource(_Node):
    citation: str = _member(STR)
    url: str = _member(STR)
    checked: str = _member(STR)
    next_review: str = _member(STR)
    overdue: bool = _member(BOOL)
    options: tuple[str, ...] = _member(_list(STR))


@dataclass(frozen=True, kw_only=True)
class EvidenceSummary(_Node):
    sources: int = _member(INT)
    oldest_checked: str | None = _member(OPTIONAL_STR)
    newest_checked: str | None = _member(OPTIONAL_STR)
    next_review: str | None = _member(OPTIONAL_STR)
    overdue: tuple[OverdueSource, ...] = _member(_list(_node(OverdueSource)))


@dataclass(frozen=True, kw_only=True)
class TherapyVersion(_Node):
    revision: int = _member(INT)
    history_id: int | None = _member(OPTIONAL_INT)
    indication_history_id: int | None = _member(OPTIONAL_INT)


@dataclass(frozen=True, kw_only=True)
class RuleVersion(_Node):
    revision: int = _member(INT)
    history_id: int | None = _member(OPTIONAL_INT)


@dataclass(frozen=True, kw_only=True)
class ProfileVersions(_Node):
    therapies: Mapping[str, TherapyVersion] = _member(_map(_node(TherapyVersion)))
    rules: Mapping[str, RuleVersion] = _member(_map(_node(RuleVersion)))
    criteria: Mapping[str, int | None] = _member(_map(OPTIONAL_INT))


@dataclass(frozen=True, kw_only=True)
class WeighingSnapshot(_Node):
    """``Result.weighing``: the weighing as it was frozen at submit."""

    format: str = _member(STR)
    format_version: int = _member(INT)
    engine_version: str = _member(STR)
    disease: str = _member(STR)
    computed_on: str = _member(STR)
    criteria: tuple[Criterion, ...] = _member(_list(_node(Criterion)))
    preferences: Preferences = _member(_node(Preferences))
    current_therapy: str | None = _member(OPTIONAL_STR)
    current_treatment_answer: str | None = _member(OPTIONAL_STR)
    status_quo: StatusQuo | None = _member(_optional(_node(StatusQuo)), absent_as=None)
    weight_method: str = _member(STR)
    priority: tuple[str, ...] = _member(_list(STR))
    weights: Mapping[str, float] = _member(_map(NUMBER))
    risk_limit: RiskLimit = _member(_node(RiskLimit))
    ranked: tuple[RankedOption, ...] = _member(_list(_node(RankedOption)))
    groups: tuple[Group, ...] = _member(_list(_node(Group)), absent_as=())
    not_suitable: tuple[NotSuitable, ...] = _member(_list(_node(NotSuitable)))
    not_recommended: tuple[str, ...] = _member(_list(STR))
    sensitivity: Sensitivity = _member(_node(Sensitivity))
    options: Mapping[str, OptionDisplay] = _member(_map(_node(OptionDisplay)))
    evidence: EvidenceSummary = _member(_node(EvidenceSummary))
    profile_versions: ProfileVersions = _member(_node(ProfileVersions))

    def option(self, option_id: str) -> OptionDisplay | None:
        """The frozen display of ``option_id`` (None for an id the snapshot does not name)."""
        return self.options.get(option_id)


def member(value: Any, name: str, default: Any = None) -> Any:
    """Member ``name`` of a typed snapshot value, or of the JSON dict it was read from.

    For the readers that still receive both: the patient result page passes the stored
    dict, and tests pass hand-built partial dicts to the sentence and expectation helpers.
    """
    if value is None:
        return default
    if isinstance(value, Mapping):
        return value.get(name, default)
    return getattr(value, name, default)


def read_snapshot(data: Any) -> WeighingSnapshot:
    """The typed snapshot of stored ``data``; SnapshotError when it is not one."""
    if not isinstance(data, Mapping):
        raise SnapshotError("weighing", f"expected an object, got {_name(data)}")
    if data.get("format") != FORMAT:
        raise SnapshotError("weighing.format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    if data.get("format_version") != FORMAT_VERSION:
        raise SnapshotError(
            "weighing.format_version",
            f"expected {FORMAT_VERSION}, got {data.get('format_version')!r}",
        )
    return _read_node(WeighingSnapshot, data, "weighing")


def read_stored_weighing(data: Any) -> WeighingSnapshot | None:
    """``Result.weighing`` as stored: None when nothing was weighed (stored as ``{}`` when
    no therapy profile was loaded; ``None`` from the simulator), else ``read_snapshot``."""
    if data is None or (isinstance(data, Mapping) and not data):
        return None
    return read_snapshot(data)


def snapshot_to_json(snapshot: WeighingSnapshot) -> dict[str, Any]:
    """The JSON the snapshot was read from (every member, unknown ones included)."""
    return _write_node(snapshot)


# --- scale results --------------------------------------------------------------------------


def _decimal_read(value: Any, path: str) -> Decimal:
    if not isinstance(value, str):
        raise SnapshotError(path, f"expected a decimal string, got {_name(value)}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise SnapshotError(path, f"expected a decimal string, got {value!r}") from None


def _decimal_write(value: Decimal) -> str:
    return format(value, "f")


STORED_DECIMAL = _Codec(_decimal_read, _decimal_write)


def _item_read(value: Any, path: str) -> tuple[str, Decimal | None]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise SnapshotError(path, f"expected [question key, value], got {_name(value)}")
    return STR.read(value[0], f"{path}[0]"), _optional(STORED_DECIMAL).read(value[1], f"{path}[1]")


SCALE_ITEM = _Codec(_item_read, lambda item: [item[0], _optional(STORED_DECIMAL).write(item[1])])


@dataclass(frozen=True, kw_only=True)
class ScaleSnapshot(_Node):
    """A scale result as ``Result.scores`` stores it (one element of that list)."""

    key: str = _member(STR)
    score: Decimal | None = _member(_optional(STORED_DECIMAL))
    status: str = _member(STR)
    answered: int = _member(INT)
    missing: int = _member(INT)
    band_index: int | None = _member(OPTIONAL_INT)
    band_label: Mapping[str, str] | None = _member(_optional(TEXT))
    severity: str | None = _member(OPTIONAL_STR)
    items: tuple[tuple[str, Decimal | None], ...] = _member(_list(SCALE_ITEM), absent_as=())


def scale_from_result(result: ScaleResult) -> ScaleSnapshot:
    """The snapshot of a freshly scored scale."""
    return ScaleSnapshot(
        key=result.key,
        score=result.score,
        status=result.status,
        answered=result.answered,
        missing=result.missing,
        band_index=result.band_index,
        band_label=MappingProxyType(dict(result.band.label)) if result.band is not None else None,
        severity=result.severity,
        items=tuple(result.item_values),
    )


def read_scale(data: Any, *, path: str = "scores") -> ScaleSnapshot:
    return _read_node(ScaleSnapshot, data, path)


def read_scales(data: Any) -> tuple[ScaleSnapshot, ...]:
    """``Result.scores`` as stored (a list; an empty or missing list reads as none)."""
    return _list(_node(ScaleSnapshot)).read(data or [], "scores")


def scale_to_json(scale: ScaleSnapshot) -> dict[str, Any]:
    """The ``Result.scores`` shape: decimals as exact text, the band's label translated."""
    return _write_node(scale)


def scale_to_simulation_json(scale: ScaleSnapshot, *, name: Mapping[str, str]) -> dict[str, Any]:
    """The simulator's shape (``docs/simulate.schema.json`` ``scale``): the scale's name and
    the band as one object; decimals in their shortest text."""
    band = None
    if scale.band_label is not None:
        band = {
            "index": scale.band_index,
            "label": dict(scale.band_label),
            "severity": scale.severity,
        }
    return {
        "key": scale.key,
        "name": dict(name),
        "score": shortest_decimal_text(scale.score),
        "status": scale.status,
        "answered": scale.answered,
        "missing": scale.missing,
        "band": band,
    }


def shortest_decimal_text(value: Decimal | int | None) -> str | None:
    """A decimal as the weighing JSON writes it: no trailing zeros, never ``-0``."""
    if value is None:
        return None
    number = Decimal(value)
    normal = number.normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    text = format(normal, "f")
    return "0" if text in ("-0", "") else text

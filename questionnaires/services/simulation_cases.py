"""Stored simulator test cases: answers plus what must come out, run before publishing.

An expectation has the same shape in a stored ``SimulationCase`` (``expectation()``) and
in a golden file under ``tests/golden/`` (its ``expect`` object); ``expectation_failures``
checks both the same way, against the output of ``services.weighing.simulation_run``:

- ``leader``: the option that must rank first.
- ``leader_not``: options that must not rank first (what a clinician would never accept
  as the best fit for this patient, e.g. an IL-17 inhibitor with colitis).
- ``groups``: guideline group ("1", "2" or "3") → options that must be in that group
  (1: suitable and within every stated limit; 2: against a stated limit or restricted by
  a guideline or role; 3: not suitable now). Options not listed may be anywhere.
- ``order_prefix``: the ranking must start with exactly these options.
- ``top_includes``: these options must all rank within the first ``top_n`` (default 3).
- ``not_suitable``: exactly these options are "not suitable now". As an object
  (option → reasons) each option must also carry every listed reason, a rule id or a
  built-in reason code such as ``did_not_work_before``.
- ``conflicts``: option → the conflict kinds it must have, exactly (``[]``: none).
- ``cautions``: rule ids that must raise a caution on some ranked option; as an object,
  option → rule ids that option must carry.
- ``cautions_not``: rule ids that must not raise a caution on any ranked option (e.g. a
  "mild disease" caution for a patient whose relapses show active disease); as an object,
  option → rule ids that option must not carry.
- ``adjusted``: option → rule ids or built-in codes (``same_class_did_not_work``) that
  must have adjusted one of its criterion values.
- ``close_call``: whether the result must (true) or must not (false) be a close call.

Publishing a version runs all of its cases (``version_publish`` calls
``simulation_cases_gate``); one failing case refuses the publish. Stored cases read the
weighing through the typed snapshot reader (``engine.snapshot``); ``expectation_failures``
also takes the weighing as a dict (``snapshot.member`` reads either).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from questionnaires.engine.definition import Problem, VersionDef
from questionnaires.engine.snapshot import SnapshotError, member, read_stored_weighing
from questionnaires.models import QuestionnaireVersion, SimulationCase
from questionnaires.selectors.definitions import definition_for_version
from questionnaires.services.weighing import simulation_run

DEFAULT_TOP_N = 3
EXPECTATION_KEYS = frozenset(
    {
        "leader",
        "leader_not",
        "groups",
        "order_prefix",
        "top_includes",
        "top_n",
        "not_suitable",
        "conflicts",
        "cautions",
        "cautions_not",
        "adjusted",
        "close_call",
    }
)


@dataclass(frozen=True)
class CaseOutcome:
    name: str
    failures: tuple[str, ...]
    simulation: Mapping[str, Any]

    @property
    def passed(self) -> bool:
        return not self.failures


def _reason_labels(reason: Any) -> set[str]:
    return {label for label in (member(reason, "code"), member(reason, "rule_id")) if label}


def expectation_failures(*, expect: Mapping[str, Any], simulation: Mapping[str, Any]) -> list[str]:
    """Every way ``simulation`` misses ``expect``, one readable line each (empty: it passes).

    ``simulation["weighing"]``: a ``WeighingSnapshot``, or the weighing as a dict.
    """
    failures: list[str] = []
    unknown = sorted(set(expect) - EXPECTATION_KEYS)
    if unknown:
        failures.append(f"unknown expectation key(s): {', '.join(unknown)}")
    weighing = simulation.get("weighing")
    if weighing is None:
        notes = "; ".join(simulation.get("notes") or []) or "no weighing"
        return [*failures, f"nothing was weighed ({notes})"]
    ranked_ids = [member(option, "option_id") for option in member(weighing, "ranked")]
    ranked = {member(option, "option_id"): option for option in member(weighing, "ranked")}
    excluded = {
        member(item, "option_id"): member(item, "reasons")
        for item in member(weighing, "not_suitable")
    }

    if "leader" in expect:
        leader = ranked_ids[0] if ranked_ids else None
        if leader != expect["leader"]:
            failures.append(f"leader is {leader!r}, expected {expect['leader']!r}")
    if "leader_not" in expect:
        leader = ranked_ids[0] if ranked_ids else None
        if leader in expect["leader_not"]:
            failures.append(f"leader is {leader!r}, which must not lead")
    for group, option_ids in (expect.get("groups") or {}).items():
        for option_id in option_ids:
            found = _group_of(option_id, ranked, excluded)
            if found != int(group):
                failures.append(f"{option_id!r} is in group {found}, expected group {group}")
    if "order_prefix" in expect:
        prefix = list(expect["order_prefix"])
        if ranked_ids[: len(prefix)] != prefix:
            failures.append(f"ranking starts {ranked_ids[: len(prefix)]}, expected {prefix}")
    if "top_includes" in expect:
        top_n = int(expect.get("top_n", DEFAULT_TOP_N))
        top = ranked_ids[:top_n]
        missing = [option for option in expect["top_includes"] if option not in top]
        if missing:
            failures.append(f"{missing} not in the top {top_n} {top}")
    if "not_suitable" in expect:
        failures += _not_suitable_failures(expect["not_suitable"], excluded)
    for option_id, kinds in (expect.get("conflicts") or {}).items():
        if option_id not in ranked:
            where = "not suitable now" if option_id in excluded else "not an option"
            failures.append(f"conflicts of {option_id!r} expected, but it is {where}")
            continue
        found = sorted(
            {member(conflict, "kind") for conflict in member(ranked[option_id], "conflicts")}
        )
        if found != sorted(set(kinds)):
            failures.append(f"conflicts of {option_id!r} are {found}, expected {sorted(kinds)}")
    failures += _caution_failures(expect.get("cautions") or [], ranked)
    failures += _unwanted_caution_failures(expect.get("cautions_not") or [], ranked)
    for option_id, labels in (expect.get("adjusted") or {}).items():
        adjustments = member(ranked.get(option_id), "adjustments", ())
        found = set().union(*(_reason_labels(member(a, "reason")) for a in adjustments))
        missing = [label for label in labels if label not in found]
        if missing:
            failures.append(f"{option_id!r} was not adjusted by {missing}")
    if "close_call" in expect:
        close_call = member(member(weighing, "sensitivity"), "close_call")
        if close_call != expect["close_call"]:
            failures.append(f"close call is {close_call}, expected {expect['close_call']}")
    return failures


def _group_of(option_id: str, ranked: Mapping[str, Any], excluded: Mapping[str, Any]) -> int | None:
    if option_id in ranked:
        return int(member(ranked[option_id], "group"))
    if option_id in excluded:
        return 3
    return None  # not an option for this condition


def _not_suitable_failures(
    wanted: Sequence[str] | Mapping[str, Sequence[str]],
    excluded: Mapping[str, Sequence[Any]],
) -> list[str]:
    failures = []
    if sorted(excluded) != sorted(wanted):
        failures.append(f"not suitable now: {sorted(excluded)}, expected {sorted(wanted)}")
    if isinstance(wanted, Mapping):
        for option_id, reasons in wanted.items():
            found = set().union(*(_reason_labels(r) for r in excluded.get(option_id, [])))
            missing = [reason for reason in reasons if reason not in found]
            if option_id in excluded and missing:
                failures.append(
                    f"{option_id!r} is not suitable for {sorted(found)}, expected also {missing}"
                )
    return failures


def _cautions_of(option: Any) -> set[str]:
    return set().union(*(_reason_labels(reason) for reason in member(option, "cautions")))


def _caution_failures(
    wanted: Sequence[str] | Mapping[str, Sequence[str]], ranked: Mapping[str, Any]
) -> list[str]:
    if isinstance(wanted, Mapping):
        failures = []
        for option_id, rule_ids in wanted.items():
            found = _cautions_of(ranked[option_id]) if option_id in ranked else set()
            missing = [rule_id for rule_id in rule_ids if rule_id not in found]
            if missing:
                failures.append(f"{option_id!r} lacks the caution(s) {missing}")
        return failures
    everywhere = set().union(*(_cautions_of(option) for option in ranked.values()))
    missing = [rule_id for rule_id in wanted if rule_id not in everywhere]
    return [f"no option carries the caution(s) {missing}"] if missing else []


def _unwanted_caution_failures(
    unwanted: Sequence[str] | Mapping[str, Sequence[str]], ranked: Mapping[str, Any]
) -> list[str]:
    if isinstance(unwanted, Mapping):
        pairs = [(option_id, set(rule_ids)) for option_id, rule_ids in unwanted.items()]
    else:
        pairs = [(option_id, set(unwanted)) for option_id in ranked]
    failures = []
    for option_id, rule_ids in pairs:
        found = sorted(_cautions_of(ranked[option_id]) & rule_ids) if option_id in ranked else []
        if found:
            failures.append(f"{option_id!r} carries the caution(s) {found}, which must not fire")
    return failures


# --- stored cases -------------------------------------------------------------------------


def simulation_case_run(
    *, case: SimulationCase, definition: VersionDef | None = None
) -> CaseOutcome:
    simulation = simulation_run(version=case.version, answers=case.answers, definition=definition)
    try:
        weighing = read_stored_weighing(simulation["weighing"])
    except SnapshotError as error:
        # A weighing the reader refuses would fail every page that shows it: a failure.
        return CaseOutcome(case.name, (f"the weighing cannot be read: {error}",), simulation)
    failures = expectation_failures(
        expect=case.expectation(), simulation={**simulation, "weighing": weighing}
    )
    return CaseOutcome(case.name, tuple(failures), simulation)


def simulation_cases_run(
    *, version: QuestionnaireVersion, definition: VersionDef | None = None
) -> list[CaseOutcome]:
    """Run every stored case of ``version`` (in name order)."""
    if definition is None:
        definition = definition_for_version(version)
    return [
        simulation_case_run(case=case, definition=definition)
        for case in SimulationCase.objects.filter(version=version)
        .select_related("version__questionnaire")
        .order_by("name")
    ]


def simulation_cases_gate(
    *, version: QuestionnaireVersion, definition: VersionDef
) -> list[Problem]:
    """The publish gate: one problem per failing case."""
    return [
        Problem(
            f"simulator test case '{outcome.name}'",
            "; ".join(outcome.failures),
        )
        for outcome in simulation_cases_run(version=version, definition=definition)
        if not outcome.passed
    ]


@transaction.atomic
def simulation_cases_copy(*, source: QuestionnaireVersion, target: QuestionnaireVersion) -> int:
    """Copy the cases of ``source`` to ``target`` (cloning a version keeps its tests).

    Cases whose name ``target`` already has are left alone. Returns how many were copied.
    """
    taken = set(SimulationCase.objects.filter(version=target).values_list("name", flat=True))
    copied = 0
    for case in SimulationCase.objects.filter(version=source).order_by("name"):
        if case.name in taken:
            continue
        SimulationCase.objects.create(
            version=target,
            name=case.name,
            description=case.description,
            answers=case.answers,
            expected_leader=case.expected_leader,
            expected_not_suitable=case.expected_not_suitable,
            expected_conflicts=case.expected_conflicts,
            expected_cautions=case.expected_cautions,
        )
        copied += 1
    return copied

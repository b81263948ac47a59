"""Checks that must pass before a version is published, beyond the definition linter.

Other parts register a gate (a callable taking ``version`` and ``definition`` keyword
arguments and returning a list of ``Problem``) so the publish service need not know
them, e.g. the stored simulator test cases.
"""

from __future__ import annotations

from collections.abc import Callable

_gates: list[Callable] = []


def register(gate: Callable) -> Callable:
    if gate not in _gates:
        _gates.append(gate)
    return gate


def registered() -> tuple[Callable, ...]:
    return tuple(_gates)

from __future__ import annotations

from collections.abc import Iterable

from questionnaires.engine.definition import Problem


class ServiceRefused(Exception):
    """A service refused to act; ``problems`` says why, one readable line each."""

    def __init__(self, problems: Iterable[Problem | str]):
        self.problems = [p if isinstance(p, Problem) else Problem("", str(p)) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]

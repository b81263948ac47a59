"""The patient's own stated limits: an option that breaks one (serious harm above their
limit, a route they refused, experimental when they want none, injections they want to
avoid) carries a *conflict to discuss*. A conflict never removes an option; it moves it to
the second group (see ``weigh``).
"""

from __future__ import annotations

from decimal import Decimal

from .model import Conflict, OptionProfile, Preferences, RiskLimit
from .vocabulary import (
    Administration,
    ConflictKind,
    ConflictLevel,
    MaxRisk,
    Openness,
    Route,
    Status,
)


def risk_limit_from(code: str | None, *, status_quo_risk: Decimal | None) -> RiskLimit:
    if code is None or code == MaxRisk.NOT_SURE:
        return RiskLimit(code, gated=False, relative_to_status_quo=False, per_1000=None)
    if code == MaxRisk.NONE:
        return RiskLimit(code, gated=True, relative_to_status_quo=True, per_1000=status_quo_risk)
    return RiskLimit(
        code, gated=True, relative_to_status_quo=False, per_1000=MaxRisk.PER_1000[code]
    )


def stated_limit_conflicts(
    option: OptionProfile,
    *,
    risk: Decimal | None,
    preferences: Preferences,
    risk_limit: RiskLimit,
) -> tuple[Conflict, ...]:
    conflicts = list(risk_conflicts(option, risk=risk, risk_limit=risk_limit))
    openness = preferences.experimental_openness
    if option.status == Status.EXPERIMENTAL and openness in (Openness.NO, Openness.MAYBE):
        level = ConflictLevel.CONFLICT if openness == Openness.NO else ConflictLevel.DISCUSS
        conflicts.append(
            Conflict(ConflictKind.EXPERIMENTAL_NOT_WANTED, level, {"openness": openness})
        )
    if preferences.avoid_injections:
        conflicts.extend(injection_conflicts(option))
    accepted = preferences.routes_accepted
    if accepted:
        refused = tuple(route for route in option.routes if route not in accepted)
        if refused:
            acceptable = tuple(route for route in option.routes if route in accepted)
            # Refusing one of several routes (methotrexate: oral or injected) leaves a way.
            level = ConflictLevel.DISCUSS if acceptable else ConflictLevel.CONFLICT
            conflicts.append(
                Conflict(
                    ConflictKind.ROUTE_REFUSED,
                    level,
                    {"refused": refused, "acceptable": acceptable},
                )
            )
    return tuple(conflicts)


NEEDLE_ROUTES = (Route.SUBCUTANEOUS, Route.INTRAVENOUS)


def injection_conflicts(option: OptionProfile) -> tuple[Conflict, ...]:
    """ "I would rather avoid injections": an option given by needle breaks it; one that
    can also be taken another way (methotrexate tablets) is to discuss."""
    needles = tuple(route for route in option.routes if route in NEEDLE_ROUTES)
    if not needles:
        return ()
    others = tuple(route for route in option.routes if route not in NEEDLE_ROUTES)
    by_needle = option.administration in Administration.NEEDLES or not others
    level = ConflictLevel.CONFLICT if by_needle else ConflictLevel.DISCUSS
    return (
        Conflict(
            ConflictKind.INJECTIONS_NOT_WANTED,
            level,
            {"routes": needles, "administration": option.administration},
        ),
    )


def risk_conflicts(
    option: OptionProfile, *, risk: Decimal | None, risk_limit: RiskLimit
) -> tuple[Conflict, ...]:
    if not risk_limit.gated:
        return ()
    if risk_limit.relative_to_status_quo and option.is_status_quo:
        return ()  # "no extra risk" is measured against the status quo itself
    detail = {"limit": risk_limit.code, "limit_per_1000": risk_limit.per_1000}
    if risk is None:
        unknown = {**detail, "unknown": "option"}
        return (Conflict(ConflictKind.RISK_UNKNOWN, ConflictLevel.DISCUSS, unknown),)
    if risk_limit.per_1000 is None:
        # "No extra risk", but the status quo's risk is unknown: only a zero risk is surely
        # within it.
        if risk <= 0:
            return ()
        unknown = {**detail, "unknown": "status_quo", "risk_per_1000": risk}
        return (Conflict(ConflictKind.RISK_UNKNOWN, ConflictLevel.DISCUSS, unknown),)
    if risk > risk_limit.per_1000:
        above = {**detail, "risk_per_1000": risk}
        return (Conflict(ConflictKind.ABOVE_RISK_LIMIT, ConflictLevel.CONFLICT, above),)
    return ()

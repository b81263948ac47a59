"""The engine's result as the stored JSON (``Result.weighing``, ``simulate``'s output), in
the shape ``docs/simulate.md`` documents and ``docs/simulate.schema.json`` checks.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from questionnaires.engine import weighing as engine
from questionnaires.engine.definition import VersionDef
from questionnaires.engine.scoring import ScaleResult
from questionnaires.engine.sensitivity import Sensitivity
from questionnaires.engine.snapshot import (
    scale_from_result,
    scale_to_simulation_json,
    shortest_decimal_text,
)
from questionnaires.i18n import language_codes
from questionnaires.models import (
    STATUS_QUO_SLUG,
)
from questionnaires.services.weighing_input import (
    FORMAT,
    FORMAT_VERSION,
    Prepared,
)

# --- engine result → JSON -----------------------------------------------------------------


def _json_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_copy(item) for item in value]
    return value


def _json_value(value: Any) -> Any:
    """Reason and conflict details: decimals as text, tuples as lists."""
    if isinstance(value, Decimal):
        return shortest_decimal_text(value)
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(item) for item in value]
    return value


def scale_to_json(scale: ScaleResult, definition: VersionDef) -> dict[str, Any]:
    """The simulator's shape of a scale result (``Result.scores`` keeps the other one; both
    are written from the one typed value, ``engine.snapshot.ScaleSnapshot``)."""
    names = {item.key: item.name for item in definition.scales}
    return scale_to_simulation_json(scale_from_result(scale), name=names.get(scale.key, {}))


def reason_to_json(reason: engine.Reason) -> dict[str, Any]:
    return {
        "code": reason.code,
        "rule_id": reason.rule_id,
        "clinician_message": dict(reason.clinician_message),
        "patient_message": dict(reason.patient_message),
        "evidence": list(reason.evidence_ids),
        "detail": _json_value(reason.detail),
    }


def _conflict_to_json(conflict: engine.Conflict) -> dict[str, Any]:
    return {"kind": conflict.kind, "level": conflict.level, "detail": _json_value(conflict.detail)}


def _adjustment_to_json(adjustment: engine.Adjustment) -> dict[str, Any]:
    return {
        "criterion": adjustment.criterion,
        "multiplier": shortest_decimal_text(adjustment.multiplier),
        "delta": shortest_decimal_text(adjustment.delta),
        "before": shortest_decimal_text(adjustment.before),
        "after": shortest_decimal_text(adjustment.after),
        "reason": reason_to_json(adjustment.reason),
    }


def _option_to_json(option: engine.OptionResult) -> dict[str, Any]:
    return {
        "option_id": option.option_id,
        "is_status_quo": option.is_status_quo,
        "rank": option.rank,
        "fit": option.fit,
        "fit_display": option.fit_display,
        "contributions": dict(option.contributions),
        "partial_values": dict(option.partial_values),
        "values": {key: shortest_decimal_text(value) for key, value in option.values.items()},
        "missing": list(option.missing),
        "status": option.status,
        "certainty": option.certainty,
        "routes": list(option.routes),
        "serious_harm_per_1000": shortest_decimal_text(option.serious_harm_per_1000),
        "conflicts": [_conflict_to_json(conflict) for conflict in option.conflicts],
        "cautions": [reason_to_json(reason) for reason in option.cautions],
        "adjustments": [_adjustment_to_json(adjustment) for adjustment in option.adjustments],
        "group": option.group,
        "restrictions": [reason_to_json(reason) for reason in option.restrictions],
        "explanation": {
            "top_drivers": list(option.explanation.top_drivers),
            "main_trade_off": option.explanation.main_trade_off,
            "trade_off_best_option": option.explanation.trade_off_best_option,
        },
        "profile_version": option.profile_version,
    }


GROUP_CODES = {
    engine.Group.WITHIN_LIMITS: "within_limits",
    engine.Group.LIMIT_OR_RESTRICTED: "limit_or_restricted",
    engine.Group.NOT_SUITABLE: "not_suitable",
}


def groups_to_json(result: engine.WeighingResult) -> list[dict[str, Any]]:
    """The three guideline tiers in order, each with its options and, per option, why it
    is in that group (limits broken, restrictions, or reasons it is not suitable now)."""
    groups: list[dict[str, Any]] = []
    for group in engine.Group.ALL:
        members: list[dict[str, Any]] = []
        if group == engine.Group.NOT_SUITABLE:
            for exclusion in result.not_suitable:
                members.append(
                    {
                        "option_id": exclusion.option_id,
                        "why": [_reason_label(reason) for reason in exclusion.reasons],
                    }
                )
        else:
            for option in result.ranked:
                if option.group != group:
                    continue
                why = [f"limit:{conflict.kind}" for conflict in option.limits_broken]
                why += [_reason_label(reason) for reason in option.restrictions]
                members.append({"option_id": option.option_id, "why": why})
        groups.append({"group": group, "code": GROUP_CODES[group], "options": members})
    return groups


def _reason_label(reason: engine.Reason) -> str:
    return reason.rule_id or reason.code


def sensitivity_to_json(sensitivity: Sensitivity) -> dict[str, Any]:
    change = sensitivity.smallest_change
    return {
        "leader": sensitivity.leader,
        "runner_up": sensitivity.runner_up,
        "margin": sensitivity.margin,
        "smallest_change": (
            None
            if change is None
            else {
                "criterion": change.criterion,
                "delta": change.delta,
                "new_weight": change.new_weight,
                "new_leader": change.new_leader,
            }
        ),
        "equal_weights_leader": sensitivity.equal_weights_leader,
        "rank_weights_leader": sensitivity.rank_weights_leader,
        "close_call": sensitivity.close_call,
        "reasons": list(sensitivity.reasons),
    }


def _status_quo_display(prepared: Prepared) -> dict[str, Any]:
    profiles = prepared.profiles
    display = dict(profiles.therapies[STATUS_QUO_SLUG].display)
    base = profiles.therapies.get(prepared.current_therapy or "")
    if base is None or base.status is None:
        return display
    base_display = base.display
    names = base_display["name"]
    display.update(
        {
            key: base_display[key]
            for key in (
                "family",
                "target",
                "target_class",
                "routes",
                "schedule",
                "how_taken",
                "common_side_effects",
                "serious_risks",
                "monitoring",
                "pregnancy",
                "status",
                "status_note",
                "certainty",
                "severity",
                "outcomes",
                "uncertain_values",
                "has_unverified",
                "evidence",
            )
        }
    )

    def stay_on(language: str) -> str:
        name = names.get(language) or names.get("en") or base.slug
        with translation.override(language):
            return gettext("Stay on %(name)s") % {"name": name}

    display["name"] = {language: stay_on(language) for language in language_codes()}
    display["based_on"] = base.slug
    return display


def _evidence_summary(options: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    by_source: dict[str, dict[str, Any]] = {}
    for option_id, display in options.items():
        entries = list(display.get("evidence", []))
        entries += [o["evidence"] for o in display.get("outcomes", []) if o.get("evidence")]
        for entry in entries:
            key = entry["url"] or entry["citation"]
            source = by_source.setdefault(key, {**entry, "options": []})
            if option_id not in source["options"]:
                source["options"].append(option_id)
    sources = sorted(by_source.values(), key=lambda source: (source["checked"], source["citation"]))
    return {
        "sources": len(sources),
        "oldest_checked": sources[0]["checked"] if sources else None,
        "newest_checked": max((s["checked"] for s in sources), default=None),
        "next_review": min((s["next_review"] for s in sources), default=None),
        "overdue": [source for source in sources if source["overdue"]],
    }


def weighing_to_json(
    prepared: Prepared, result: engine.WeighingResult, *, today: datetime.date
) -> dict[str, Any]:
    profiles = prepared.profiles
    weighed = list(prepared.option_ids)
    # Copied to the leaves: the displays belong to profiles every weighing of this process
    # shares (``profiles_current``), and callers may change what they get back.
    options = {
        slug: _json_copy(
            _status_quo_display(prepared)
            if slug == STATUS_QUO_SLUG
            else profiles.therapies[slug].display
        )
        for slug in [*weighed, *prepared.not_recommended]
    }
    preferences = prepared.weighing_input.preferences
    used = set(weighed) | set(prepared.not_recommended)
    if prepared.current_therapy:
        used.add(prepared.current_therapy)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "engine_version": result.engine_version,
        "disease": result.disease,
        "computed_on": today.isoformat(),
        "criteria": [
            {
                "key": criterion.key,
                "better": criterion.better,
                "name": dict(criterion.name),
                "description": dict(criterion.description),
            }
            for criterion in profiles.criteria
        ],
        "preferences": {
            "ranking": list(preferences.ranking),
            "ranking_given": bool(preferences.ranking),
            "mar_serious_harm": preferences.mar_serious_harm,
            "routes_accepted": list(preferences.routes_accepted),
            "experimental_openness": preferences.experimental_openness,
        },
        "current_therapy": prepared.current_therapy,
        "current_treatment_answer": prepared.current_answer,
        "status_quo": {
            "response": prepared.current_response,
            "disease_active": prepared.disease_active,
            "restricted": bool(prepared.weighing_input.options[0].restriction_codes),
        },
        "weight_method": result.weight_method,
        "priority": list(result.priority),
        "weights": dict(result.weights),
        "risk_limit": {
            "code": result.risk_limit.code,
            "gated": result.risk_limit.gated,
            "relative_to_status_quo": result.risk_limit.relative_to_status_quo,
            "per_1000": shortest_decimal_text(result.risk_limit.per_1000),
        },
        "ranked": [_option_to_json(option) for option in result.ranked],
        "groups": groups_to_json(result),
        "not_suitable": [
            {
                "option_id": exclusion.option_id,
                "reasons": [reason_to_json(reason) for reason in exclusion.reasons],
            }
            for exclusion in result.not_suitable
        ],
        "not_recommended": list(prepared.not_recommended),
        "sensitivity": sensitivity_to_json(result.sensitivity),
        "options": options,
        "evidence": _evidence_summary(options),
        "profile_versions": {
            "therapies": {
                slug: {
                    "revision": profiles.therapies[slug].revision,
                    "history_id": profiles.therapies[slug].history_id,
                    "indication_history_id": profiles.therapies[slug].indication_history_id,
                }
                for slug in sorted(used)
                if slug in profiles.therapies
            },
            "rules": {
                rule_id: dict(version)
                for rule_id, version in sorted(profiles.rule_versions.items())
            },
            "criteria": {criterion.key: criterion.history_id for criterion in profiles.criteria},
        },
    }

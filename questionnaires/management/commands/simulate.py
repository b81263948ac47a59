"""The logic simulator: what a questionnaire version makes of a set of answers.

    manage.py simulate --questionnaire SLUG [--version N] --answers PATH.json
                       [--format json|text] [--language en|zh-hans]

The answers file is what ``export_response --format sdm`` writes
({"format": "sdm-response", …, "answers": {…}}), a bare {"answers": {…}}, or a plain
mapping of question key → answer. The JSON output's shape is documented in
docs/simulate.md and docs/simulate.schema.json.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from questionnaires.engine.snapshot import (
    RankedOption,
    Reason,
    WeighingSnapshot,
    read_stored_weighing,
    snapshot_to_json,
)
from questionnaires.i18n import language_codes
from questionnaires.management.commands._helpers import VersionOptionMixin, version_for
from questionnaires.services.weighing import simulation_run
from questionnaires.summary import explain

RESPONSE_FORMAT = "sdm-response"


def answers_from_document(document: Any) -> dict[str, Any]:
    """The answers mapping in any of the accepted file shapes; CommandError otherwise."""
    if not isinstance(document, Mapping):
        raise CommandError("The answers file must hold a JSON object.")
    declared = document.get("format")
    if declared is not None and declared != RESPONSE_FORMAT:
        raise CommandError(
            f"Unsupported answers format {declared!r}; expected '{RESPONSE_FORMAT}'."
        )
    if declared is not None and document.get("format_version", 1) != 1:
        raise CommandError(
            f"Unsupported {RESPONSE_FORMAT} format_version {document.get('format_version')!r}."
        )
    if "answers" in document and (declared is not None or isinstance(document["answers"], Mapping)):
        answers = document["answers"]
        if not isinstance(answers, Mapping):
            raise CommandError("'answers' must be an object: question key → answer.")
        return dict(answers)
    return dict(document)


class Command(VersionOptionMixin, BaseCommand):
    help = (
        "Run the questionnaire logic and the weighing on an answers file: visible steps, "
        "scale scores, weights, ranked options, conflicts, exclusions and sensitivity."
    )

    def add_arguments(self, parser):
        parser.add_argument("--questionnaire", required=True, metavar="SLUG")
        parser.add_argument("--version", type=int, default=None, dest="number", metavar="N")
        parser.add_argument("--answers", required=True, metavar="PATH.json")
        parser.add_argument("--format", choices=("json", "text"), default="json", dest="fmt")
        parser.add_argument(
            "--language",
            choices=language_codes(),
            default="en",
            help="Language of the text output.",
        )

    def handle(self, *args, questionnaire, number, answers, fmt, language, **options):
        version = version_for(questionnaire, number)
        path = Path(answers)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"{path} is not valid JSON: {error}") from None
        simulation = simulation_run(version=version, answers=answers_from_document(document))
        if fmt == "json":
            # The weighing is printed as the snapshot reader reads it back: what a stored
            # result would give, and a malformed one fails here rather than downstream.
            snapshot = read_stored_weighing(simulation["weighing"])
            printed = {
                **simulation,
                "weighing": None if snapshot is None else snapshot_to_json(snapshot),
            }
            self.stdout.write(json.dumps(printed, indent=2, ensure_ascii=False))
            return
        with translation.override(language):
            self.stdout.write(simulation_text(simulation))


GROUP_TITLES = {
    1: "suitable and within all your stated limits",
    2: "suitable, but against a stated limit or restricted by a guideline "
    "(to use when the options above are unsuitable)",
    3: "not suitable now",
}

_BUILT_IN_RESTRICTIONS = {
    "bridge_therapy": "a short bridge while another treatment starts, not a long-term choice",
    "background_therapy": "background therapy, taken alongside the other options",
    "status_quo_active_disease": (
        "the disease is active and not controlled by a current treatment; guidelines "
        "treat active disease"
    ),
}


def restriction_sentence(weighing: WeighingSnapshot, reason: Reason) -> str:
    if reason.rule_id:
        return explain.reason_sentence(weighing, reason, audience=explain.CLINICIAN)
    return _BUILT_IN_RESTRICTIONS.get(reason.code, reason.code)


def _percent(weight: float) -> str:
    return f"{weight * 100:.1f}%"


def simulation_text(simulation: Mapping[str, Any]) -> str:
    """The simulation for a person reading a terminal (in the active language)."""
    lines = [
        f"{simulation['questionnaire']} v{simulation['version']} ({simulation['version_status']}), "
        f"engine {simulation['engine_version']}",
        f"Condition: {simulation['condition'] or '-'}",
        f"Visible steps: {', '.join(simulation['visible_steps']) or '-'}",
    ]
    dropped = simulation["dropped_answers"]
    if dropped:
        lines.append(
            "Answers not counted: "
            + ", ".join(f"{item['key']} ({item['reason']})" for item in dropped)
        )
    lines.append("Scales:")
    for scale in simulation["scales"]:
        band = scale["band"]
        band_text = f" -> {explain.pick(band['label'])} [{band['severity']}]" if band else ""
        lines.append(
            f"  {scale['key']}: {scale['score'] if scale['score'] is not None else '-'} "
            f"({scale['status']}, {scale['answered']} answered, {scale['missing']} missing)"
            f"{band_text}"
        )
    weighing = read_stored_weighing(simulation["weighing"])
    if weighing is None:
        lines += [f"Note: {note}" for note in simulation["notes"]]
        return "\n".join(lines)
    lines += _weighing_lines(weighing)
    lines += [f"Note: {note}" for note in simulation["notes"]]
    return "\n".join(lines)


def _weighing_lines(weighing: WeighingSnapshot) -> list[str]:
    lines = [f"Weights ({weighing.weight_method}):"]
    for position, key in enumerate(weighing.priority, start=1):
        lines.append(
            f"  {position}. {explain.criterion_name(key, weighing)} ({key}): "
            f"{_percent(weighing.weights[key])}"
        )
    risk = weighing.risk_limit
    lines.append(
        f"Risk limit: {explain.risk_limit_label(risk.code)}"
        + (f" ({risk.per_1000}/1000/year)" if risk.per_1000 is not None else "")
    )
    lines.append("Ranked options (fit 0-100), in guideline groups:")
    group_seen = None
    for option in weighing.ranked:
        lines += _option_lines(weighing, option, new_group=option.group != group_seen)
        group_seen = option.group
    lines.append(f"Group 3: {GROUP_TITLES[3]}" + ("" if weighing.not_suitable else ": none"))
    for item in weighing.not_suitable:
        lines.append(f"  - {explain.option_name(weighing, item.option_id)} [{item.option_id}]")
        for reason in item.reasons:
            lines.append(
                f"      [{reason.label}] "
                + explain.reason_sentence(weighing, reason, audience=explain.CLINICIAN)
            )
    if weighing.not_recommended:
        lines.append(
            "Not recommended for this condition (not weighed): "
            + ", ".join(weighing.not_recommended)
        )
    sensitivity = weighing.sensitivity
    lines.append("Sensitivity:")
    if sensitivity.margin is not None:
        lines.append(f"  margin: {sensitivity.margin:.1f} points")
    change = sensitivity.smallest_change
    if change:
        lines.append(
            f"  smallest change: {change.criterion} weight {change.delta:+.3f} "
            f"(to {change.new_weight:.3f}) makes {change.new_leader} draw level"
        )
    else:
        lines.append("  smallest change: no single weight change moves the leader")
    lines.append(f"  equal weights leader: {sensitivity.equal_weights_leader}")
    if sensitivity.rank_weights_leader:
        lines.append(f"  rank weights leader: {sensitivity.rank_weights_leader}")
    close = "yes" if sensitivity.close_call else "no"
    reasons = f" ({', '.join(sensitivity.reasons)})" if sensitivity.reasons else ""
    lines.append(f"  close call: {close}{reasons}")
    lines.append(f"  {explain.sensitivity_sentence(weighing)}")
    evidence = weighing.evidence
    lines.append(
        f"Evidence: {evidence.sources} sources, checked {evidence.oldest_checked} to "
        f"{evidence.newest_checked}, next review {evidence.next_review}, "
        f"{len(evidence.overdue)} past review"
    )
    return lines


def _option_lines(weighing: WeighingSnapshot, option: RankedOption, *, new_group: bool) -> list:
    lines = []
    if new_group:
        lines.append(f"  Group {option.group}: {GROUP_TITLES[option.group]}")
    option_id = option.option_id
    status = explain.status_label(option.status)
    certainty = explain.certainty_label(option.certainty)
    lines.append(
        f"  {option.rank}. {explain.option_name(weighing, option_id)} [{option_id}] "
        f"fit {option.fit:.1f} - {status}, certainty {certainty}"
    )
    contributions = ", ".join(f"{key} {amount:.1f}" for key, amount in option.contributions.items())
    lines.append(f"     contributions: {contributions}")
    if option.missing:
        lines.append(f"     missing values (scored 0): {', '.join(option.missing)}")
    lines.append(f"     {explain.fit_sentence(weighing, option)}")
    for conflict in option.conflicts:
        lines.append(
            f"     conflict ({conflict.level}, {conflict.kind}): "
            + explain.conflict_sentence(weighing, conflict, audience=explain.CLINICIAN)
        )
    for reason in option.cautions:
        lines.append(
            f"     caution [{reason.label}]: "
            + explain.reason_sentence(weighing, reason, audience=explain.CLINICIAN)
        )
    for reason in option.restrictions:
        lines.append(
            f"     group 2 because [{reason.label}]: " + restriction_sentence(weighing, reason)
        )
    for adjustment in option.adjustments:
        lines.append(
            f"     adjusted {adjustment.criterion} {adjustment.before} -> {adjustment.after}: "
            + explain.adjustment_sentence(weighing, adjustment, audience=explain.CLINICIAN)
        )
    return lines

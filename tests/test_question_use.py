"""Every question of the demo questionnaire is used, or says why it is asked (issue 8).

A question counts as used when the weighing reads it (the adapter's keys, a rule
condition, an indication scope), when a summary red flag tests it, or when a scale scores
it. Every other answerable question must be listed in docs/weighing.md under "Asked for the
conversation only", and nothing used may be listed there: the list is checked against the
definition both ways, so it cannot go stale.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

from questionnaires.engine.conditions import referenced_keys
from questionnaires.services import weighing_input as weighing
from questionnaires.summary.flags import ANSWER_FLAGS

BASE = Path(settings.BASE_DIR)
DEMO = BASE / "questionnaires" / "content" / "questionnaires" / "treatment-discussion.json"
RULES = BASE / "questionnaires" / "content" / "therapies" / "rules.json"
THERAPIES = BASE / "questionnaires" / "content" / "therapies" / "therapies.json"
WEIGHING_DOC = BASE / "docs" / "weighing.md"

# The answers the adapter (services/weighing_input.py) reads by key.
ADAPTER_KEYS = frozenset(
    {
        weighing.CONDITION_KEY,
        weighing.PRIOR_GROUP_KEY,
        weighing.PRIOR_THERAPY_KEY,
        weighing.PRIOR_EFFECT_KEY,
        weighing.PRIOR_STOP_REASON_KEY,
        weighing.CURRENT_TREATMENT_KEY,
        weighing.RANKING_KEY,
        weighing.MAX_RISK_KEY,
        weighing.ROUTES_KEY,
        weighing.INFUSION_TRAVEL_KEY,
        weighing.OPENNESS_KEY,
        weighing.AVOID_INJECTIONS_KEY,
        weighing.SATISFACTION_KEY,
        weighing.MS_RELAPSES_KEY,
        weighing.MS_MRI_KEY,
        weighing.SLE_KIDNEY_KEY,
        weighing.SLE_FLARES_KEY,
        weighing.SLE_NEPHRITIS_KEY,
        weighing.VITILIGO_SPREADING_KEY,
    }
)


def answerable_keys() -> set[str]:
    definition = json.loads(DEMO.read_text(encoding="utf-8"))
    keys = set()
    for step in definition["steps"]:
        for question in step["questions"]:
            if question["kind"] != "display":
                keys.add(question["key"])
            keys.update(child["key"] for child in question.get("children") or [])
    return keys


def used_keys() -> set[str]:
    definition = json.loads(DEMO.read_text(encoding="utf-8"))
    used = set(ADAPTER_KEYS)
    for scale in definition["scales"]:
        used.update(scale["items"])
    for rule in json.loads(RULES.read_text(encoding="utf-8"))["rules"]:
        if rule.get("active", True):
            used |= referenced_keys(rule["condition"])
    for therapy in json.loads(THERAPIES.read_text(encoding="utf-8"))["therapies"]:
        for indication in therapy.get("indications", {}).values():
            if indication.get("scope"):
                used |= referenced_keys(indication["scope"]["condition"])
    for flag in ANSWER_FLAGS:
        used.add(flag.question)
        used |= referenced_keys(flag.when)
    return used


def conversation_only_keys() -> set[str]:
    text = WEIGHING_DOC.read_text(encoding="utf-8")
    section = text.split("## Asked for the conversation only", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([a-z0-9_]+)`", section, flags=re.MULTILINE))


def test_every_question_is_used_or_listed_as_conversation_only():
    unused = answerable_keys() - used_keys()
    listed = conversation_only_keys()
    assert unused - listed == set(), "used by nothing and not listed in docs/weighing.md"
    assert listed - unused == set(), "listed as conversation-only but used, or not a question"


def test_the_new_safety_and_activity_answers_are_used():
    """Issue 8: the answers the review found ignored are read now."""
    used = used_keys()
    for key in (
        "ms_relapses_12m",
        "ms_mri_activity",
        "pso_joint_pain",
        "vit_area",
        "vit_sites",
        "sle_kidney",
        "sle_nephritis",
        "safety_tb_detail",
        "safety_hbv_status",
        "limit_avoid_injections",
    ):
        assert key in used, key

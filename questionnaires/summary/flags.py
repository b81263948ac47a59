"""Red flags for the clinician summary, as data: which answers matter, and why.

The red-flag box comes first on the summary (docs/notes/sdm_anchors.md §5). Four kinds:

1. **Answer flags** (``ANSWER_FLAGS``): safety-screen answers that change which options can
   be started (infection, TB, hepatitis B, pregnancy, live vaccines, …) and a few activity
   answers that need attention before any option is discussed. Each is a condition in the
   questionnaire's own condition language (``engine.conditions``), so adding a flag is a data
   change and a flag for a question the version does not ask simply never fires.
2. **Severe bands**: a scale whose band has a severity in ``SEVERE_SEVERITIES``.
3. **Decisional conflict**: the SURE score at or below ``SURE_CONFLICT_MAX`` (the SURE
   authors' cut-off: any "no" answer suggests decisional conflict).
4. **Not suitable now**: options the therapy rules excluded, with the rule's clinician message
   (taken from the frozen weighing, never re-evaluated).

Nothing here touches the database; the context builder passes the definition, the pruned
answers and the stored scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from questionnaires.engine.conditions import evaluate
from questionnaires.engine.definition import Condition, Severity
from questionnaires.engine.snapshot import ScaleSnapshot, WeighingSnapshot, member

SURE_SCALE_KEY = "sure"
SURE_CONFLICT_MAX = Decimal(3)
SEVERE_SEVERITIES = frozenset({Severity.SEVERE, Severity.VERY_SEVERE})


class FlagKind:
    ANSWER = "answer"
    SEVERE_BAND = "severe_band"
    DECISIONAL_CONFLICT = "decisional_conflict"
    NOT_SUITABLE = "not_suitable"


@dataclass(frozen=True)
class AnswerFlag:
    """An answer that matters for the options: ``question`` is shown when ``when`` holds."""

    question: str  # the question whose text and answer the flag shows
    when: Condition
    matters_for: str | Promise  # why, in the clinician's words (a lazy translation)


def _is_yes(key: str) -> Condition:
    return {"q": key, "op": "eq", "value": True}


ANSWER_FLAGS: tuple[AnswerFlag, ...] = (
    AnswerFlag(
        "safety_infection",
        _is_yes("safety_infection"),
        _("Active infection: do not start biologics, JAK inhibitors or immunosuppressants yet."),
    ),
    AnswerFlag(
        "safety_tb",
        _is_yes("safety_tb"),
        _("TB history or exposure: screen (IGRA, chest X-ray) before biologics or JAK inhibitors."),
    ),
    AnswerFlag(
        "safety_hepatitis_b",
        _is_yes("safety_hepatitis_b"),
        _("Hepatitis B: check serology; reactivation risk with anti-CD20 and immunosuppressants."),
    ),
    AnswerFlag(
        "safety_pregnancy",
        _is_yes("safety_pregnancy"),
        _("Pregnant or planning: several options are contraindicated; discuss timing."),
    ),
    AnswerFlag(
        "safety_breastfeeding",
        _is_yes("safety_breastfeeding"),
        _("Breastfeeding: JAK inhibitors and cyclosporine are not suitable."),
    ),
    AnswerFlag(
        "safety_cancer",
        _is_yes("safety_cancer"),
        _("Recent cancer: caution with biologics, phototherapy and fingolimod."),
    ),
    AnswerFlag(
        "safety_live_vaccine",
        _is_yes("safety_live_vaccine"),
        _("Live vaccine planned: give it before starting immunosuppression."),
    ),
    AnswerFlag(
        "safety_heart_failure",
        _is_yes("safety_heart_failure"),
        _("Heart failure: anti-TNF not advised; caution with fingolimod and alemtuzumab."),
    ),
    AnswerFlag(
        "safety_ibd",
        _is_yes("safety_ibd"),
        _("Inflammatory bowel disease: IL-17 inhibitors not suitable or need caution."),
    ),
    AnswerFlag(
        "safety_demyelinating",
        _is_yes("safety_demyelinating"),
        _("Demyelinating disease: anti-TNF not suitable."),
    ),
    AnswerFlag(
        "safety_cardiovascular",
        _is_yes("safety_cardiovascular"),
        _("Cardiovascular disease: EMA risk group for oral JAK inhibitors."),
    ),
    AnswerFlag(
        "safety_smoker",
        _is_yes("safety_smoker"),
        _("Current or past smoker: EMA risk group for oral JAK inhibitors."),
    ),
    AnswerFlag(
        "safety_jcv",
        {"q": "safety_jcv", "op": "in", "value": ["positive", "not_known"]},
        _("JCV antibodies positive or unknown: PML risk with natalizumab."),
    ),
    AnswerFlag(
        "sle_kidney",
        {"q": "sle_kidney", "op": "eq", "value": "yes_now"},
        _("Kidney involvement now: check for active lupus nephritis."),
    ),
    AnswerFlag(
        "sle_symptoms",
        {"q": "sle_symptoms", "op": "contains", "value": "chest_pain_breathing"},
        _("Chest pain or breathlessness reported: assess before the visit if new."),
    ),
    AnswerFlag(
        "ms_symptoms_change",
        {"q": "ms_symptoms_change", "op": "eq", "value": "much_worse"},
        _("Symptoms much worse: consider a relapse."),
    ),
    AnswerFlag(
        "safety_tb_detail",
        {"q": "safety_tb_detail", "op": "eq", "value": "active"},
        _("Active TB reported: no immunosuppressive or targeted therapy until it is treated."),
    ),
    AnswerFlag(
        "safety_hbv_status",
        {"q": "safety_hbv_status", "op": "eq", "value": "hbsag_positive"},
        _("Hepatitis B surface antigen positive: anti-CD20 therapy contraindicated; hepatology."),
    ),
    AnswerFlag(
        "safety_recent_mi_stroke",
        _is_yes("safety_recent_mi_stroke"),
        _("Heart attack or stroke in the last 6 months: S1P modulators contraindicated."),
    ),
    AnswerFlag(
        "safety_heart_failure_severe",
        _is_yes("safety_heart_failure_severe"),
        _("Heart failure NYHA III/IV: anti-TNF contraindicated."),
    ),
    AnswerFlag(
        "pso_joint_pain",
        _is_yes("pso_joint_pain"),
        _("Joint pain: possible psoriatic arthritis; assess and consider rheumatology."),
    ),
    AnswerFlag(
        "ms_relapses_12m",
        {"q": "ms_relapses_12m", "op": "gte", "value": 2},
        _("Two or more relapses in 12 months: highly active MS; high-efficacy therapy advised."),
    ),
    AnswerFlag(
        "sle_nephritis",
        {"q": "sle_nephritis", "op": "eq", "value": "active"},
        _("Active lupus nephritis reported: nephritis-specific treatment."),
    ),
    AnswerFlag(
        "safety_pregnancy_detail",
        {"q": "safety_pregnancy_detail", "op": "eq", "value": "pregnant_now"},
        _("Pregnant now: only options compatible with pregnancy; involve obstetrics."),
    ),
    AnswerFlag(
        "sle_cns",
        _is_yes("sle_cns"),
        _("Lupus affecting the brain or nerves: neuropsychiatric lupus needs specialist review."),
    ),
    AnswerFlag(
        "sle_antiphospholipid",
        {"q": "sle_antiphospholipid", "op": "eq", "value": "yes"},
        _("Antiphospholipid antibodies: thrombosis risk; matters for pregnancy and treatment."),
    ),
    AnswerFlag(
        "vit_spreading",
        {"q": "vit_spreading", "op": "eq", "value": "fast"},
        _("Rapidly spreading vitiligo: active disease."),
    ),
)


def answer_flags_raised(
    answers: Mapping[str, Any], *, asked: Sequence[str], flags: Sequence[AnswerFlag] = ANSWER_FLAGS
) -> list[AnswerFlag]:
    """The flags whose condition holds, for questions this version asks, in ``flags`` order."""
    asked_keys = set(asked)
    return [flag for flag in flags if flag.question in asked_keys and evaluate(flag.when, answers)]


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def is_severe(score: ScaleSnapshot | Mapping[str, Any]) -> bool:
    """A stored scale score (``Result.scores`` item, typed or as stored) in a severe band."""
    return member(score, "key") != SURE_SCALE_KEY and member(score, "severity") in SEVERE_SEVERITIES


def has_decisional_conflict(score: ScaleSnapshot | Mapping[str, Any]) -> bool:
    """The stored SURE score is at or below the cut-off (an incomplete SURE is not a score)."""
    if member(score, "key") != SURE_SCALE_KEY:
        return False
    value = decimal_or_none(member(score, "score"))
    return value is not None and value <= SURE_CONFLICT_MAX


def red_flag_count(
    *,
    asked: Sequence[str],
    answers: Mapping[str, Any],
    scores: Sequence[Mapping[str, Any]],
    weighing: WeighingSnapshot | Mapping[str, Any] | None,
) -> int:
    """How many red flags the clinician summary shows for a frozen result (its four kinds).

    Stored on the result when it is frozen, so the dashboard can show and sort by it without
    reading answers; ``summary.context`` builds the same flags one by one.
    """
    count = len(answer_flags_raised(answers, asked=asked))
    count += sum(1 for score in scores if is_severe(score))
    count += sum(1 for score in scores if has_decisional_conflict(score))
    count += sum(
        1
        for excluded in member(weighing, "not_suitable", ())
        if any(member(reason, "rule_id") for reason in member(excluded, "reasons", ()))
    )
    return count

"""Sentences from a weighing snapshot, in the active language (English, Simplified Chinese).

The engine explains with codes (criterion keys, reason codes, conflict kinds); this module
turns them into words through gettext, so the patient page, the clinician summary and
``manage.py simulate --format text`` say the same thing. Every function reads the frozen
weighing snapshot (``Result.weighing``) and never the database, so a re-rendered summary
reads the same: typed, as ``engine.snapshot.read_snapshot`` gives it (the snapshot, a ranked
option, a reason, a conflict, an adjustment, an outcome), or as the stored JSON dict for the
callers that still pass that (the patient result page); ``_get`` (``snapshot.member``) reads
either.

Call inside ``translation.override(language)`` to choose the language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, pgettext

from questionnaires.engine.snapshot import member as _get

PATIENT = "patient"
CLINICIAN = "clinician"


def pick(text: Mapping[str, str] | None, language: str | None = None) -> str:
    """The text in ``language`` (default: the active one), else English, else any."""
    if not text:
        return ""
    language = language or translation.get_language() or "en"
    return (
        text.get(language)
        or text.get(language.split("-")[0])
        or text.get("en")
        or next(iter(text.values()), "")
    )


def pick_list(items: Mapping[str, Sequence[str]] | None) -> list[str]:
    if not items:
        return []
    language = translation.get_language() or "en"
    return list(items.get(language) or items.get("en") or next(iter(items.values()), []))


def number_text(value: Any) -> str:
    """A number as people write it: 49.7, 5, never 5.0 or 1E+1."""
    if value is None:
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    normal = number.normalize()
    if normal == normal.to_integral():
        normal = normal.quantize(Decimal(1))
    return format(normal, "f")


# --- labels -------------------------------------------------------------------------------


def criterion_phrase(key: str, weighing: Any = None) -> str:
    """A criterion as a phrase that fits in "mainly because of …"."""
    phrases = {
        "effectiveness": pgettext("criterion phrase", "how well it works"),
        "speed": pgettext("criterion phrase", "how soon it helps"),
        "serious_harm": pgettext("criterion phrase", "the risk of serious harm"),
        "side_effects": pgettext("criterion phrase", "common side effects"),
        "convenience": pgettext("criterion phrase", "how it is taken"),
        "monitoring": pgettext("criterion phrase", "the tests and visits needed"),
        "certainty": pgettext("criterion phrase", "how sure the evidence is"),
    }
    if key in phrases:
        return phrases[key]
    return criterion_name(key, weighing)


def criterion_name(key: str, weighing: Any = None) -> str:
    """A criterion's name as a heading (from the snapshot, else a built-in one)."""
    for criterion in _get(weighing, "criteria", ()):
        if _get(criterion, "key") == key and _get(criterion, "name"):
            return pick(_get(criterion, "name"))
    names = {
        "effectiveness": pgettext("criterion", "How well it works"),
        "speed": pgettext("criterion", "How soon it helps"),
        "serious_harm": pgettext("criterion", "Risk of serious harm"),
        "side_effects": pgettext("criterion", "Common side effects"),
        "convenience": pgettext("criterion", "How it is taken"),
        "monitoring": pgettext("criterion", "Tests and visits"),
        "certainty": pgettext("criterion", "How sure the evidence is"),
    }
    return names.get(key, key.replace("_", " "))


def status_label(code: str | None) -> str:
    labels = {
        "approved": pgettext("regulatory status", "Approved"),
        "approved_some_regions": pgettext("regulatory status", "Approved in some regions"),
        "off_label": pgettext("regulatory status", "Off-label (used outside its licence)"),
        "experimental": pgettext("regulatory status", "Experimental"),
        "not_recommended": pgettext("regulatory status", "Not recommended"),
        "standard_care": pgettext("regulatory status", "Standard care"),
    }
    return labels.get(code or "", code or "")


def certainty_label(code: str | None) -> str:
    labels = {
        "high": pgettext("evidence certainty", "High"),
        "moderate": pgettext("evidence certainty", "Moderate"),
        "low": pgettext("evidence certainty", "Low"),
        "very_low": pgettext("evidence certainty", "Very low"),
    }
    return labels.get(code or "", code or "")


def certainty_sentence(code: str | None) -> str:
    sentences = {
        "high": gettext("We are quite sure about these numbers."),
        "moderate": gettext("These numbers are probably close to the truth."),
        "low": gettext("These numbers may be quite different in reality."),
        "very_low": gettext("We are very unsure: there are few good studies."),
    }
    return sentences.get(code or "", "")


def route_label(code: str) -> str:
    labels = {
        "topical": pgettext("route", "on the skin"),
        "oral": pgettext("route", "by mouth"),
        "subcutaneous": pgettext("route", "injection under the skin"),
        "intravenous": pgettext("route", "infusion into a vein"),
        "phototherapy": pgettext("route", "light treatment"),
        "procedure": pgettext("route", "hospital procedure"),
    }
    return labels.get(code, code)


def routes_text(codes: Sequence[str]) -> str:
    if not codes:
        return pgettext("route", "nothing new to take")
    return join_words([route_label(code) for code in codes], final=pgettext("list", "or"))


def risk_limit_label(code: str | None) -> str:
    labels = {
        "none": pgettext("risk limit", "no extra risk"),
        "1_in_1000": pgettext("risk limit", "1 in 1000 people a year"),
        "1_in_100": pgettext("risk limit", "1 in 100 people a year"),
        "1_in_20": pgettext("risk limit", "1 in 20 people a year"),
        "not_sure": pgettext("risk limit", "not sure"),
    }
    return labels.get(code or "", pgettext("risk limit", "not asked"))


def join_words(words: Sequence[str], *, final: str | None = None) -> str:
    """ "a", "a and b", "a, b and c" (Chinese uses its own enumeration comma)."""
    words = [word for word in words if word]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    final = final or pgettext("list", "and")
    separator = pgettext("list separator", ", ")
    return pgettext("list", "%(items)s %(final)s %(last)s") % {
        "items": separator.join(words[:-1]),
        "final": final,
        "last": words[-1],
    }


def option_name(weighing: Any, option_id: str | None) -> str:
    if option_id is None:
        return ""
    display = _get(weighing, "options", {}).get(option_id)
    if display and _get(display, "name"):
        return pick(_get(display, "name"))
    if option_id == "no_change":
        return gettext("No change")
    return option_id.replace("_", " ")


def onset_text(onset: Sequence[int | None] | None) -> str:
    if not onset or all(week is None for week in onset):
        return gettext("Not known")
    low, high = onset
    if low is None or high is None or low == high:
        weeks = low if high is None else high
        return gettext("About %(weeks)s weeks") % {"weeks": weeks}
    return gettext("About %(low)s to %(high)s weeks") % {"low": low, "high": high}


def outcome_sentence(outcome: Any) -> str:
    """An outcome as a natural frequency.

    The profile's text is the full sentence ("About 50 in 100 people had almost clear skin
    at week 16."), written by the content author with its comparison and time; only when
    it is missing is one built from the numbers.
    """
    text = pick(_get(outcome, "text"))
    if text:
        return text
    sentence = gettext("%(count)s in %(per)s people") % {
        "count": number_text(_get(outcome, "count")),
        "per": _get(outcome, "per"),
    }
    horizon = pick(_get(outcome, "horizon"))
    if horizon:
        return gettext("%(sentence)s (%(horizon)s)") % {"sentence": sentence, "horizon": horizon}
    return sentence


# --- sentences ----------------------------------------------------------------------------


def fit_sentence(weighing: Any, option: Any) -> str:
    """ "Fits your priorities mainly because of …; the trade-off is … (… does better there)."""
    explanation = _get(option, "explanation")
    trade_off = _get(explanation, "main_trade_off")
    # A criterion can be both a large contribution and the largest shortfall (it helps, but
    # another option does much better there); naming it as both would read as a contradiction.
    drivers = [
        criterion_phrase(key, weighing)
        for key in _get(explanation, "top_drivers", ())
        if key != trade_off
    ]
    better = _get(explanation, "trade_off_best_option")
    if drivers and trade_off and better:
        return gettext(
            "Fits your priorities mainly because of %(drivers)s; the trade-off is "
            "%(trade_off)s (%(better_option)s does better there)."
        ) % {
            "drivers": join_words(drivers),
            "trade_off": criterion_phrase(trade_off, weighing),
            "better_option": option_name(weighing, better),
        }
    if drivers:
        return gettext(
            "Fits your priorities mainly because of %(drivers)s; no other option does better "
            "on any of them."
        ) % {"drivers": join_words(drivers)}
    if trade_off and better:
        return gettext(
            "Fits few of your priorities; the trade-off is %(trade_off)s "
            "(%(better_option)s does better there)."
        ) % {
            "trade_off": criterion_phrase(trade_off, weighing),
            "better_option": option_name(weighing, better),
        }
    return gettext("All options look the same on what you said matters.")


def reason_sentence(weighing: Any, reason: Any, *, audience: str = PATIENT) -> str:
    """Why an option is not suitable now, or a caution, for the patient or the clinician."""
    rule_id, code = _get(reason, "rule_id"), _get(reason, "code")
    if rule_id or code == "out_of_scope":
        # Rules, and an indication's scope, carry their own messages.
        message = _get(reason, f"{audience}_message") or _get(reason, "patient_message")
        return pick(message) or rule_id or str(code)
    detail = _get(reason, "detail") or {}
    therapy = option_name(weighing, detail.get("therapy"))
    if audience == CLINICIAN:
        sentences = {
            "current_treatment": gettext(
                "Current treatment: weighed as the status quo (staying on it)."
            ),
            "did_not_work_before": gettext("%(therapy)s did not work before (patient's report)."),
            "stopped_for_side_effects": gettext(
                "%(therapy)s was stopped for side effects (patient's report)."
            ),
            "bridge_therapy": gettext(
                "Guidelines use this as a short bridge while another treatment starts."
            ),
            "background_therapy": gettext(
                "Background therapy: taken alongside the other options, not instead of them."
            ),
            "status_quo_active_disease": gettext(
                "Active disease not controlled by a current treatment: guidelines treat it."
            ),
        }
    else:
        sentences = {
            "current_treatment": gettext(
                "You take this now. Staying on it is the “no change” option."
            ),
            "did_not_work_before": gettext("You told us %(therapy)s did not work for you."),
            "stopped_for_side_effects": gettext(
                "You told us you stopped %(therapy)s because of side effects."
            ),
            "bridge_therapy": gettext(
                "This is usually used for a short time, while another treatment starts to work."
            ),
            "background_therapy": gettext(
                "This is usually taken alongside your other treatment, not instead of it."
            ),
            "status_quo_active_disease": gettext(
                "Your answers show your condition is active, and staying the same is not "
                "expected to help it."
            ),
        }
    if code in sentences:
        return sentences[code] % {"therapy": therapy}
    return str(code)


def adjustment_sentence(weighing: Any, adjustment: Any, *, audience: str = PATIENT) -> str:
    reason = _get(adjustment, "reason")
    if _get(reason, "code") == "same_class_did_not_work":
        detail = _get(reason, "detail") or {}
        therapies = join_words(
            [option_name(weighing, slug) for slug in detail.get("therapies", [])]
        )
        if audience == CLINICIAN:
            return gettext(
                "Same target class (%(target_class)s) as %(therapies)s, which did not work: "
                "expected effect lowered (×%(multiplier)s)."
            ) % {
                "target_class": detail.get("target_class", ""),
                "therapies": therapies,
                "multiplier": number_text(_get(adjustment, "multiplier")),
            }
        return gettext(
            "It works in a similar way to %(therapies)s, which did not work for you, so it "
            "may work less well for you."
        ) % {"therapies": therapies}
    return reason_sentence(weighing, reason, audience=audience)


def conflict_sentence(weighing: Any, conflict: Any, *, audience: str = PATIENT) -> str:
    """A stated limit the option goes against, worded for the patient or the clinician."""
    kind, detail = _get(conflict, "kind"), _get(conflict, "detail") or {}
    you = audience == PATIENT
    if kind == "above_risk_limit":
        values = {
            "risk": number_text(detail.get("risk_per_1000")),
            "limit": risk_limit_label(detail.get("limit")),
        }
        if you:
            return (
                gettext(
                    "Its risk of serious harm (about %(risk)s in 1000 people a year) is above the "
                    "limit you chose (%(limit)s)."
                )
                % values
            )
        return (
            gettext(
                "Serious-harm risk about %(risk)s/1000/year, above the patient's limit (%(limit)s)."
            )
            % values
        )
    if kind == "risk_unknown":
        if you:
            return gettext(
                "Its risk of serious harm is not known well enough to compare with the limit "
                "you chose (%(limit)s)."
            ) % {"limit": risk_limit_label(detail.get("limit"))}
        return gettext("Serious-harm risk unknown; the patient set a limit (%(limit)s).") % {
            "limit": risk_limit_label(detail.get("limit"))
        }
    if kind == "experimental_not_wanted":
        if detail.get("openness") == "no":
            if you:
                return gettext(
                    "This is experimental, and you said you would not consider an "
                    "experimental treatment."
                )
            return gettext("Experimental; the patient would not consider experimental treatment.")
        if you:
            return gettext(
                "This is experimental, and you were not sure about experimental treatment."
            )
        return gettext("Experimental; the patient is unsure about experimental treatment.")
    if kind == "route_refused":
        values = {
            "refused": routes_text(detail.get("refused", [])),
            "acceptable": routes_text(detail.get("acceptable", [])),
        }
        if detail.get("acceptable"):
            if you:
                return (
                    gettext(
                        "It can be given as %(refused)s, which you would rather avoid, but also as "
                        "%(acceptable)s."
                    )
                    % values
                )
            return (
                gettext("Route %(refused)s not accepted by the patient; %(acceptable)s is.")
                % values
            )
        if you:
            return gettext("It is given as %(refused)s, which you said you would not accept.") % (
                values
            )
        return gettext("Route %(refused)s not accepted by the patient.") % values
    if kind == "injections_not_wanted":
        if _get(conflict, "level") == "conflict":
            if you:
                return gettext(
                    "It is given by injection or infusion, which you would rather avoid."
                )
            return gettext("Given by needle; the patient would rather avoid injections.")
        if you:
            return gettext("It can be given by injection, but also another way.")
        return gettext("Can be injected; the patient would rather avoid injections.")
    return str(kind)


def sensitivity_sentence(weighing: Any) -> str:
    """How robust first place is, in one or two sentences."""
    sensitivity = _get(weighing, "sensitivity")
    leader = _get(sensitivity, "leader")
    if leader is None:
        return gettext("No option could be weighed.")
    runner_up = _get(sensitivity, "runner_up")
    if runner_up is None:
        if len(_get(weighing, "ranked", ())) > 1:
            # The leader is alone in its group: no weight change can move it.
            return gettext(
                "Only %(leader)s is in its group; the options after it are there for the "
                "reason given with each."
            ) % {"leader": option_name(weighing, leader)}
        return gettext("Only one option could be weighed.")
    names = {
        "leader": option_name(weighing, leader),
        "runner_up": option_name(weighing, runner_up),
        "margin": number_text(round(_get(sensitivity, "margin"))),
    }
    close_call = _get(sensitivity, "close_call")
    if not close_call:
        sentence = (
            gettext(
                "%(leader)s fits your priorities best, %(margin)s points ahead of %(runner_up)s."
            )
            % names
        )
    else:
        sentence = (
            gettext(
                "This is a close call: %(leader)s and %(runner_up)s fit your priorities almost "
                "equally well."
            )
            % names
        )
    change = _get(sensitivity, "smallest_change")
    if change and close_call:
        values = {
            "criterion": criterion_phrase(_get(change, "criterion"), weighing),
            "option": option_name(weighing, _get(change, "new_leader")),
        }
        if _get(change, "delta") > 0:
            extra = gettext(
                "If %(criterion)s mattered a little more to you, %(option)s would fit best."
            )
        else:
            extra = gettext(
                "If %(criterion)s mattered a little less to you, %(option)s would fit best."
            )
        sentence = pgettext("two sentences", "%(first)s %(second)s") % {
            "first": sentence,
            "second": extra % values,
        }
    return sentence


def priorities_sentence(weighing: Any, *, top: int = 3) -> str:
    """ "What matters most to you: how well it works, then …"."""
    if not _get(_get(weighing, "preferences"), "ranking_given"):
        return gettext("You did not rank what matters most, so every criterion counts the same.")
    names = [criterion_phrase(key, weighing) for key in _get(weighing, "priority", ())[:top]]
    if len(names) == 1:
        return gettext("What matters most to you: %(first)s.") % {"first": names[0]}
    return gettext("What matters most to you: %(first)s, then %(rest)s.") % {
        "first": names[0],
        "rest": join_words(names[1:]),
    }

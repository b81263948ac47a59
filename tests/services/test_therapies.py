"""Loading therapy profiles from the content files (services.therapies)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from questionnaires.models import (
    Criterion,
    Evidence,
    Indication,
    OutcomeEstimate,
    RuleEvidence,
    Therapy,
    TherapyRule,
)
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.therapies import therapies_load, therapy_revision_bump
from questionnaires.services.therapy_content import (
    THERAPY_DIR,
    demo_definition,
    rule_condition_problems,
    therapy_content_problems,
)
from tests.therapy_content import REFERENCE_A, rules_document, therapies_document, write_content


def _history_rows() -> int:
    models = (Criterion, Evidence, Therapy, Indication, OutcomeEstimate, TherapyRule, RuleEvidence)
    return sum(model.history.count() for model in models)


def _entry(document, slug):
    return next(entry for entry in document["therapies"] if entry["slug"] == slug)


@pytest.mark.django_db
def test_loads_everything_in_both_languages(tmp_path):
    report = therapies_load(path=write_content(tmp_path))

    assert report.created == {"criterion": 7, "evidence": 2, "therapy": 5, "rule": 2}
    alpha = Therapy.objects.get(slug="alpha_mab")
    assert (alpha.name_en, alpha.name_zh_hans) == ("Alpha Mab", "Alpha Mab（中文）")
    assert alpha.common_side_effects_en == "Sore throat\nRedness where injected"
    assert (alpha.onset_weeks_min, alpha.onset_weeks_max) == (2, 4)
    psoriasis = alpha.indications.get(disease="psoriasis")
    assert psoriasis.decimal_values()["effectiveness"] == Decimal(80)
    assert psoriasis.severity == "moderate_to_severe"
    outcome = psoriasis.outcomes.get()
    assert (outcome.count, outcome.per, outcome.evidence.url) == (
        Decimal("80.0"),
        100,
        REFERENCE_A["url"],
    )
    assert alpha.indications.get(disease="multiple_sclerosis").status == "not_recommended"
    assert [link.evidence.url for link in alpha.references.all()] == [REFERENCE_A["url"]]
    rule = TherapyRule.objects.get(rule_id="ibd_il17_caution")
    assert rule.applies_to() == ("IL-17",)
    assert rule.patient_message_zh_hans.endswith("（中文）")
    assert Therapy.objects.get(slug="no_change").indications.count() == 5


@pytest.mark.django_db
def test_loading_twice_writes_nothing_the_second_time(tmp_path):
    therapies_load(path=write_content(tmp_path))
    history_before = _history_rows()

    report = therapies_load(path=tmp_path)

    assert not report.changed
    assert _history_rows() == history_before
    assert Therapy.objects.get(slug="alpha_mab").revision == 1


@pytest.mark.django_db
def test_a_changed_entry_is_updated_with_history_and_a_new_revision(tmp_path):
    document = therapies_document()
    therapies_load(path=write_content(tmp_path, therapies=document))
    changed = copy.deepcopy(document)
    _entry(changed, "alpha_mab")["indications"]["psoriasis"]["values"]["effectiveness"] = 85
    _entry(changed, "alpha_mab")["downsides"]["en"] = "Infections, sometimes serious."

    report = therapies_load(path=write_content(tmp_path, therapies=changed))

    assert report.updated["therapy"] == 1
    assert report.unchanged["therapy"] == 4
    alpha = Therapy.objects.get(slug="alpha_mab")
    assert alpha.revision == 2
    assert alpha.downsides_en == "Infections, sometimes serious."
    indication = alpha.indications.get(disease="psoriasis")
    assert indication.decimal_values()["effectiveness"] == Decimal(85)
    earlier = indication.history.order_by("history_id").first()
    assert earlier.values["effectiveness"] == "80"
    assert alpha.history.filter(downsides_en="Infections.").exists()
    assert Therapy.objects.get(slug="beta_mab").revision == 1


@pytest.mark.django_db
def test_an_indication_dropped_from_the_file_is_deleted(tmp_path):
    document = therapies_document()
    therapies_load(path=write_content(tmp_path, therapies=document))
    del _entry(document, "alpha_mab")["indications"]["multiple_sclerosis"]

    therapies_load(path=write_content(tmp_path, therapies=document))

    alpha = Therapy.objects.get(slug="alpha_mab")
    assert list(alpha.indications.values_list("disease", flat=True)) == ["psoriasis"]
    assert alpha.revision == 2


@pytest.mark.django_db
def test_admin_edits_survive_a_reload_of_an_unchanged_file_but_not_force(tmp_path):
    therapies_load(path=write_content(tmp_path))
    alpha = Therapy.objects.get(slug="alpha_mab")
    alpha.benefits_en = "Edited in the admin."
    alpha.save()

    therapies_load(path=tmp_path)
    assert Therapy.objects.get(slug="alpha_mab").benefits_en == "Edited in the admin."

    report = therapies_load(path=tmp_path, force=True)
    assert report.updated["therapy"] == 1
    assert Therapy.objects.get(slug="alpha_mab").benefits_en == "Clearer skin."


@pytest.mark.django_db
def test_a_rule_change_updates_the_rule_and_its_evidence(tmp_path):
    rules = rules_document()
    therapies_load(path=write_content(tmp_path, rules=rules))
    rules["rules"][1]["effect"] = "not_suitable"
    rules["rules"][1]["evidence"] = [REFERENCE_A["url"]]

    report = therapies_load(path=write_content(tmp_path, rules=rules))

    assert report.updated["rule"] == 1
    rule = TherapyRule.objects.get(rule_id="ibd_il17_caution")
    assert (rule.effect, rule.revision) == ("not_suitable", 2)
    assert [link.evidence.url for link in rule.evidence_links.all()] == [REFERENCE_A["url"]]


@pytest.mark.django_db
def test_the_same_source_cited_twice_is_one_row_with_the_latest_check(tmp_path):
    document = therapies_document()
    newer = {**REFERENCE_A, "checked": "2025-06-01", "next_review": "2026-06-01"}
    _entry(document, "beta_mab")["references"] = [newer]
    therapies_load(path=write_content(tmp_path, therapies=document))

    evidence = Evidence.objects.get(url=REFERENCE_A["url"])
    assert evidence.checked.isoformat() == "2025-06-01"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "break_it, expected",
    [
        (lambda t, r: _entry(t, "alpha_mab").update(family="wizardry"), "unknown family"),
        (lambda t, r: _entry(t, "alpha_mab").update(routes=["by_post"]), "unknown route"),
        (
            lambda t, r: _entry(t, "alpha_mab")["indications"]["psoriasis"]["values"].update(
                smell=2
            ),
            "unknown criterion 'smell'",
        ),
        (
            lambda t, r: _entry(t, "alpha_mab")["indications"]["psoriasis"]["outcomes"][0].update(
                count=120
            ),
            "the count must be a number from 0 to 100",
        ),
        (
            lambda t, r: _entry(t, "no_change")["indications"].pop("vitiligo"),
            "missing: vitiligo",
        ),
        (lambda t, r: t["therapies"].pop(0), "'no_change' is missing"),
        (
            lambda t, r: r["rules"][0].update(
                condition={"q": "no_such_question", "op": "answered"}
            ),
            "unknown question 'no_such_question'",
        ),
        (
            lambda t, r: r["rules"][0].update(
                condition={"q": "prior_therapy", "op": "eq", "value": "alpha_mab"}
            ),
            "belongs to a repeat group",
        ),
        (
            lambda t, r: r["rules"][0].update(
                condition={"q": "safety_pregnancy", "op": "eq", "value": "yes"}
            ),
            "compare it with true or false",
        ),
        (
            lambda t, r: r["rules"][0]["applies_to"].update(therapies=["omega_mab"]),
            "unknown therapy 'omega_mab'",
        ),
        (lambda t, r: r["rules"][0].update(effect="adjust"), "exactly one of multiplier, delta"),
        (lambda t, r: t.update(format_version=2), "not supported"),
        (
            lambda t, r: _entry(t, "alpha_mab").update(administration="by_owl"),
            "unknown administration 'by_owl'",
        ),
        (
            lambda t, r: _entry(t, "alpha_mab")["indications"]["psoriasis"].update(role="hero"),
            "unknown role 'hero'",
        ),
        (
            lambda t, r: _entry(t, "alpha_mab")["indications"]["psoriasis"].update(
                scope={
                    "condition": {"q": "no_such_question", "op": "answered"},
                    "note": {"en": "x"},
                }
            ),
            "unknown question 'no_such_question'",
        ),
        (
            lambda t, r: _entry(t, "alpha_mab")["indications"]["psoriasis"].update(
                text={"slogan": {"en": "Buy it"}}
            ),
            "unknown text field 'slogan'",
        ),
    ],
)
def test_invalid_content_is_refused_and_nothing_is_written(tmp_path, break_it, expected):
    therapies, rules = therapies_document(), rules_document()
    break_it(therapies, rules)
    write_content(tmp_path, therapies=therapies, rules=rules)

    with pytest.raises(ServiceRefused) as refused:
        therapies_load(path=tmp_path)

    assert any(expected in message for message in refused.value.messages), refused.value.messages
    assert not Therapy.objects.exists()
    assert not Evidence.objects.exists()


def test_rule_conditions_may_use_derived_keys():
    definition = demo_definition()
    therapies, rules = therapies_document(), rules_document()
    rules["rules"][0]["condition"] = {
        "all": [
            {"q": "scale.activity_psoriasis.severity", "op": "in", "value": ["none", "mild"]},
            {"q": "prior.not_effective", "op": "contains", "value": "alpha_mab"},
            {"q": "prior.stop_reasons", "op": "contains", "value": "infection"},
        ]
    }
    assert (
        therapy_content_problems(therapies_doc=therapies, rules_doc=rules, definition=definition)
        == []
    )
    rules["rules"][0]["condition"] = {
        "q": "scale.activity_psoriasis.severity",
        "op": "eq",
        "value": "awful",
    }
    problems = therapy_content_problems(
        therapies_doc=therapies, rules_doc=rules, definition=definition
    )
    assert [problem.path for problem in problems] == [
        "rules[pregnancy_no_biologic_x].condition.value"
    ]


@pytest.mark.django_db
def test_rule_condition_problems_checks_one_condition_for_the_admin():
    assert rule_condition_problems(condition={"q": "age", "op": "gte", "value": 65}) == []
    assert rule_condition_problems(condition=None) == []
    problems = rule_condition_problems(condition={"q": "age", "op": "contains", "value": 65})
    assert len(problems) == 1 and "does not fit question 'age'" in problems[0].message


@pytest.mark.django_db
def test_revision_bump_counts_up_and_is_recorded(tmp_path):
    therapies_load(path=write_content(tmp_path))
    alpha = Therapy.objects.get(slug="alpha_mab")
    history_before = alpha.history.count()

    therapy_revision_bump(therapy=alpha)
    therapy_revision_bump(therapy=alpha)

    assert Therapy.objects.get(pk=alpha.pk).revision == 3
    assert alpha.history.count() == history_before + 2


def test_the_shipped_content_has_no_problems():
    therapies = json.loads((THERAPY_DIR / "therapies.json").read_text(encoding="utf-8"))
    rules = json.loads((THERAPY_DIR / "rules.json").read_text(encoding="utf-8"))
    problems = therapy_content_problems(
        therapies_doc=therapies, rules_doc=rules, definition=demo_definition()
    )
    assert problems == []


@pytest.mark.django_db
def test_issue_8_fields_load_and_a_retired_rule_is_inactive(tmp_path):
    therapies, rules = therapies_document(), rules_document()
    alpha = _entry(therapies, "alpha_mab")
    alpha["administration"] = "injection_4_12_weeks"
    scope = {
        "condition": {"q": "safety_ibd", "op": "eq", "value": False},
        "note": {"en": "Not with IBD.", "zh-hans": "炎症性肠病患者不用。"},
        "evidence": [REFERENCE_A["url"]],
    }
    alpha["indications"]["psoriasis"].update(
        role="background", scope=scope, text={"benefits": {"en": "For psoriasis."}}
    )
    rules["rules"][0]["active"] = False
    write_content(tmp_path, therapies=therapies, rules=rules)

    therapies_load(path=tmp_path)

    therapy = Therapy.objects.get(slug="alpha_mab")
    assert therapy.administration == "injection_4_12_weeks"
    indication = therapy.indications.get(disease="psoriasis")
    assert indication.role == "background"
    assert indication.scope == scope
    assert indication.text == {"benefits": {"en": "For psoriasis."}}
    assert TherapyRule.objects.get(rule_id=rules["rules"][0]["id"]).active is False

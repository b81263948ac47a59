"""Therapy profile models: the invariants the admin and the loader both rely on."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from questionnaires.models import (
    Criterion,
    Evidence,
    Indication,
    OutcomeEstimate,
    SimulationCase,
    Therapy,
    TherapyRule,
)


def make_therapy(**overrides) -> Therapy:
    values = {
        "slug": "alpha_mab",
        "name_en": "Alpha",
        "family": "monoclonal_antibody",
        "routes": ["subcutaneous"],
    }
    values.update(overrides)
    return Therapy(**values)


def make_rule(**overrides) -> TherapyRule:
    values = {
        "rule_id": "r1",
        "therapies": ["alpha_mab"],
        "effect": "caution",
        "condition": {"q": "safety_pregnancy", "op": "eq", "value": True},
        "clinician_message_en": "Careful.",
        "patient_message_en": "Ask your doctor.",
    }
    values.update(overrides)
    return TherapyRule(**values)


def test_evidence_is_overdue_only_after_its_review_date():
    evidence = Evidence(
        citation="A", checked=datetime.date(2024, 1, 1), next_review=datetime.date(2025, 1, 1)
    )
    assert not evidence.is_overdue(datetime.date(2025, 1, 1))
    assert evidence.is_overdue(datetime.date(2025, 1, 2))


@pytest.mark.django_db
def test_evidence_review_cannot_precede_the_check():
    evidence = Evidence(
        citation="A", checked=datetime.date(2025, 1, 2), next_review=datetime.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError):
        evidence.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        evidence.save()


@pytest.mark.django_db
def test_evidence_addresses_are_unique_but_empty_addresses_are_not():
    day = datetime.date(2025, 1, 1)
    Evidence.objects.create(citation="A", url="", checked=day, next_review=day)
    Evidence.objects.create(citation="B", url="", checked=day, next_review=day)
    Evidence.objects.create(citation="C", url="https://example.org/a", checked=day, next_review=day)
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(
            citation="D", url="https://example.org/a", checked=day, next_review=day
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"routes": ["by_post"]}, "routes"),
        ({"routes": "oral"}, "routes"),
        ({"routes": ["oral", "oral"]}, "routes"),
        ({"onset_weeks_min": 8, "onset_weeks_max": 2}, "onset_weeks_max"),
        ({"slug": "alpha", "family": "status_quo"}, "family"),
        ({"slug": "Alpha-Mab"}, "slug"),
    ],
)
def test_therapy_refuses_bad_profiles(overrides, field):
    with pytest.raises(ValidationError) as refused:
        make_therapy(**overrides).full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_a_valid_therapy_passes_and_starts_at_revision_one():
    therapy = make_therapy(onset_weeks_min=2, onset_weeks_max=4)
    therapy.full_clean()
    therapy.save()
    assert therapy.revision == 1
    assert not therapy.is_status_quo
    assert make_therapy(slug="no_change", family="status_quo", routes=[]).is_status_quo


@pytest.mark.django_db
def test_indication_values_must_be_numbers_for_known_criteria():
    therapy = make_therapy()
    therapy.save()
    Criterion.objects.create(key="effectiveness", better="higher", name_en="Effect")
    good = Indication(
        therapy=therapy,
        disease="psoriasis",
        status="approved",
        certainty="high",
        values={"effectiveness": "2.5"},
    )
    good.full_clean()
    assert good.decimal_values() == {"effectiveness": Decimal("2.5")}
    for values in ({"speed": 2}, {"effectiveness": "fast"}, {"effectiveness": True}, ["x"]):
        with pytest.raises(ValidationError) as refused:
            Indication(
                therapy=therapy,
                disease="psoriasis",
                status="approved",
                certainty="high",
                values=values,
            ).full_clean()
        assert "values" in refused.value.message_dict


@pytest.mark.django_db
def test_one_indication_per_therapy_and_condition():
    therapy = make_therapy()
    therapy.save()
    Indication.objects.create(
        therapy=therapy, disease="psoriasis", status="approved", certainty="high"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Indication.objects.create(
            therapy=therapy, disease="psoriasis", status="off_label", certainty="low"
        )


@pytest.mark.django_db
def test_an_outcome_count_cannot_exceed_its_denominator():
    therapy = make_therapy()
    therapy.save()
    indication = Indication.objects.create(
        therapy=therapy, disease="psoriasis", status="approved", certainty="high"
    )
    outcome = OutcomeEstimate(
        indication=indication,
        text_en="had clear skin",
        count=Decimal("101"),
        per=100,
        horizon_en="16 weeks",
        certainty="high",
    )
    with pytest.raises(ValidationError):
        outcome.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        outcome.save()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"effect": "adjust"}, "criterion"),
        ({"effect": "adjust", "criterion": "speed"}, "multiplier"),
        (
            {
                "effect": "adjust",
                "criterion": "speed",
                "multiplier": Decimal(2),
                "delta": Decimal(1),
            },
            "multiplier",
        ),
        ({"effect": "adjust", "criterion": "speed", "multiplier": Decimal(-1)}, "multiplier"),
        ({"criterion": "speed"}, "criterion"),
        ({"condition": {"q": "x", "op": "between", "value": 1}}, "condition"),
        ({"therapies": []}, "therapies"),
        ({"families": ["wizardry"]}, "families"),
    ],
)
@pytest.mark.django_db
def test_rule_refuses_inconsistent_effects(overrides, field):
    with pytest.raises(ValidationError) as refused:
        make_rule(**overrides).full_clean()
    assert field in refused.value.message_dict


@pytest.mark.django_db
def test_an_adjusting_rule_without_an_amount_is_refused_by_the_database_too():
    rule = make_rule(effect="adjust", criterion="speed")
    with pytest.raises(IntegrityError), transaction.atomic():
        rule.save()
    make_rule(rule_id="r2", effect="adjust", criterion="speed", delta=Decimal(2)).save()


def test_rule_applies_to_every_named_therapy_family_and_class_once():
    rule = make_rule(
        therapies=["a", "b"], families=["monoclonal_antibody"], target_classes=["IL-17", "a"]
    )
    assert rule.applies_to() == ("a", "b", "monoclonal_antibody", "IL-17")


@pytest.mark.django_db
def test_simulation_case_expectation_and_validation():
    case = SimulationCase(
        name="c",
        answers={"condition": "psoriasis"},
        expected_leader="ixekizumab",
        expected_not_suitable=["methotrexate"],
        expected_conflicts={"ahsct": ["route_refused"]},
        expected_cautions=["r1"],
    )
    assert case.expectation() == {
        "leader": "ixekizumab",
        "not_suitable": ["methotrexate"],
        "conflicts": {"ahsct": ["route_refused"]},
        "cautions": ["r1"],
    }
    case.expected_conflicts = {"ahsct": ["too_far"]}
    with pytest.raises(ValidationError) as refused:
        case.clean()
    assert "expected_conflicts" in refused.value.message_dict
    assert "leader" not in SimulationCase(name="d").expectation()


@pytest.mark.django_db
def test_every_therapy_model_keeps_a_history():
    therapy = make_therapy()
    therapy.save()
    therapy.name_en = "Alpha (renamed)"
    therapy.save()
    assert therapy.history.count() == 2
    assert therapy.history.earliest().name_en == "Alpha"
    for model in (Evidence, Criterion, Indication, OutcomeEstimate, TherapyRule, SimulationCase):
        assert hasattr(model, "history"), model

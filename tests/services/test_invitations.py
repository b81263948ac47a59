import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from questionnaires.models import AuditAction, AuditEvent, Invitation
from questionnaires.models.response import hash_token
from questionnaires.services import invitations
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitations import (
    InvitationExpired,
    InvitationUnavailable,
    invitation_create,
    invitation_resolve,
    invitation_revoke,
    invitation_url,
)
from tests.factories import clinic_definition, draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def questionnaire():
    return publish(clinic_definition()).questionnaire


def test_token_has_at_least_128_random_bits_and_only_its_hash_is_stored(questionnaire):
    invitation, token = invitation_create(questionnaire=questionnaire, patient_ref="P-1")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) * 8 >= 128
    stored = Invitation.objects.filter(pk=invitation.pk).values()[0]
    assert token not in [str(value) for value in stored.values()]
    assert stored["token_hash"] == hash_token(token)


def test_two_invitations_never_share_a_token(questionnaire):
    tokens = {invitation_create(questionnaire=questionnaire, patient_ref="P")[1] for _ in range(5)}
    assert len(tokens) == 5


def test_defaults_expire_after_the_configured_days_and_audit_without_patient_data(
    questionnaire, settings
):
    settings.SDM_INVITATION_DAYS = 14
    before = timezone.now()
    invitation, _token = invitation_create(questionnaire=questionnaire, patient_ref="P-77")
    assert before + timedelta(days=14) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=14)
    event = AuditEvent.objects.get(action=AuditAction.INVITATION_CREATED)
    assert event.invitation_id_ref == invitation.pk
    assert "P-77" not in str(event.detail) and "P-77" not in event.object_repr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"patient_ref": " "}, "patient reference is needed"),
        ({"patient_ref": "P" * 65}, "too long"),
        ({"disease": "flu"}, "Unknown condition"),
        ({"language": "fr"}, "Unknown language"),
        ({"days": 0}, "from 1 to 365 days"),
        ({"days": 400}, "from 1 to 365 days"),
    ],
)
def test_refuses_bad_input_with_a_readable_reason(questionnaire, arguments, message):
    arguments = {"patient_ref": "P-1", **arguments}
    with pytest.raises(ServiceRefused, match=message):
        invitation_create(questionnaire=questionnaire, **arguments)
    assert not Invitation.objects.exists()


def test_refuses_a_questionnaire_without_published_version():
    questionnaire = draft(clinic_definition("unpublished")).questionnaire
    with pytest.raises(ServiceRefused, match="no published version"):
        invitation_create(questionnaire=questionnaire, patient_ref="P-1")


def test_refuses_a_condition_other_than_the_questionnaires_own():
    version = publish(clinic_definition("psoriasis-only"))
    version.questionnaire.disease = "psoriasis"
    version.questionnaire.save()
    with pytest.raises(ServiceRefused, match="is for 'psoriasis'"):
        invitation_create(questionnaire=version.questionnaire, patient_ref="P", disease="sle")


def test_resolve_finds_a_valid_invitation(questionnaire):
    invitation, token = invitation_create(questionnaire=questionnaire, patient_ref="P-1")
    assert invitation_resolve(token) == invitation


def test_unknown_and_revoked_tokens_raise_the_same_exception(questionnaire):
    invitation, token = invitation_create(questionnaire=questionnaire, patient_ref="P-1")
    invitation_revoke(invitation=invitation, actor=None)
    for candidate in (token, "unknown-token", "", "x" * 10_000):
        with pytest.raises(InvitationUnavailable) as raised:
            invitation_resolve(candidate)
        assert type(raised.value) is InvitationUnavailable


def test_expired_token_raises_expired(questionnaire):
    invitation, token = invitation_create(questionnaire=questionnaire, patient_ref="P-1")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    with pytest.raises(InvitationExpired):
        invitation_resolve(token)


def test_unknown_tokens_also_go_through_the_constant_time_comparison(questionnaire, monkeypatch):
    calls = []
    real = invitations.hmac.compare_digest

    def spy(left, right):
        calls.append((left, right))
        return real(left, right)

    monkeypatch.setattr(invitations.hmac, "compare_digest", spy)
    with pytest.raises(InvitationUnavailable):
        invitation_resolve("unknown-token")
    _invitation, token = invitation_create(questionnaire=questionnaire, patient_ref="P-1")
    invitation_resolve(token)
    assert len(calls) == 2
    assert calls[0][1] == hash_token("unknown-token")


def test_revoke_is_recorded_once(questionnaire):
    invitation, _token = invitation_create(questionnaire=questionnaire, patient_ref="P-1")
    first = invitation_revoke(invitation=invitation, actor=None).revoked_at
    assert invitation_revoke(invitation=invitation, actor=None).revoked_at == first
    assert AuditEvent.objects.filter(action=AuditAction.INVITATION_REVOKED).count() == 1


def test_invitation_url_uses_the_given_or_configured_base(settings):
    settings.SDM_BASE_URL = "https://sdm.example.org/"
    assert invitation_url("abc") == "https://sdm.example.org/p/abc/"
    assert invitation_url("abc", base_url="http://kiosk:8000") == "http://kiosk:8000/p/abc/"


def test_tokens_never_start_with_a_dash(monkeypatch):
    values = iter(["-starts-with-dash", "fine-token"])
    monkeypatch.setattr(invitations.secrets, "token_urlsafe", lambda _bytes: next(values))
    assert invitations.new_token() == "fine-token"


def test_the_same_idempotency_key_creates_one_invitation_only(questionnaire):
    from questionnaires.services.invitations import InvitationAlreadyCreated

    kwargs = {"questionnaire": questionnaire, "patient_ref": "IDEM-1", "idempotency_key": "k" * 24}
    first, _token = invitation_create(**kwargs)
    for _ in range(3):
        with pytest.raises(InvitationAlreadyCreated) as again:
            invitation_create(**kwargs)
        assert again.value.invitation.pk == first.pk
    assert Invitation.objects.filter(patient_ref="IDEM-1").count() == 1
    other, _ = invitation_create(**{**kwargs, "idempotency_key": "m" * 24})
    assert other.pk != first.pk

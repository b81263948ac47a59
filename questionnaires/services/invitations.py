"""Invitations: the only way a patient reaches a questionnaire.

A token is 32 random bytes (256 bits) from ``secrets``, URL-safe base64 encoded.
Only its SHA-256 hash is stored, so a database leak does not hand out working
links. ``invitation_resolve`` treats an unknown and a revoked token alike (same
exception, same work: one indexed lookup and one constant-time comparison), so a
guesser cannot tell which tokens exist; rate limiting per client IP is done by the
view that calls it.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from questionnaires.i18n import language_codes
from questionnaires.models import AuditAction, Disease, Invitation, Questionnaire
from questionnaires.models.response import hash_token
from questionnaires.selectors.definitions import version_cached
from questionnaires.services.audit import audit_record
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitation_codes import code_for_token, code_hash, looks_like_code

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128  # a real token has 43 characters; anything far longer is noise
MAX_DAYS = 365
# Compared against when no row matches, so an unknown token costs what a known one costs.
_NO_MATCH_HASH = hash_token("no invitation has this token")


class InvitationUnavailable(Exception):
    """The token is unknown or its invitation was revoked (deliberately indistinguishable)."""


class InvitationExpired(InvitationUnavailable):
    """The invitation exists but its time ran out."""


def new_token() -> str:
    """256 random bits, URL-safe; never starting with "-", which command lines read as an option
    (skipping those costs less than 0.03 bits)."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


class InvitationAlreadyCreated(ServiceRefused):
    """This idempotency key already made an invitation (its token cannot be shown again)."""

    def __init__(self, invitation: Invitation):
        super().__init__(["This form was already sent: the invitation exists."])
        self.invitation = invitation


@transaction.atomic
def invitation_create(
    *,
    questionnaire: Questionnaire,
    patient_ref: str,
    disease: str = "",
    language: str = "en",
    days: int | None = None,
    team=None,
    actor=None,
    idempotency_key: str | None = None,
    appointment_date: date | None = None,
) -> tuple[Invitation, str]:
    """A new invitation and its token; the token is returned once and never stored.

    The invitation's short type-in code is derived from the token
    (``invitation_codes.code_for_token``); only its keyed hash is stored.

    With ``idempotency_key`` (the invite form's one-time id), a second call with the same
    key creates nothing and raises ``InvitationAlreadyCreated``; the database's unique
    constraint decides between simultaneous posts, on any number of app servers.
    """
    if idempotency_key:
        existing = Invitation.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            raise InvitationAlreadyCreated(existing)
    patient_ref = (patient_ref or "").strip()
    days = settings.SDM_INVITATION_DAYS if days is None else days
    problems = []
    if not patient_ref:
        problems.append("A patient reference is needed (a pseudonymous code, never a name).")
    elif len(patient_ref) > Invitation._meta.get_field("patient_ref").max_length:
        problems.append("The patient reference is too long (at most 64 characters).")
    if disease and disease not in Disease.values:
        problems.append(f"Unknown condition '{disease}'; use one of {', '.join(Disease.values)}.")
    elif disease and questionnaire.disease and disease != questionnaire.disease:
        problems.append(
            f"Questionnaire '{questionnaire.slug}' is for '{questionnaire.disease}', "
            f"not '{disease}'."
        )
    if language not in language_codes():
        problems.append(f"Unknown language '{language}'; use one of {', '.join(language_codes())}.")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        problems.append(f"An invitation lasts from 1 to {MAX_DAYS} days, not {days}.")
    if questionnaire.published_version() is None:
        problems.append(f"Questionnaire '{questionnaire.slug}' has no published version.")
    if appointment_date is not None and appointment_date < timezone.localdate():
        problems.append("The appointment date is in the past.")
    if problems:
        raise ServiceRefused(problems)

    token, code_digest = _new_token_and_code_hash()
    now = timezone.now()
    invitation = Invitation(
        token_hash=hash_token(token),
        code_hash=code_digest,
        appointment_date=appointment_date,
        patient_ref=patient_ref,
        team=team,
        questionnaire=questionnaire,
        disease=disease,
        language=language,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        expires_at=now + timedelta(days=days),
        idempotency_key=idempotency_key or None,
    )
    invitation.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        existing = Invitation.objects.filter(idempotency_key=idempotency_key).first()
        if idempotency_key and existing is not None:
            raise InvitationAlreadyCreated(existing) from None
        raise
    audit_record(
        action=AuditAction.INVITATION_CREATED,
        actor=actor,
        team=team,
        invitation_id=invitation.pk,
        object_repr=f"invitation {invitation.pk}",
        detail={"questionnaire": questionnaire.slug, "days": days},
    )
    return invitation, token


def _new_token_and_code_hash() -> tuple[str, str]:
    """A token whose derived code no other invitation has (a clash is astronomically rare,
    and the unique constraint would catch the race)."""
    while True:
        token = new_token()
        digest = code_hash(code_for_token(token))
        if not Invitation.objects.filter(code_hash=digest).exists():
            return token, digest


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    """Stop a link from working (idempotent: revoking twice keeps the first time)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.revoked_at is not None:
        return invitation
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = actor if getattr(actor, "is_authenticated", False) else None
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action=AuditAction.INVITATION_REVOKED,
        actor=actor,
        team=invitation.team,
        invitation_id=invitation.pk,
        object_repr=f"invitation {invitation.pk}",
    )
    return invitation


@transaction.atomic
def invitation_delete(*, invitation: Invitation, actor) -> None:
    """Delete an invitation nobody answered (a mistyped reference, a duplicate).

    One with a response is refused: its answers are erased through ``response_erase``,
    which keeps the invitation, revoked, as the record that something existed.
    """
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if response_of(locked) is not None:
        raise ServiceRefused(
            "This invitation has a response: erase the response instead; the invitation "
            "then stays, revoked, as the record that it existed."
        )
    invitation_id, team = locked.pk, locked.team
    locked.delete()
    audit_record(
        action=AuditAction.INVITATION_DELETED,
        actor=actor,
        team=team,
        invitation_id=invitation_id,
        object_repr=f"invitation {invitation_id}",
    )


def invitation_resolve(token: str) -> Invitation:
    """The usable invitation for ``token``.

    Raises ``InvitationExpired`` for an expired one and ``InvitationUnavailable`` for
    an unknown or revoked one. Any response comes in the same query; its version comes
    from the per-process cache by the id and definition hash read with it (every patient
    page runs this query: it joins only what every page uses). The questionnaire and team
    are read when asked for.
    """
    token = token if isinstance(token, str) else ""
    # A patient's journey URL carries the token, or the type-in code in its canonical form.
    by_code = looks_like_code(token)
    digest = code_hash(token) if by_code else hash_token(token[:MAX_TOKEN_LENGTH])
    found = (
        Invitation.objects.select_related("response")
        .annotate(response_version_hash=F("response__version__definition_hash"))
        .filter(**{"code_hash" if by_code else "token_hash": digest})
        .order_by()[:1]  # both hashes are unique: no ordering to compile or sort by
    )
    invitation = next(iter(found), None)
    if invitation is None:
        stored = _NO_MATCH_HASH
    else:
        stored = invitation.code_hash if by_code else invitation.token_hash
    matches = hmac.compare_digest(stored, digest)
    if invitation is None or not matches or invitation.is_revoked:
        raise InvitationUnavailable
    if invitation.is_expired():
        raise InvitationExpired
    response = response_of(invitation)
    if response is not None:
        response.version = version_cached(response.version_id, invitation.response_version_hash)
    return invitation


@transaction.atomic
def invitation_set_language(*, invitation: Invitation, language: str) -> Invitation:
    """The patient's language before a response exists (or after it is submitted)."""
    if language not in language_codes():
        raise ServiceRefused([f"Unknown language '{language}'."])
    Invitation.objects.filter(pk=invitation.pk).update(language=language)
    invitation.language = language
    return invitation


def invitation_url(token: str, *, base_url: str | None = None) -> str:
    """The link a patient opens (base URL from ``SDM_BASE_URL`` unless given)."""
    base = (base_url or settings.SDM_BASE_URL).rstrip("/")
    return base + reverse("patient:landing", kwargs={"token": token})


def response_of(invitation: Invitation):
    """The invitation's response, or None (no query when it was selected with it)."""
    try:
        return invitation.response
    except Invitation.response.RelatedObjectDoesNotExist:
        return None

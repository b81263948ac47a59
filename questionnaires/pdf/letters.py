"""The printable invitation letter (PDF, in the patient's language) and the QR code.

Why the letter is made from a token posted back, not from a stored one: the clear token exists
only in the response to the "invite a patient" POST (only its hash is stored). The "invitation
created" page shows the link and offers "Download the letter" as a small form that POSTs the
token back (in the request body, never in a URL) to a team-only, CSRF-protected view. That view
checks the token against the stored hash, renders the PDF and sends it with ``no-store``.
So the token is never written anywhere on the server (no cache, no session, no table, no log,
no later-usable URL), the PDF costs CPU only when someone asks for it, and a lost page cannot
be recovered: the clinician revokes the invitation and creates a new one.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from questionnaires.models import Invitation
from questionnaires.pdf.rendering import pdf_render
from questionnaires.services.invitation_codes import code_for_token, grouped
from questionnaires.services.invitations import invitation_url

LETTER_STYLESHEET = "css/print-letter.css"


def patient_link(token: str) -> str:
    """The absolute patient URL for an invitation token (the only URL that may carry it)."""
    return invitation_url(token)


def qr_code_svg(*, link: str, scale: int = 4) -> SafeString:
    """An inline SVG QR code for ``link``, made on the server.

    segno's inline SVG has no ``style`` attribute (the Content Security Policy forbids inline
    styles), only presentation attributes; a white background keeps it scannable in dark mode.
    """
    import segno  # only when a letter is made: commands and workers need not load it

    code = segno.make(link, error="m")
    svg = code.svg_inline(scale=scale, dark="#000", light="#fff", svgclass="qr-code", omitsize=True)
    # segno builds the SVG from the QR matrix only; the link text never appears in it.
    return mark_safe(svg)  # noqa: S308


def invitation_letter_context(*, invitation: Invitation, token: str) -> dict:
    """Everything the letter template shows; call inside the patient's language."""
    version = invitation.questionnaire.published_version()
    link = patient_link(token)
    return {
        "invitation": invitation,
        "link": link,
        "qr_svg": qr_code_svg(link=link, scale=5),
        "code": invitation_code_text(token),
        "code_page": code_page_url(),
        "questionnaire_title": version.title if version else invitation.questionnaire.slug,
        "estimated_minutes": version.estimated_minutes if version else None,
        "team_name": invitation.team.name if invitation.team else "",
        "team_contact": invitation.team.contact if invitation.team else "",
        "appointment_date": invitation.appointment_date,
    }


def invitation_code_text(token: str) -> str:
    """The invitation's type-in code as printed: ``ABCD-EFGH-JK``."""
    return grouped(code_for_token(token))


def code_page_url() -> str:
    """The absolute address of the "enter your code" page."""
    return settings.SDM_BASE_URL.rstrip("/") + reverse("enter_code")


def invitation_letter_pdf(*, invitation: Invitation, token: str) -> bytes:
    """The invitation letter as PDF bytes, in the invitation's language."""
    with translation.override(invitation.language):
        html = render_to_string(
            "letters/invitation.html", invitation_letter_context(invitation=invitation, token=token)
        )
    return pdf_render(html=html, stylesheets=[LETTER_STYLESHEET])

"""The invitation letter (PDF, patient's language) and the QR code."""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.utils import translation

from questionnaires.pdf.letters import invitation_letter_pdf, patient_link, qr_code_svg
from questionnaires.services.invitations import invitation_create
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


def _text(document: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(document))
    return "".join(page.extract_text() for page in reader.pages)


def _font_names(document: bytes) -> set[str]:
    names = set()
    for page in pypdf.PdfReader(io.BytesIO(document)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


@pytest.fixture
def created():
    def create(language: str):
        team = make.team("Demo clinic")
        questionnaire = make.published_questionnaire()
        return invitation_create(
            questionnaire=questionnaire,
            patient_ref="MRN-4711",
            disease="psoriasis",
            language=language,
            days=14,
            team=team,
        )

    return create


def test_english_letter_has_the_link_reference_team_time_and_expiry(created):
    invitation, token = created("en")
    document = invitation_letter_pdf(invitation=invitation, token=token)
    assert document.startswith(b"%PDF-")
    text = _text(document)
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", patient_link(token)) in flat
    assert "MRN-4711" in text
    assert "Demo clinic" in text
    assert "Sample questionnaire" in text
    assert "12 minutes" in text
    assert pypdf.PdfReader(io.BytesIO(document)).trailer["/Root"]["/Lang"] == "en"
    with translation.override("en"):
        from django.utils.formats import date_format
        from django.utils.timezone import localtime

        assert date_format(localtime(invitation.expires_at), "DATE_FORMAT") in text


def test_chinese_letter_is_in_chinese_with_a_cjk_font(created):
    invitation, token = created("zh-hans")
    document = invitation_letter_pdf(invitation=invitation, token=token)
    text = _text(document)
    assert re.sub(r"\s+", "", patient_link(token)) in re.sub(r"\s+", "", text)
    assert "示例问卷" in text  # the questionnaire title in the patient's language
    assert "Sample questionnaire" not in text
    root = pypdf.PdfReader(io.BytesIO(document)).trailer["/Root"]
    assert root["/Lang"] == "zh-hans"
    assert any("Noto-Sans-CJK-SC" in name for name in _font_names(document))


def test_the_letter_language_does_not_leak_into_the_request(created):
    invitation, token = created("zh-hans")
    with translation.override("en"):
        invitation_letter_pdf(invitation=invitation, token=token)
        assert translation.get_language() == "en"


def test_qr_code_is_inline_svg_without_style_attributes():
    svg = str(qr_code_svg(link="https://clinic.example/p/abc/"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "viewBox=" in svg
    assert "style" not in svg.lower()
    assert "<script" not in svg.lower()
    assert str(qr_code_svg(link="https://clinic.example/p/abd/")) != svg


def test_the_link_is_never_written_as_text_inside_the_qr_svg():
    link = "https://clinic.example/p/the-secret-token/"
    assert "the-secret-token" not in str(qr_code_svg(link=link))


def test_the_letter_has_the_type_in_code_the_clinic_contact_and_the_appointment():
    import datetime

    from questionnaires.services.invitation_codes import code_for_token, grouped

    team = make.team("Skin clinic")
    team.contact = "Telephone 020 7946 0000\nskin.clinic@example.org"
    team.save()
    appointment = datetime.date.today() + datetime.timedelta(days=20)
    invitation, token = invitation_create(
        questionnaire=make.published_questionnaire(),
        patient_ref="MRN-0001",
        disease="psoriasis",
        team=team,
        appointment_date=appointment,
    )
    text = _text(invitation_letter_pdf(invitation=invitation, token=token))
    flat = re.sub(r"\s+", "", text)
    assert grouped(code_for_token(token)) in flat
    assert "/code/" in flat
    assert "02079460000" in flat and "skin.clinic@example.org" in flat
    assert f"{appointment.day} {appointment:%B} {appointment.year}" in text

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from questionnaires.models import Invitation, Questionnaire
from questionnaires.services.interop import questionnaire_import
from questionnaires.services.invitations import invitation_resolve
from tests.factories import clinic_definition, draft, fresh_rate_limits, publish  # noqa: F401
from tests.paths import PUBLIC_FHIR

pytestmark = pytest.mark.django_db


def run(*arguments) -> list[str]:
    out = StringIO()
    call_command("create_invitation", *arguments, stdout=out)
    return out.getvalue().strip().splitlines()


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_prints_a_working_patient_link_on_its_last_line(client, settings):
    settings.SDM_BASE_URL = "https://sdm.example.org"
    publish(clinic_definition())
    lines = run("--questionnaire", "clinic")
    url = lines[-1]
    assert url.startswith("https://sdm.example.org/p/")
    invitation = invitation_resolve(token_of(url))
    assert invitation.questionnaire.slug == "clinic"
    assert invitation.patient_ref.startswith("CLI-")
    assert client.get(url.removeprefix("https://sdm.example.org")).status_code == 200


def test_options_reach_the_invitation():
    publish(clinic_definition())
    lines = run(
        "--questionnaire",
        "clinic",
        "--disease",
        "sle",
        "--ref",
        "R-42",
        "--lang",
        "zh-hans",
        "--days",
        "3",
        "--base-url",
        "http://kiosk:8000/",
    )
    assert lines[-1].startswith("http://kiosk:8000/p/")
    invitation = Invitation.objects.get()
    assert (invitation.disease, invitation.patient_ref, invitation.language) == (
        "sle",
        "R-42",
        "zh-hans",
    )
    assert (invitation.expires_at - invitation.created_at).days == 3


def test_works_for_an_imported_fhir_questionnaire(client):
    data = (PUBLIC_FHIR / "hl7-r4-lifelines-f201.json").read_bytes()
    slug = questionnaire_import(data=data, fmt="fhir", publish=True).version.questionnaire.slug
    url = run("--questionnaire", slug)[-1]
    token = token_of(url)
    assert client.get(f"/p/{token}/").status_code == 200
    started = client.post(f"/p/{token}/start/")
    assert client.get(started["Location"]).status_code == 200


def test_unknown_or_unpublished_questionnaire_is_an_error():
    with pytest.raises(CommandError, match="No questionnaire"):
        run("--questionnaire", "nope")
    draft(clinic_definition("unpublished"))
    with pytest.raises(CommandError, match="no published version"):
        run("--questionnaire", "unpublished")
    assert Questionnaire.objects.count() == 1 and not Invitation.objects.exists()


def test_team_option_assigns_the_team_and_unknown_team_is_refused():
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    from questionnaires.models import Invitation, Team
    from tests.factories import clinic_definition, publish

    version = publish(clinic_definition())
    team = Team.objects.create(name="Demo clinic")
    call_command(
        "create_invitation",
        "--questionnaire",
        version.questionnaire.slug,
        "--team",
        "Demo clinic",
        stdout=StringIO(),
    )
    assert Invitation.objects.get().team == team
    with pytest.raises(CommandError, match="No team named 'Nope'"):
        call_command(
            "create_invitation",
            "--questionnaire",
            version.questionnaire.slug,
            "--team",
            "Nope",
            stdout=StringIO(),
        )
    assert Invitation.objects.count() == 1

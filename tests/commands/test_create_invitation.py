from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from questionnaires.models import Invitation, Questionnaire, Team
from questionnaires.services.interop import questionnaire_import
from questionnaires.services.invitations import invitation_resolve
from tests.factories import clinic_definition, draft, fresh_rate_limits, publish  # noqa: F401
from tests.paths import PUBLIC_FHIR

pytestmark = pytest.mark.django_db


TEAM = "Test clinic"


@pytest.fixture(autouse=True)
def team():
    return Team.objects.create(name=TEAM)


def run(*arguments, team: str | None = TEAM) -> list[str]:
    """The command's output lines; ``--team`` (required) is added unless ``team`` is None."""
    out = StringIO()
    extra = ("--team", team) if team is not None and "--team" not in arguments else ()
    call_command("create_invitation", *arguments, *extra, stdout=out)
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
    team = Team.objects.create(name="Demo clinic")  # besides the autouse "Test clinic"
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


def test_without_a_team_it_exits_with_a_clear_error_and_creates_nothing():
    publish(clinic_definition())
    with pytest.raises(CommandError, match="--team is required") as refused:
        run("--questionnaire", "clinic", team=None)
    assert "Test clinic" in str(refused.value)  # the teams it could use
    assert not Invitation.objects.exists()


def test_it_prints_the_type_in_code_and_sets_the_appointment(client, settings):
    import datetime

    from questionnaires.services.invitation_codes import normalise_code

    settings.SDM_BASE_URL = "https://sdm.example.org"
    publish(clinic_definition())
    day = datetime.date.today() + datetime.timedelta(days=10)
    lines = run("--questionnaire", "clinic", "--appointment", day.isoformat())
    code_line = next(line for line in lines if line.startswith("Type-in code: "))
    assert "https://sdm.example.org/code/" in code_line
    code = normalise_code(code_line.split()[2])
    assert code is not None
    assert Invitation.objects.get().appointment_date == day
    answer = client.post("/code/", {"code": code})
    assert answer.status_code == 302
    assert client.get(answer["Location"]).status_code == 200


def test_a_bad_or_past_appointment_date_is_refused():
    import datetime

    publish(clinic_definition())
    with pytest.raises(CommandError, match="not a date"):
        run("--questionnaire", "clinic", "--appointment", "24/12/2026")
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    with pytest.raises(CommandError, match="in the past"):
        run("--questionnaire", "clinic", "--appointment", yesterday.isoformat())
    assert not Invitation.objects.exists()

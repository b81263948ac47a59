"""Issue 13, finding 4 and acceptance 5: imported questionnaires keep their identity."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questionnaires.models import Questionnaire, QuestionnaireVersion, VersionStatus

pytestmark = pytest.mark.django_db

FINDINGS = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "findings"


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def imported(name: str, *extra: str) -> tuple[str, int]:
    out, _ = run("import_questionnaire", str(FINDINGS / name), *extra)
    slug, number = out.strip().splitlines()[-1].split()
    return slug, int(number)


def test_acceptance_5_same_title_two_questionnaires_same_url_a_new_version():
    sleep = imported("04-identity-a.json", "--publish")
    pain = imported("04-identity-b.json", "--publish")  # same title "Follow-up", another url
    assert sleep == ("follow-up", 1)
    assert pain == ("follow-up-2", 1)
    again = imported("04-identity-a-version-2.json", "--publish")  # same url, version 2.0
    assert again == ("follow-up", 2)
    # --publish retired only the first version of the same questionnaire.
    assert Questionnaire.objects.count() == 2
    first = QuestionnaireVersion.objects.get(questionnaire__slug="follow-up", number=1)
    assert first.status == VersionStatus.RETIRED
    other = QuestionnaireVersion.objects.get(questionnaire__slug="follow-up-2")
    assert other.status == VersionStatus.PUBLISHED
    second = QuestionnaireVersion.objects.get(questionnaire__slug="follow-up", number=2)
    assert second.source_version == "2.0"
    assert second.fhir_source["url"] == "http://example.org/fhir/Questionnaire/sleep"


def test_untitled_unrelated_forms_each_get_a_questionnaire(tmp_path):
    slugs = set()
    for number in range(3):
        path = tmp_path / f"untitled-{number}.json"
        path.write_text(
            json.dumps(
                {
                    "resourceType": "Questionnaire",
                    "status": "active",
                    "item": [{"linkId": "x", "text": "X", "type": "boolean"}],
                }
            )
        )
        out, _ = run("import_questionnaire", str(path), "--publish")
        slugs.add(out.strip().splitlines()[-1].split()[0])
    assert slugs == {
        "imported-questionnaire",
        "imported-questionnaire-2",
        "imported-questionnaire-3",
    }
    assert not QuestionnaireVersion.objects.filter(status=VersionStatus.RETIRED).exists()


def test_into_makes_a_new_version_of_the_named_questionnaire():
    imported("04-identity-a.json")
    assert imported("04-identity-b.json", "--into", "follow-up") == ("follow-up", 2)


def test_into_an_unknown_questionnaire_is_refused():
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_questionnaire",
            str(FINDINGS / "04-identity-a.json"),
            "--into",
            "no-such-thing",
            stdout=StringIO(),
            stderr=err,
        )
    assert "--into no-such-thing: there is no questionnaire with that slug." in err.getvalue()
    assert not Questionnaire.objects.exists()


def test_export_names_url_and_version_and_reports_what_fhir_cannot_carry_on_stderr():
    slug, _ = imported("04-identity-a.json")
    out, err = run("export_questionnaire", slug, "--format", "fhir")
    resource = json.loads(out)
    assert (resource["url"], resource["version"]) == (
        "http://example.org/fhir/Questionnaire/sleep",
        "1",
    )
    assert "not exported exactly: source_version: the source's version '1.0' is replaced" in err

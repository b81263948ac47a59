"""The load test's instruments: its form walker and its database check (benchmarks/load.py).

The load test itself is a script (timings are never tested), but what it relies on is: the
walker must answer every step of the shipped questionnaire from the HTML alone (so new
questions need no change to it), and the check must count an answer stored differently
from what was sent as lost (a check that cannot fail would prove nothing).
"""

from __future__ import annotations

import random
from collections import defaultdict
from urllib.parse import urljoin

import pytest

from benchmarks.load import (
    Stats,
    answer_form,
    create_invitations,
    read_form_html_parser,
    verify,
)
from benchmarks.load import read_form as read_form_fast
from questionnaires.models import Disease, Response, Team
from questionnaires.services.invitations import invitation_create
from tests.factories import fresh_rate_limits  # noqa: F401
from tests.summary.builders import demo_content_ensure

pytestmark = pytest.mark.django_db


def read_form(page: str):
    """The walker's fast reader, checked against html.parser on every page it reads."""
    fast = read_form_fast(page)
    reference = read_form_html_parser(page)
    assert (fast.action, fast.controls, fast.errored, fast.questions) == (
        reference.action,
        reference.controls,
        reference.errored,
        reference.questions,
    )
    return fast


def as_form(data):
    form = defaultdict(list)
    for name, value in data:
        form[name].append(value)
    return dict(form)


def walk(client, token: str, *, seed: int) -> dict[str, dict[str, list[str]]]:
    """Landing to confirmation with the load test's walker; returns what each step sent."""
    rng = random.Random(seed)
    landing = f"/p/{token}/"
    reader = read_form(client.get(landing).content.decode())
    start = as_form(answer_form(reader, rng=rng, tries={}, picks={}))
    url = client.post(urljoin(landing, reader.action), start)["Location"]
    sent: dict[str, dict[str, list[str]]] = {}
    learned: dict[str, int] = {}
    while "/step/" in url:
        step = url.rstrip("/").rsplit("/", 1)[1]
        page = client.get(url)
        assert page.status_code == 200
        tries: dict[str, int] = {}
        picks: dict[str, int] = {}
        for _attempt in range(8):
            reader = read_form(page.content.decode())
            tries = tries or {key: learned.get(key, 0) for key, _kind in reader.questions}
            data = answer_form(reader, rng=rng, tries=tries, picks=picks)
            data.append(("wizard_next", "1"))
            page = client.post(url, as_form(data))
            if page.status_code == 302:
                learned.update(tries)
                break
            for question in read_form(page.content.decode()).errored:
                tries[question] = tries.get(question, 0) + 1
        else:
            pytest.fail(f"the walker found no valid answers for step {step!r}")
        sent[step] = {
            name: values for name, values in as_form(data).items() if name.startswith(f"{step}-")
        }
        url = page["Location"]
    assert url.endswith("/check/"), url
    check = read_form(client.get(url).content.decode())
    done = client.post(url, as_form(answer_form(check, rng=rng, tries={}, picks={})))
    assert done["Location"].endswith("/done/")
    return sent


def test_the_fast_reader_reads_what_html_parser_reads_in_awkward_markup():
    page = """<!DOCTYPE html><html><body>
    <!-- <form action="/commented/"><input name="commented"></form> -->
    <form class="language-switch" action="/language/"><select name="language">
      <option value="en">English</option></select></form>
    <script>if (a < b) { document.write('<input name="scripted">'); }</script>
    <FORM action='/step/x/' method=post>
      <div class="form-group form-group-error" data-question="q1" data-kind="text">
        <textarea name="s-q1" data-note="a > b">Fish &amp; chips &lt;br&gt;</textarea>
      </div>
      <div data-question="q2" data-kind="choice"><div>
        <input type="radio" name="s-q2" value="a&quot;b" checked>
        <input type=radio name=s-q2 value='c d' />
      </div></div>
      <select name="s-q3"><option value="">Choose</option><option value="x">X</option></select>
      <input type="hidden" name="revision" value="7">
    </form>
    <form action="/later/"><input name="later"></form>
    </body></html>"""
    fast = read_form(page)  # compares with html.parser
    assert fast.action == "/step/x/"
    assert [control.name for control in fast.controls] == [
        "s-q1",
        "s-q2",
        "s-q2",
        "s-q3",
        "revision",
    ]
    assert fast.controls[0].value == "Fish & chips <br>"
    assert fast.controls[1].value == 'a"b' and fast.controls[1].checked
    assert fast.controls[2].value == "c d" and not fast.controls[2].checked
    assert fast.controls[3].options == ["x"]
    assert fast.errored == {"q1"}


@pytest.fixture
def demo_questionnaire():
    return demo_content_ensure()


def invite(questionnaire, *, ref: str, disease: str, language: str = "en") -> str:
    team = Team.objects.get_or_create(name="Load walker team")[0]
    _invitation, token = invitation_create(
        questionnaire=questionnaire, patient_ref=ref, disease=disease, language=language, team=team
    )
    return token


def test_the_walker_submits_every_condition_in_both_languages(client, demo_questionnaire):
    patients = []
    stats = Stats()
    for index, disease in enumerate(Disease.values):
        language = "zh-hans" if index % 2 else "en"
        ref = f"WALK-{disease}"
        token = invite(demo_questionnaire, ref=ref, disease=disease, language=language)
        stats.sent[ref] = walk(client, token, seed=index)
        patients.append({"ref": ref})
    assert Response.objects.filter(status="submitted").count() == len(Disease.values)
    checked = verify(patients, stats)
    assert checked["lost_answers"] == 0, checked["problems"]
    assert checked["answers_checked"] >= 10 * len(Disease.values)
    assert not checked["problems"]


def test_an_answer_stored_differently_from_what_was_sent_counts_as_lost(client, demo_questionnaire):
    token = invite(demo_questionnaire, ref="WALK-LOST", disease="psoriasis")
    stats = Stats()
    stats.sent["WALK-LOST"] = walk(client, token, seed=7)
    patients = [{"ref": "WALK-LOST"}]
    assert verify(patients, stats)["lost_answers"] == 0
    step, fields = next(iter(stats.sent["WALK-LOST"].items()))
    name = next(name for name, values in fields.items() if any(v.strip() for v in values))
    fields[name] = ["something the patient never sent"]
    result = verify(patients, stats)
    assert result["lost_answers"] == 1
    assert name in result["problems"][0]


def test_a_patient_without_a_submitted_response_loses_every_answer_it_sent(
    client, demo_questionnaire
):
    stats = Stats()
    stats.sent["NEVER-SUBMITTED"] = {"about_you": {"about_you-age": ["40"]}}
    result = verify([{"ref": "NEVER-SUBMITTED"}], stats)
    assert result["lost_answers"] == 1
    assert "0 submitted responses" in result["problems"][0]


def test_invitations_need_no_demo_accounts(demo_questionnaire):
    """The servers run with DEBUG off, where load_demo creates no demo accounts or teams."""
    assert not Team.objects.exists()
    patients = create_invitations(count=6, label="own")
    assert len({patient["token"] for patient in patients}) == 6
    assert {patient["disease"] for patient in patients} == set(Disease.values)
    assert {patient["language"] for patient in patients} == {"en", "zh-hans"}

"""Benchmark of the patient wizard: a step GET and POST against the floor view, and submit.

    .venv/bin/python benchmarks/bench_wizard.py [--runs N] [--patients N] [--database-url URL]

On a fresh database (SQLite in a temporary folder, or the PostgreSQL database named by
``--database-url``, whose name must contain "bench"), with the shipped questionnaire and
therapy profiles, simulated patients walk the demo questionnaire through Django's WSGI
handler (the test client, every middleware), answering each step as ``benchmarks/load.py``
does (the form read from the HTML). Then, per walked step, medians over N rounds of:

- step GET: the real page, and the floor view (``bench_urls.step_floor``: one indexed read,
  one write, the same bytes) — the aim is real ≤ 1.5 × floor;
- step POST: the same answers again (a save and a redirect), and the floor (parse, one
  indexed read, one write, a redirect) — aim ≤ 1.5 × floor;
- the queries of each (aim ≤ 5 per step), and of a submit (aim ≤ 12), whose time is
  compared with a step POST (aim ≤ 3 ×). The first submit of each condition in the process
  reads the therapy profiles, which are kept per process from then on; it is printed apart,
  and the aims are judged on the submits after it (what a running server does).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from urllib.parse import urlencode, urljoin

from _common import database_vendor, setup_database, write_part

MAX_TRIES = 8


def answer_and_post(client, url: str, page: str, learned: dict[str, int], rng):
    """POST valid answers to the step at ``url``; returns (data, redirect target)."""
    from load import answer_form, read_form

    tries: dict[str, int] = {}
    picks: dict[str, int] = {}
    for _attempt in range(MAX_TRIES):
        reader = read_form(page)
        if not tries:
            tries = {key: learned.get(key, 0) for key, _kind in reader.questions}
        data = answer_form(reader, rng=rng, tries=tries, picks=picks)
        data.append(("wizard_next", "1"))
        answer = post_form(client, url, as_form(data))
        if answer.status_code == 302:
            learned.update(tries)
            return data, answer["Location"]
        page = answer.content.decode()
        for question in read_form(page).errored:
            tries[question] = tries.get(question, 0) + 1
    raise SystemExit(f"no valid answers found for {url}")


def post_form(client, url: str, form: dict[str, list[str]]):
    """POST as a browser sends a form without files: urlencoded, not multipart."""
    return client.post(
        url, urlencode(form, doseq=True), content_type="application/x-www-form-urlencoded"
    )


def as_form(data: list[tuple[str, str]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = defaultdict(list)
    for name, value in data:
        form[name].append(value)
    return dict(form)


def walk_to_check(client, token: str, learned: dict[str, int], seed: int) -> dict:
    """Landing, start and every step; returns {step url: answers posted} and the check url."""
    import random

    from load import answer_form, read_form

    rng = random.Random(seed)  # noqa: S311 - reproducible answers
    landing = f"/p/{token}/"
    reader = read_form(client.get(landing).content.decode())
    start = as_form(answer_form(reader, rng=rng, tries={}, picks={}))
    url = post_form(client, urljoin(landing, reader.action), start)["Location"]
    steps: dict[str, list[tuple[str, str]]] = {}
    for _step in range(100):
        if "/step/" not in url:
            break
        page = client.get(url).content.decode()
        steps[url], url = answer_and_post(client, url, page, learned, rng)
    assert url.endswith("/check/"), url
    return {"token": token, "steps": steps, "check": url}


def with_revision(data: list[tuple[str, str]], page: str) -> dict[str, list[str]]:
    """The same answers, with the revision (and CSRF token) of the page just shown."""
    from load import read_form

    hidden = {
        control.name: control.value
        for control in read_form(page).controls
        if control.type == "hidden" and control.name in {"revision", "csrfmiddlewaretoken"}
    }
    return as_form([(name, hidden.get(name, value)) for name, value in data])


def invite(*, questionnaire, team, count: int, label: str) -> list[str]:
    from django.conf import settings

    from questionnaires.models import Disease
    from questionnaires.services.invitations import invitation_create

    languages = [code for code, _name in settings.LANGUAGES]
    tokens = []
    for index in range(count):
        _invitation, token = invitation_create(
            questionnaire=questionnaire,
            patient_ref=f"BENCH-{label}-{index:03d}",
            disease=Disease.values[index % len(Disease.values)],
            language=languages[(index // len(Disease.values)) % len(languages)],
            team=team,
        )
        tokens.append(token)
    return tokens


def measure_steps(client, walked: dict, *, floor_token: str, runs: int) -> dict:
    """Medians per step of the real GET/POST and the floor's, and the queries of each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks import bench_urls

    samples: dict[str, list[float]] = defaultdict(list)
    queries = {"step GET": 0, "step POST": 0}
    floor_url = f"/bench/step-floor/{floor_token}/"  # its own response: the walk stays intact
    for round_number in range(runs + 1):  # the first round warms up and counts queries
        for url, data in walked["steps"].items():
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as get_queries:
                page = client.get(url)
            get_seconds = time.perf_counter() - started
            get_count = len(get_queries)  # now: the next request clears the log
            assert page.status_code == 200, (url, page.status_code)
            html = page.content.decode()
            form = with_revision(data, html)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as post_queries:
                saved = post_form(client, url, form)
            post_seconds = time.perf_counter() - started
            post_count = len(post_queries)
            assert saved.status_code == 302, (url, saved.status_code)
            bench_urls.FLOOR_PAGE["step"] = page.content
            started = time.perf_counter()
            floor_page = client.get(floor_url)
            floor_get = time.perf_counter() - started
            assert floor_page.content == page.content
            started = time.perf_counter()
            floor_saved = post_form(client, floor_url, form)
            floor_post = time.perf_counter() - started
            assert floor_saved.status_code == 302
            if round_number == 0:
                queries["step GET"] = max(queries["step GET"], get_count)
                queries["step POST"] = max(queries["step POST"], post_count)
                continue
            samples["step GET"].append(get_seconds)
            samples["step POST"].append(post_seconds)
            samples["floor GET"].append(floor_get)
            samples["floor POST"].append(floor_post)
    return {
        "median_s": {kind: statistics.median(values) for kind, values in samples.items()},
        "queries_max": queries,
        "steps": len(walked["steps"]),
    }


def measure_submits(client, walked_list: list[dict], conditions: list[str]) -> dict:
    """Submits, apart: the first of each condition in this process reads and builds the
    therapy profiles (kept per process from then on); the later ones are what every other
    submit of a running server costs, and are what the aims are about."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seen: set[str] = set()
    times: dict[str, list[float]] = {"first": [], "later": []}
    counts: dict[str, list[int]] = {"first": [], "later": []}
    for walked, condition in zip(walked_list, conditions, strict=True):
        page = client.get(walked["check"])
        assert page.status_code == 200
        form = with_revision([("csrfmiddlewaretoken", ""), ("revision", "")], page.content.decode())
        kind = "later" if condition in seen else "first"
        seen.add(condition)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            answer = post_form(client, walked["check"], form)
        times[kind].append(time.perf_counter() - started)
        counts[kind].append(len(captured))
        assert answer.status_code == 302 and answer["Location"].endswith("/done/"), answer
    assert times["later"], "every condition submitted once only: give more --patients"
    return {
        "median_s": statistics.median(times["later"]),
        "queries_max": max(counts["later"]),
        "count": len(times["later"]),
        "first_median_s": statistics.median(times["first"]),
        "first_queries_max": max(counts["first"]),
        "first_count": len(times["first"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="rounds over every step")
    parser.add_argument("--patients", type=int, default=10, help="submits to time")
    parser.add_argument("--database-url", default=None, help="PostgreSQL; name must hold 'bench'")
    args = parser.parse_args()
    setup_database(label="wizard", database_url=args.database_url)
    from django.test import Client

    from questionnaires.models import Team
    from questionnaires.services.invitations import invitation_resolve
    from questionnaires.services.responses import response_start
    from tests.summary.builders import demo_content_ensure

    questionnaire = demo_content_ensure()
    team = Team.objects.create(name="Benchmark team")
    client = Client(enforce_csrf_checks=True)
    learned: dict[str, int] = {}
    (token,) = invite(questionnaire=questionnaire, team=team, count=1, label="steps")
    walked = walk_to_check(client, token, learned, seed=0)
    (floor_token,) = invite(questionnaire=questionnaire, team=team, count=1, label="floor")
    response_start(invitation=invitation_resolve(floor_token), language="en")
    steps = measure_steps(client, walked, floor_token=floor_token, runs=args.runs)
    tokens = invite(questionnaire=questionnaire, team=team, count=args.patients, label="submit")
    submits = measure_submits(
        client,
        [walk_to_check(client, tok, learned, seed=index + 1) for index, tok in enumerate(tokens)],
        [invitation_resolve(tok).disease for tok in tokens],
    )
    medians = steps["median_s"]
    figures = {
        "database": database_vendor(),
        "step_get_ms": medians["step GET"] * 1000,
        "step_post_ms": medians["step POST"] * 1000,
        "floor_get_ms": medians["floor GET"] * 1000,
        "floor_post_ms": medians["floor POST"] * 1000,
        "submit_ms": submits["median_s"] * 1000,
        "queries_step_get": steps["queries_max"]["step GET"],
        "queries_step_post": steps["queries_max"]["step POST"],
        "queries_submit": submits["queries_max"],
        "submit_first_ms": submits["first_median_s"] * 1000,
        "queries_submit_first": submits["first_queries_max"],
        "ratios": {
            "wizard step GET / floor": medians["step GET"] / medians["floor GET"],
            "wizard step POST / floor": medians["step POST"] / medians["floor POST"],
            "submit / step POST": submits["median_s"] / medians["step POST"],
            "first submit of a condition in a process / step POST": (
                submits["first_median_s"] / medians["step POST"]
            ),
        },
    }
    write_part("wizard", figures)
    print(
        f"wizard on {figures['database']}: {steps['steps']} steps × {args.runs} rounds, "
        f"{submits['first_count'] + submits['count']} submits (medians, ms; queries: most in "
        "any step)"
    )
    print(
        f"  step GET  {figures['step_get_ms']:7.1f}  floor {figures['floor_get_ms']:6.1f}"
        f"  ×{figures['ratios']['wizard step GET / floor']:.2f} (aim ≤ 1.5)"
        f"  queries {figures['queries_step_get']} (aim ≤ 5)"
    )
    print(
        f"  step POST {figures['step_post_ms']:7.1f}  floor {figures['floor_post_ms']:6.1f}"
        f"  ×{figures['ratios']['wizard step POST / floor']:.2f} (aim ≤ 1.5)"
        f"  queries {figures['queries_step_post']} (aim ≤ 5)"
    )
    print(
        f"  submit    {figures['submit_ms']:7.1f}  ×{figures['ratios']['submit / step POST']:.2f}"
        f" a step POST (aim ≤ 3)  queries {figures['queries_submit']} (aim ≤ 12)"
        f"  [{submits['count']} after the first of their condition]"
    )
    print(
        f"  first     {figures['submit_first_ms']:7.1f}"
        f"  ×{figures['ratios']['first submit of a condition in a process / step POST']:.2f}"
        f" a step POST  queries {figures['queries_submit_first']}"
        f"  [{submits['first_count']} first of their condition: therapy profiles read once]"
    )


if __name__ == "__main__":
    main()

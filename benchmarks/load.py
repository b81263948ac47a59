"""Load test: simulated patients walk the demo questionnaire against gunicorn on PostgreSQL.

    .venv/bin/python benchmarks/load.py [--patients N] [--addresses own|shared|both]
        [--servers 1|2] [--database NAME] [--redis-url URL] [--time-limit SECONDS]

What it does, in order (everything on 127.0.0.0/8, bounded in time and in count):

1. Drops and re-creates the load database (its name must contain "load": nothing else is
   ever dropped), migrates it, loads the demo content, collects the static files into var/
   (the production settings serve them through WhiteNoise's manifest storage), and clears
   the shared cache (a Redis database of its own; rate-limit counts start at zero).
2. Starts gunicorn with the production settings (DEBUG off) on a free loopback port; with
   ``--servers 2`` two gunicorn instances on two ports sharing PostgreSQL and Redis, plus
   two ``db_worker`` processes rendering the summary PDFs after each submit. Before the
   clock starts, one patient per condition and language per server walks the whole
   questionnaire, untimed, so the workers' per-process caches (templates, question markup,
   therapy profiles) are those of a server in service (``--no-warm-up`` times a cold one).
3. For each address scenario, creates N invitations through the product's own service
   (``invitation_create``; conditions and languages cycled: all five conditions, English
   and Chinese), then walks N patients concurrently, no think time: landing, start, every
   step (GET, then POST), the check page, submit, the confirmation page. Each patient
   connects from its own source address (127.0.x.y, the client socket bound to it) or, with
   ``shared``, all from one address (a clinic's Wi-Fi).
4. Verifies in the database that every patient who reached the confirmation page has
   exactly one submitted response, one result, and that every answer it sent on a step
   the server accepted is stored as sent (read back through the product's own form
   conversion, ``Walk.stored_data``); with db workers, waits for the renders and checks
   renders = 2 per submission (clinician and patient copy), none claimed twice.
5. Prints completed questionnaires per minute, requests per second, p50/p95/p99 per request
   kind (step GET, step POST, check, submit), errors and lost answers; writes var/load.json
   and, kept per configuration for the bench report, var/load-runs/<S>-servers-<N>-patients.json.

Why an asyncio httpx script and not locust: the client must bind each patient's socket to
its own loopback address (httpx's ``local_address``), read each step's form from the HTML
and answer it validly, and then look into the database; a single short script does all
three with one dependency, where locust would add gevent and a web UI we do not use, and
still need the same form walker. The client's own CPU time while the patients walk is
reported (``client_cpu_walk_s``; ``client_cpu_s`` adds the verification): it runs on the
same cores as the servers, so what it uses they cannot.

The walker is generic: it reads each step's form (field names, choices, kinds from the
``data-question``/``data-kind`` wrappers) and answers with plausible values; when the
server sends the form back with an error it tries the next candidate value for the
questions in error (what worked is remembered for the next patients). New questions
therefore need no change here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import functools
import html
import json
import os
import random
import re
import secrets
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var"
RUNS = VAR / "load-runs"  # the latest run of each configuration (servers × patients)
PYTHON = sys.executable
BIN = Path(PYTHON).parent

KINDS = ("step GET", "step POST", "check", "submit", "other")
P95_AIMS = {50: 0.5, 200: 2.5}  # seconds, from issue 14's table
MAX_REQUESTS_PER_PATIENT = 200
MAX_TRIES_PER_STEP = 8


# --- the environment every process gets -------------------------------------------------------


def production_env(*, database_url: str, redis_url: str | None, tasks_in_workers: bool) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "TASKS_BACKEND"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sdm.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        # Plain HTTP on loopback: no TLS redirect, and cookies the client may send back.
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        TASKS_BACKEND="database" if tasks_in_workers else "immediate",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def prepare_database(*, name: str, admin_url: str) -> str:
    """Drop and create the load database; only names containing "load" are ever dropped."""
    import psycopg

    if "load" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"refusing database name {name!r}: it must contain 'load' ([a-z0-9_])")
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url}/{name}"


def django_setup(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def prepare_content(*, redis_url: str | None) -> None:
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", verbosity=0, interactive=False)
    if redis_url:
        cache.clear()  # this Redis database is the load test's own


def create_invitations(*, count: int, label: str) -> list[dict]:
    """N invitations through the product's service: conditions and languages cycled."""
    from django.conf import settings

    from questionnaires.models import Disease, Questionnaire, Team
    from questionnaires.services.invitations import invitation_create

    questionnaire = Questionnaire.objects.get(slug="treatment-discussion")
    # A team of its own: with DEBUG off, as here, load_demo creates no demo accounts or teams.
    team = Team.objects.get_or_create(name="Load test clinic")[0]
    diseases = list(Disease.values)
    languages = [code for code, _name in settings.LANGUAGES]
    patients = []
    for index in range(count):
        disease = diseases[index % len(diseases)]
        language = languages[(index // len(diseases)) % len(languages)]
        ref = f"LOAD-{label}-{index:04d}"
        _invitation, token = invitation_create(
            questionnaire=questionnaire,
            patient_ref=ref,
            disease=disease,
            language=language,
            team=team,
        )
        patients.append({"ref": ref, "token": token, "disease": disease, "language": language})
    return patients


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def peak_rss_mb(process: subprocess.Popen) -> float | None:
    """The most memory the process has held (VmHWM), while it still runs; Linux only."""
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match.group(1)) / 1024, 1) if match else None


@dataclass
class Processes:
    started: list[subprocess.Popen] = field(default_factory=list)

    def start(self, command: list[str], env: dict, log: Path) -> subprocess.Popen:
        handle = open(log, "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            if process.poll() is None:
                process.kill()
                process.wait()


def start_servers(
    processes: Processes, *, env: dict, servers: int, workers: int, log: Path
) -> list[str]:
    urls = []
    for _ in range(servers):
        port = free_port()
        processes.start(
            [
                str(BIN / "gunicorn"),
                "sdm.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--backlog",
                "2048",
            ],
            env,
            log,
        )
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        wait_until_serving(url, processes)
    warm_up(urls, workers=workers)
    return urls


def warm_up(urls: list[str], *, workers: int) -> None:
    """Requests to the home page in parallel until each worker has answered (gunicorn's
    workers import the app as they boot), so the first patients do not time the boot."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    def fetch(url: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url + "/", timeout=60)

    with ThreadPoolExecutor(max_workers=2 * workers * len(urls)) as pool:
        list(pool.map(fetch, [url for url in urls for _ in range(2 * workers)]))


def warm_up_walks(urls: list[str], *, servers: int) -> int:
    """Walk one patient per condition and language per server, concurrently, before the
    clock starts, and forget their timings. A freshly started worker compiles each template,
    builds each step's question markup and reads each condition's therapy profiles once;
    the aims are about a server in service, which did that long ago. Measured both ways on
    2026-12-05 (docs/performance.md): the first scenario on a cold server had a p95 about
    0.15 s higher than the same scenario run second. The walks are real submissions: with
    render workers their summaries are rendered and counted like the others."""
    patients = create_invitations(count=10 * servers, label="warm-up")
    stats, _timed_out = asyncio.run(run_patients(patients, urls=urls, shared=False, time_limit=120))
    stopped = f"; stopped: {stats.failed}" if stats.failed else ""
    print(f"warm-up: {stats.completed} of {len(patients)} patients walked, not timed{stopped}")
    return len(patients)


def wait_until_serving(url: str, processes: Processes, *, timeout: float = 60) -> None:
    host, port = urlsplit(url).hostname, urlsplit(url).port
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes.started):
            raise SystemExit("a server process exited while starting; see var/load-servers.log")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not start within {timeout:.0f} s")


# --- reading a page's form ---------------------------------------------------------------------


@dataclass
class Control:
    name: str
    tag: str  # input, textarea, select
    type: str = "text"
    value: str = ""
    checked: bool = False
    inputmode: str = ""
    question: str = ""  # the innermost data-question wrapper
    kind: str = ""  # its data-kind
    options: list[str] = field(default_factory=list)  # select option values


class FormReader(HTMLParser):
    """The page's main form (not the language switch): its controls and questions in error."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.action: str | None = None
        self.controls: list[Control] = []
        self.errored: set[str] = set()
        self.questions: list[tuple[str, str]] = []
        self._in_form = False
        self._done = False
        self._divs: list[tuple[str, str] | None] = []
        self._select: Control | None = None
        self._textarea: Control | None = None

    def _question(self) -> tuple[str, str]:
        return next((entry for entry in reversed(self._divs) if entry), ("", ""))

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        main_form = "language-switch" not in attributes.get("class", "")
        if tag == "form" and not self._done and main_form:
            self._in_form = True
            self.action = attributes.get("action", "")
            return
        if not self._in_form:
            return
        if tag == "div":
            question = attributes.get("data-question")
            entry = (question, attributes.get("data-kind", "")) if question else None
            self._divs.append(entry)
            if entry:
                self.questions.append(entry)
            if "form-group-error" in attributes.get("class", "").split():
                self.errored.add(self._question()[0])
            return
        question, kind = self._question()
        if tag == "input" and attributes.get("name"):
            self.controls.append(
                Control(
                    name=attributes["name"],
                    tag="input",
                    type=attributes.get("type", "text"),
                    value=attributes.get("value", ""),
                    checked="checked" in attributes,
                    inputmode=attributes.get("inputmode", ""),
                    question=question,
                    kind=kind,
                )
            )
        elif tag == "textarea" and attributes.get("name"):
            self._textarea = Control(
                name=attributes["name"], tag="textarea", question=question, kind=kind
            )
            self.controls.append(self._textarea)
        elif tag == "select" and attributes.get("name"):
            self._select = Control(
                name=attributes["name"], tag="select", question=question, kind=kind
            )
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None and attributes.get("value"):
            self._select.options.append(attributes["value"])

    def handle_endtag(self, tag):
        if not self._in_form:
            return
        if tag == "form":
            self._in_form, self._done = False, True
        elif tag == "div" and self._divs:
            self._divs.pop()
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data


# The client shares the machine's cores with the servers it measures, so it must be cheap:
# html.parser cost about 2 ms per step page, a third of the client's CPU. ``read_form``
# drives the same FormReader from a regular-expression scan of the tags instead, which
# reads the same controls (tests/benchmarks/test_load_walker.py compares the two on every
# page of a walk); ``read_form_html_parser`` is the reference.
_TAG = re.compile(  # only the tags FormReader reads; a scan in C skips the rest
    r"<!--.*?-->|<(/?)(form|div|input|textarea|select|option|script|style)(?=[\s/>])"
    r"((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S | re.I,
)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_TEXT_ENDS = {tag: re.compile(rf"</{tag}\s*>", re.I) for tag in ("script", "style", "textarea")}


def read_form(page: str) -> FormReader:
    reader = FormReader()
    position = 0
    while match := _TAG.search(page, position):
        position = match.end()
        closing, tag, attributes = match.groups()
        if tag is None:  # a comment
            continue
        tag = tag.lower()
        if closing:
            reader.handle_endtag(tag)
            continue
        if reader._in_form or tag == "form":  # FormReader reads nothing else
            # A valueless attribute reads as "" here and None in html.parser: FormReader
            # treats the two alike (``value or ""``, ``"checked" in attributes``).
            reader.handle_starttag(
                tag,
                [
                    (name.lower(), html.unescape(double or single or bare))
                    for name, double, single, bare in _ATTRIBUTE.findall(attributes)
                ],
            )
        if tag in _TEXT_ENDS:  # text up to the closing tag is text, never markup
            end = _TEXT_ENDS[tag].search(page, position)
            text_end = end.start() if end else len(page)
            if tag == "textarea" and text_end > position:
                reader.handle_data(html.unescape(page[position:text_end]))
            position = text_end
    return reader


def read_form_html_parser(page: str) -> FormReader:
    reader = FormReader()
    reader.feed(page)
    reader.close()
    return reader


# --- answering it ------------------------------------------------------------------------------

INTEGER_CANDIDATES = ("40", "3", "1", "0", "10", "70", "100")
DECIMAL_CANDIDATES = ("70", "2.5", "1", "0", "30")
TEXT_CANDIDATES = ("Load test answer", "", "1")
DATE_OFFSETS_DAYS = (21, -3 * 365, -30 * 365, 2, -400)
DATE_PART = re.compile(r"-(day|month|year)$")


def answer_form(
    reader: FormReader, *, rng: random.Random, tries: dict[str, int], picks: dict[str, int]
) -> list[tuple[str, str]]:
    """The POST data answering every question of the form; ``tries`` shifts candidates."""
    data: list[tuple[str, str]] = []
    choice_groups: dict[str, list[Control]] = defaultdict(list)
    rankings: dict[str, list[Control]] = defaultdict(list)
    dates: dict[str, dict[str, Control]] = defaultdict(dict)
    for control in reader.controls:
        if control.tag == "input" and control.type == "hidden":
            data.append((control.name, control.value))
        elif control.tag == "input" and control.type in {"radio", "checkbox"}:
            choice_groups[control.name].append(control)
        elif control.tag == "select" and control.kind == "ranking":
            rankings[control.question].append(control)
        elif control.tag == "select":  # any other drop-down: one of its options
            if control.options:
                shift = tries.get(control.question, 0)
                pick = picks.setdefault(control.name, rng.randrange(len(control.options)))
                data.append((control.name, control.options[(pick + shift) % len(control.options)]))
        elif control.tag == "input" and DATE_PART.search(control.name):
            part = DATE_PART.search(control.name).group(1)
            dates[control.name[: -len(part) - 1]][part] = control
        elif control.tag == "textarea" or control.type == "text":
            data.append((control.name, text_value(control, tries.get(control.question, 0))))
    for name, options in choice_groups.items():
        shift = tries.get(options[0].question, 0)
        # The same patient picks the same option of a question on every try of a step.
        pick = picks.setdefault(name, rng.randrange(len(options)))
        chosen = options[(pick + shift) % len(options)]
        data.append((name, chosen.value))
    for selects in rankings.values():
        # A ranking: each item gets a distinct rank from the ranks its selects offer.
        ranks = list(selects[0].options) or [str(n) for n in range(1, len(selects) + 1)]
        rng.shuffle(ranks)
        if len(ranks) < len(selects):
            ranks = [str(number) for number in range(1, len(selects) + 1)]
            rng.shuffle(ranks)
        ranks = ranks[: len(selects)]
        data.extend((select.name, rank) for select, rank in zip(selects, ranks, strict=True))
    for _base, parts in dates.items():
        question = next(iter(parts.values())).question
        offset = DATE_OFFSETS_DAYS[tries.get(question, 0) % len(DATE_OFFSETS_DAYS)]
        day = datetime.date.today() + datetime.timedelta(days=offset)
        values = {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
        data.extend((control.name, values[part]) for part, control in parts.items())
    return data


def text_value(control: Control, shift: int) -> str:
    if control.inputmode == "numeric":
        return INTEGER_CANDIDATES[shift % len(INTEGER_CANDIDATES)]
    if control.inputmode == "decimal":
        return DECIMAL_CANDIDATES[shift % len(DECIMAL_CANDIDATES)]
    return TEXT_CANDIDATES[shift % len(TEXT_CANDIDATES)]


# --- one patient -------------------------------------------------------------------------------


@dataclass
class Stats:
    started: float = 0.0
    finished: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    invalid_posts: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # patients who stopped, by reason
    error_samples: list[str] = field(default_factory=list)
    completed: int = 0
    sent: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    learned: dict[str, int] = field(default_factory=dict)  # question → candidate that worked


class PatientFailed(Exception):
    pass


async def timed(client, stats: Stats, kind: str, method: str, url: str, **kwargs):
    if isinstance(kwargs.get("data"), list):
        form: dict[str, list[str]] = defaultdict(list)
        for name, value in kwargs["data"]:
            form[name].append(value)
        kwargs["data"] = dict(form)
    start = time.perf_counter()
    try:
        answer = await client.request(method, url, **kwargs)
    except Exception as error:
        stats.errors[f"{kind}: {type(error).__name__}"] += 1
        if len(stats.error_samples) < 5:
            stats.error_samples.append(f"{kind}: {error!r}"[:300])
        raise PatientFailed(type(error).__name__) from error
    stats.latencies[kind].append(time.perf_counter() - start)
    if answer.status_code >= 400:
        stats.errors[f"{kind}: HTTP {answer.status_code}"] += 1
        raise PatientFailed(f"HTTP {answer.status_code}")
    return answer


def location(answer) -> str:
    if answer.status_code not in (301, 302, 303):
        raise PatientFailed(f"expected a redirect, got {answer.status_code}")
    return answer.headers["location"]


@functools.cache
def _unused_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


async def walk_patient(
    patient: dict, *, base_url: str, address: str, stats: Stats, index: int
) -> None:
    import httpx

    rng = random.Random(index)  # noqa: S311 - reproducible answers, not security
    # Plain HTTP to loopback: TLS is never used, but each transport would otherwise load
    # the CA bundle into a context of its own (20 ms of client CPU per patient).
    transport = httpx.AsyncHTTPTransport(
        local_address=address, retries=0, verify=_unused_tls_context()
    )
    timeout = httpx.Timeout(120.0)
    sent: dict[str, dict[str, list[str]]] = {}
    async with httpx.AsyncClient(
        base_url=base_url, transport=transport, timeout=timeout, follow_redirects=False
    ) as client:
        landing_url = f"/p/{patient['token']}/"
        answer = await timed(client, stats, "other", "GET", landing_url)
        reader = read_form(answer.text)
        answer = await timed(
            client,
            stats,
            "other",
            "POST",
            urljoin(landing_url, reader.action or ""),
            data=answer_form(reader, rng=rng, tries={}, picks={}),
            headers={"Referer": base_url + landing_url},
        )
        url = location(answer)
        for _request in range(MAX_REQUESTS_PER_PATIENT):
            path = urlsplit(url).path
            if "/step/" in path:
                step = path.rstrip("/").rsplit("/", 1)[-1]
                answer = await timed(client, stats, "step GET", "GET", url)
                url = await answer_step(client, stats, answer, url, step, rng, sent)
            elif path.endswith("/check/"):
                answer = await timed(client, stats, "check", "GET", url)
                if answer.status_code != 200:
                    url = location(answer)
                    continue
                reader = read_form(answer.text)
                answer = await timed(
                    client,
                    stats,
                    "submit",
                    "POST",
                    url,
                    data=answer_form(reader, rng=rng, tries={}, picks={}),
                    headers={"Referer": base_url + url},
                )
                url = location(answer)
            elif path.endswith("/done/"):
                await timed(client, stats, "other", "GET", url)
                stats.completed += 1
                stats.sent[patient["ref"]] = sent
                return
            else:
                raise PatientFailed(f"unexpected page {path!r}")
        raise PatientFailed("too many requests")


async def answer_step(client, stats, answer, url, step, rng, sent) -> str:
    if answer.status_code != 200:
        return location(answer)
    tries: dict[str, int] = {}
    picks: dict[str, int] = {}
    for _attempt in range(MAX_TRIES_PER_STEP):
        reader = read_form(answer.text)
        if not tries:
            tries = {key: stats.learned.get(key, 0) for key, _kind in reader.questions}
        data = answer_form(reader, rng=rng, tries=tries, picks=picks)
        data.append(("wizard_next", "1"))
        answer = await timed(
            client, stats, "step POST", "POST", url, data=data, headers={"Referer": url}
        )
        if answer.status_code in (301, 302, 303):
            stats.learned.update({question: tries[question] for question in tries})
            recorded: dict[str, list[str]] = defaultdict(list)
            for name, value in data:
                if name.startswith(f"{step}-"):
                    recorded[name].append(value)
            sent[step] = dict(recorded)
            return location(answer)
        stats.invalid_posts += 1
        if not reader.errored and not read_form(answer.text).errored:
            raise PatientFailed("the step came back without an error to correct")
        for question in read_form(answer.text).errored:
            tries[question] = tries.get(question, 0) + 1
    raise PatientFailed(f"no valid answer found for step {step!r}")


def source_address(index: int, *, shared: bool) -> str:
    if shared:
        return "127.0.200.1"
    return f"127.{1 + index // 250}.{1 + index % 250}.{1 + (index // 62500) % 250}"


async def run_patients(
    patients: list[dict], *, urls: list[str], shared: bool, time_limit: float
) -> tuple[Stats, int]:
    stats = Stats()
    failures: dict[str, int] = defaultdict(int)

    async def one(index: int, patient: dict) -> None:
        try:
            await walk_patient(
                patient,
                base_url=urls[index % len(urls)],
                address=source_address(index, shared=shared),
                stats=stats,
                index=index,
            )
        except PatientFailed as failed:
            failures[str(failed)] += 1

    stats.started = time.perf_counter()
    tasks = [asyncio.create_task(one(index, patient)) for index, patient in enumerate(patients)]
    _done, pending = await asyncio.wait(tasks, timeout=time_limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stats.finished = time.perf_counter()
    if pending:
        failures["time limit"] += len(pending)
    stats.failed = dict(failures)
    return stats, len(pending)


# --- verification ------------------------------------------------------------------------------


def normalised(values: list[str]) -> list[str]:
    out = []
    for value in values:
        value = value.strip()
        with contextlib.suppress(InvalidOperation):
            if re.fullmatch(r"-?\d+(\.\d+)?", value):
                value = str(Decimal(value).normalize())
        out.append(value)
    return sorted(out)


def verify(patients: list[dict], stats: Stats) -> dict:
    """Every completed patient: one submitted response, one result, every answer as sent."""
    from questionnaires.models import Response, Result
    from questionnaires.patient.forms import FormWalk as Walk

    problems: list[str] = []
    lost = checked = 0
    for patient in patients:
        ref = patient["ref"]
        if ref not in stats.sent:
            continue
        submitted = list(
            Response.objects.select_related("version").filter(
                invitation__patient_ref=ref, status="submitted"
            )
        )
        if len(submitted) != 1:
            problems.append(f"{ref}: {len(submitted)} submitted responses")
            lost += sum(len(fields) for fields in stats.sent[ref].values())
            continue
        response = submitted[0]
        if Result.objects.filter(response=response).count() != 1:
            problems.append(f"{ref}: no single result")
        walk = Walk.for_response(response)
        for step, fields in stats.sent[ref].items():
            if step not in walk.step_keys:
                continue  # a later answer hid this step: its answers do not count
            visible = {question.key for question, _value in walk.answered_items(step)}
            stored = walk.form_classes[step].data_for_answers(walk.answers, prefix=step)
            for name, values in fields.items():
                if name.endswith("_FORMS") or not any(value.strip() for value in values):
                    continue  # formset management fields and empty inputs are not answers
                question = name[len(step) + 1 :].split("-", 1)[0]
                if question not in visible:
                    continue  # hidden by an answer on the same page: ignored by design
                checked += 1
                if normalised(stored.getlist(name)) != normalised(values):
                    lost += 1
                    if len(problems) < 20:
                        problems.append(f"{ref}: {name} stored differently from what was sent")
    return {"answers_checked": checked, "lost_answers": lost, "problems": problems}


def verify_renders(*, timeout: float) -> dict:
    """Wait for the workers; every submission rendered twice (two audiences), none claimed twice."""
    from django.db.models import Count, Max, Min

    from questionnaires.models import Response, SummaryDocument

    submissions = Response.objects.filter(status="submitted", is_preview=False).count()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = SummaryDocument.objects.filter(status__in=["pending", "rendering"]).count()
        if not waiting:
            break
        time.sleep(1)
    by_status = dict(
        SummaryDocument.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    span = SummaryDocument.objects.filter(status="ready").aggregate(
        first=Min("created_at"), last=Max("rendered_at")
    )
    minutes = (
        (span["last"] - span["first"]).total_seconds() / 60 if span["first"] and span["last"] else 0
    )
    return {
        "renders_per_minute": round(by_status.get("ready", 0) / minutes, 1) if minutes else None,
        "submissions": submissions,
        "documents_expected": 2 * submissions,
        "documents_ready": by_status.get("ready", 0),
        "documents_by_status": by_status,
        "rendered_more_than_once": SummaryDocument.objects.filter(attempts__gt=1).count(),
    }


def shared_address_backoff(address: str) -> dict:
    """The guess back-off state of ``address`` in the shared cache this process reads.

    Right links are never counted (``questionnaires.throttle``): a clinic's Wi-Fi full of
    patients must show no failures and no wait, whatever the number of requests.
    """
    import time as _time

    from django.core.cache import cache

    from questionnaires import throttle

    address_policy, _global_policy = throttle.token_policies()
    window = int(_time.time() // address_policy.window_seconds)
    failures = cache.get(throttle._key(address_policy, address, "failures", window)) or 0
    return {"failures": failures, "wait_seconds": throttle.wait_remaining(address_policy, address)}


# --- report ------------------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summarise(stats: Stats, *, patients: int, verification: dict) -> dict:
    elapsed = max(stats.finished - stats.started, 1e-9)
    requests = sum(len(samples) for samples in stats.latencies.values())
    every = [sample for samples in stats.latencies.values() for sample in samples]
    return {
        "patients": patients,
        "completed": stats.completed,
        "elapsed_s": round(elapsed, 2),
        "completed_per_minute": round(stats.completed / elapsed * 60, 1),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "invalid_step_posts": stats.invalid_posts,
        "errors": sum(stats.errors.values()),
        "errors_by_kind": dict(stats.errors),
        "patients_failed": sum(stats.failed.values()),
        "patients_failed_by_reason": stats.failed,
        "error_samples": stats.error_samples,
        "p95_all_s": percentile(every, 0.95),
        "latency_s": {
            kind: {
                "count": len(stats.latencies.get(kind, [])),
                "p50": percentile(stats.latencies.get(kind, []), 0.50),
                "p95": percentile(stats.latencies.get(kind, []), 0.95),
                "p99": percentile(stats.latencies.get(kind, []), 0.99),
                "mean": (
                    statistics.fmean(stats.latencies[kind]) if stats.latencies.get(kind) else None
                ),
            }
            for kind in KINDS
        },
        **verification,
    }


def print_scenario(name: str, result: dict) -> None:
    def ms(value):
        return "   –" if value is None else f"{value * 1000:7.0f}"

    print(f"\n== {name}: {result['patients']} patients ==")
    print(
        f"completed {result['completed']}/{result['patients']} in {result['elapsed_s']} s: "
        f"{result['completed_per_minute']} per minute, {result['requests_per_second']} requests/s"
    )
    print(f"{'request kind':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, row in result["latency_s"].items():
        print(f"{kind:<12}{row['count']:>7}{ms(row['p50'])}{ms(row['p95'])}{ms(row['p99'])}")
    aim = P95_AIMS.get(200 if result["patients"] >= 200 else 50)
    p95 = result["p95_all_s"]
    verdict = "met" if p95 is not None and p95 <= aim else "not met"
    print(f"all requests p95: {ms(p95).strip()} ms (aim ≤ {aim * 1000:.0f} ms: {verdict})")
    print(
        f"errors: {result['errors']} {result['errors_by_kind'] or ''}; patients stopped: "
        f"{result['patients_failed']} {result['patients_failed_by_reason'] or ''}; "
        f"invalid step posts (walker retries): {result['invalid_step_posts']}"
    )
    print(
        f"database: {result['answers_checked']} answers checked, "
        f"lost answers: {result['lost_answers']}"
    )
    for sample in result["error_samples"]:
        print(f"  ! {sample}")
    for problem in result["problems"][:10]:
        print(f"  ! {problem}")


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", "-n", type=int, default=50)
    parser.add_argument(
        "--addresses",
        choices=["own", "shared", "both"],
        default="both",
        help="one loopback address per patient, all from one, or both scenarios in turn",
    )
    parser.add_argument("--shared-address", action="store_true", help="same as --addresses shared")
    parser.add_argument("--servers", type=int, choices=[1, 2], default=1)
    parser.add_argument("--workers", type=int, default=2, help="sync gunicorn workers per server")
    parser.add_argument(
        "--render-workers",
        type=int,
        default=None,
        help="db_worker processes (default: 2 with --servers 2, else none: immediate backend)",
    )
    parser.add_argument("--database", default="sdm_load", help="dropped and re-created")
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--no-redis", action="store_true", help="local-memory cache per worker")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds per scenario")
    parser.add_argument(
        "--warm-up",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="walk one patient per condition and language per server before the clock starts "
        "(--no-warm-up times a freshly started server)",
    )
    parser.add_argument("--out", type=Path, default=VAR / "load.json")
    args = parser.parse_args()
    if not 1 <= args.patients <= 1000:
        raise SystemExit("--patients must be between 1 and 1000")
    if urlsplit(args.postgres).hostname not in {"127.0.0.1", "localhost"}:
        raise SystemExit("the load test only talks to a local PostgreSQL")
    addresses = "shared" if args.shared_address else args.addresses
    scenarios = ["own", "shared"] if addresses == "both" else [addresses]
    render_workers = args.render_workers
    if render_workers is None:
        render_workers = 2 if args.servers == 2 else 0

    redis_url = None if args.no_redis else args.redis_url
    if redis_url:
        import importlib.util

        if importlib.util.find_spec("redis") is None:
            print(
                "note: the 'redis' package is not installed, so REDIS_URL cannot be used; "
                "running with a local-memory cache per worker (rate limits not shared)"
            )
            redis_url = None
    if redis_url and urlsplit(redis_url).hostname not in {"127.0.0.1", "localhost"}:
        raise SystemExit("the load test only talks to a local Redis")

    VAR.mkdir(exist_ok=True)
    started = time.perf_counter()
    database_url = prepare_database(name=args.database, admin_url=args.postgres)
    env = production_env(
        database_url=database_url, redis_url=redis_url, tasks_in_workers=render_workers > 0
    )
    django_setup(env)
    prepare_content(redis_url=redis_url)
    print(
        f"set-up: database {args.database}, demo content, static files "
        f"({time.perf_counter() - started:.1f} s); cache: {redis_url or 'local memory'}; "
        f"{args.servers} server(s) × {args.workers} sync workers; "
        f"{render_workers} render worker(s)"
    )

    processes = Processes()
    log = VAR / "load-servers.log"
    log.write_bytes(b"")
    report: dict[str, Any] = {
        "patients": args.patients,
        "servers": args.servers,
        "workers_per_server": args.workers,
        "render_workers": render_workers,
        "shared_cache": bool(redis_url),
        "aims": {"p95_s_at_50": P95_AIMS[50], "p95_s_at_200": P95_AIMS[200], "lost_answers": 0},
        "scenarios": {},
    }
    try:
        urls = start_servers(
            processes, env=env, servers=args.servers, workers=args.workers, log=log
        )
        render_processes = [
            processes.start(
                [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.5"], env, log
            )
            for _worker in range(render_workers)
        ]
        if args.warm_up:
            report["warm_up_patients"] = warm_up_walks(urls, servers=args.servers)
        for scenario in scenarios:
            patients = create_invitations(count=args.patients, label=scenario)
            cpu_before = time.process_time()
            stats, _timed_out = asyncio.run(
                run_patients(
                    patients,
                    urls=urls,
                    shared=scenario == "shared",
                    time_limit=args.time_limit,
                )
            )
            cpu_walking = time.process_time() - cpu_before
            verification = verify(patients, stats)
            result = summarise(stats, patients=args.patients, verification=verification)
            # The client shares the machine's cores with the servers: its CPU while the
            # patients walk is what the servers could not use (the verification after it
            # reads the database and is not timed, so it is kept apart).
            result["client_cpu_walk_s"] = round(cpu_walking, 2)
            result["client_cpu_s"] = round(time.process_time() - cpu_before, 2)
            name = "one address per patient" if scenario == "own" else "all from one address"
            report["scenarios"][scenario] = result
            print_scenario(name, result)
            if scenario == "shared":
                backoff = shared_address_backoff(source_address(0, shared=True))
                result["shared_address_backoff"] = backoff
                print(
                    f"guess back-off of the shared address: {backoff['failures']} failures, "
                    f"wait {backoff['wait_seconds']} s (a right link is never counted)"
                )
        if render_workers:
            renders = verify_renders(timeout=args.time_limit)
            renders["worker_peak_rss_mb"] = [peak_rss_mb(worker) for worker in render_processes]
            report["renders"] = renders
            print(
                f"\nrenders: {renders['documents_ready']} ready of "
                f"{renders['documents_expected']} expected ({renders['submissions']} "
                f"submissions × 2 audiences); claimed more than once: "
                f"{renders['rendered_more_than_once']}; by status {renders['documents_by_status']}"
            )
            print(
                f"render throughput: {renders['renders_per_minute']} per minute with "
                f"{render_workers} workers; peak RSS per worker (MB): "
                f"{renders['worker_peak_rss_mb']}"
            )
    finally:
        processes.stop()
    text = json.dumps(report, indent=2, default=str) + "\n"
    args.out.write_text(text)
    # One file per configuration as well, so the bench report shows the runs at 50 and 200
    # patients and on two servers side by side instead of only whichever ran last.
    RUNS.mkdir(parents=True, exist_ok=True)
    run_file = RUNS / f"{args.servers}-servers-{args.patients}-patients.json"
    run_file.write_text(text)
    for path in (args.out, run_file):
        print(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()

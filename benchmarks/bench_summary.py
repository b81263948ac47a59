"""Benchmark of the discussion summary: render times, the layout floor, serving stored PDFs.

    .venv/bin/python benchmarks/bench_summary.py [--runs N] [--serve-runs N]

Runs on a fresh SQLite database it creates in a temporary folder (migrate, the shipped
questionnaire and therapy profiles, one submitted response per condition made through the
services, as a patient would). For the clinician summary of each condition it prints
medians over N runs, in a warm process (fonts and stylesheet already loaded):

- end-to-end: fetch, context and SVG charts, template, WeasyPrint (what a worker does);
- WeasyPrint alone on the same HTML;
- the same HTML without the print stylesheet (the stylesheet's own cost);
- the layout floor: WeasyPrint on the same text as plain, unstyled HTML (no stylesheet, no
  tables, no SVG), the least any layout of that text costs;
- pages.

Then the time to serve a stored PDF through the download view (login session, team access
check, audit row, bytes) against the same number of bytes as a static file, both through
Django's WSGI handler (the test client): once served by WhiteNoise (how static files are
served in production) and once by a plain Django view behind the same middleware.

Aims: end-to-end ≤ 1.2 × WeasyPrint alone; styled ≤ 1.5 × the unstyled floor; a stored PDF
within 1.2 × of a static file. The ratios make runs on different machines comparable.
"""

from __future__ import annotations

import argparse
import gc
import html
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def median_seconds(function: Callable[[], object], *, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


class _TextOnly(HTMLParser):
    """The visible text of a document, one paragraph per block of text."""

    SKIP = {"title", "style", "svg", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        text = re.sub(r"\s+", " ", data).strip()
        if text and not self._skipping:
            self.blocks.append(text)


def plain_document(styled_html: str, *, language: str) -> str:
    parser = _TextOnly()
    parser.feed(styled_html)
    body = "".join(f"<p>{html.escape(block)}</p>" for block in parser.blocks)
    head = f'<!doctype html><html lang="{language}"><head><title>T</title></head>'
    return f"{head}<body>{body}</body></html>"


def setup_database(folder: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sdm.settings_test"
    os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False  # each render below is timed on purpose
    settings.STATIC_ROOT = folder / "static"
    settings.ROOT_URLCONF = "benchmarks.bench_summary_urls"
    call_command("migrate", verbosity=0)


def make_responses():
    from questionnaires.models import Team
    from tests.summary.builders import CONDITIONS, demo_content_ensure, submitted_demo_response

    questionnaire = demo_content_ensure()
    team = Team.objects.create(name="Benchmark team")
    responses = {
        condition: submitted_demo_response(
            questionnaire=questionnaire,
            condition=condition,
            patient_ref=f"BENCH-{index:03d}",
            team=team,
        )
        for index, condition in enumerate(CONDITIONS)
    }
    return team, responses


def bench_renders(responses, *, runs: int) -> list[dict]:
    from questionnaires.pdf import pdf_render
    from questionnaires.summary.context import summary_context_build
    from questionnaires.summary.render import PRINT_STYLESHEET, summary_html, summary_pdf

    rows = []
    for condition, response in responses.items():

        def end_to_end(response_id=response.pk):
            context = summary_context_build(
                response=response_id, language="en", audience="clinician"
            )
            return summary_pdf(context=context)

        rendered = end_to_end()
        context = summary_context_build(response=response.pk, language="en", audience="clinician")
        styled = summary_html(context=context)
        plain = plain_document(styled, language="en")
        rows.append(
            {
                "condition": condition,
                "pages": rendered.pages,
                "end_to_end": median_seconds(end_to_end, runs=runs),
                "weasyprint": median_seconds(
                    lambda html_text=styled: pdf_render(
                        html=html_text, stylesheets=[PRINT_STYLESHEET]
                    ),
                    runs=runs,
                ),
                "unstyled": median_seconds(
                    lambda html_text=styled: pdf_render(html=html_text, stylesheets=[]),
                    runs=runs,
                ),
                "floor": median_seconds(
                    lambda html_text=plain: pdf_render(html=html_text, stylesheets=[]), runs=runs
                ),
            }
        )
    return rows


def bench_serving(team, response, *, runs: int) -> dict:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from questionnaires.models import SummaryDocument
    from questionnaires.services.summaries import summary_render, summary_request
    from tests.clinic_factories import PASSWORD, user

    document = summary_request(result=response.result, audience="clinician", language="en")
    if document.status != "ready":
        document = summary_render(document=document)
    size = len(bytes(SummaryDocument.objects.get(pk=document.pk).pdf))
    static_dir = Path(settings.STATIC_ROOT)
    static_dir.mkdir(parents=True, exist_ok=True)
    (static_dir / "same-size.pdf").write_bytes(os.urandom(size))

    user("bench-clinician", team=team)
    client = Client()
    assert client.login(username="bench-clinician", password=PASSWORD)
    pdf_url = reverse("clinician:response_summary_pdf", args=[response.pk]) + "?lang=en"
    static_url = settings.STATIC_URL + "same-size.pdf"
    plain_url = "/bench/same-size.pdf"

    def fetch(url: str, expected: int) -> None:
        answer = client.get(url)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert answer.status_code == 200 and len(body) == expected, (url, answer.status_code)

    return {
        "bytes": size,
        "stored_pdf": median_seconds(lambda: fetch(pdf_url, size), runs=runs, warmup=3),
        "whitenoise": median_seconds(lambda: fetch(static_url, size), runs=runs, warmup=3),
        "django_file": median_seconds(lambda: fetch(plain_url, size), runs=runs, warmup=3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="renders per measurement")
    parser.add_argument("--serve-runs", type=int, default=200, help="downloads per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sdm-bench-summary-") as folder:
        setup_database(Path(folder))
        started = time.perf_counter()
        team, responses = make_responses()
        print(
            f"setup: fresh SQLite, demo content, 5 submitted responses "
            f"({time.perf_counter() - started:.1f} s)\n"
        )
        rows = bench_renders(responses, runs=args.runs)
        print(f"clinician summary, medians of {args.runs} runs (ms)")
        header = (
            f"{'condition':<20}{'pages':>6}{'end-to-end':>12}{'WeasyPrint':>12}"
            f"{'no CSS':>8}{'floor':>7}{'e2e/WP':>8}{'WP/floor':>10}{'WP/no CSS':>11}"
        )
        print(header)
        for row in rows:
            print(
                f"{row['condition']:<20}{row['pages']:>6}{row['end_to_end'] * 1000:>12.0f}"
                f"{row['weasyprint'] * 1000:>12.0f}{row['unstyled'] * 1000:>8.0f}"
                f"{row['floor'] * 1000:>7.0f}"
                f"{row['end_to_end'] / row['weasyprint']:>8.2f}"
                f"{row['weasyprint'] / row['floor']:>10.2f}"
                f"{row['weasyprint'] / row['unstyled']:>11.2f}"
            )
        worst_e2e = max(row["end_to_end"] / row["weasyprint"] for row in rows)
        worst_style = max(row["weasyprint"] / row["floor"] for row in rows)
        print(f"\nworst end-to-end / WeasyPrint alone: {worst_e2e:.2f} (aim ≤ 1.2)")
        print(f"worst styled / unstyled floor:       {worst_style:.2f} (aim ≤ 1.5)")
        worst_css = max(row["weasyprint"] / row["unstyled"] for row in rows)
        print(f"worst styled / same HTML without CSS: {worst_css:.2f} (the stylesheet's own cost)")
        serving = bench_serving(team, responses["psoriasis"], runs=args.serve_runs)
        print(f"\nserving {serving['bytes']} bytes, medians of {args.serve_runs} requests (ms)")
        print(f"  stored PDF (download view):       {serving['stored_pdf'] * 1000:8.3f}")
        print(f"  static file (WhiteNoise):         {serving['whitenoise'] * 1000:8.3f}")
        print(f"  same file (plain Django view):    {serving['django_file'] * 1000:8.3f}")
        print(
            f"stored / WhiteNoise static: {serving['stored_pdf'] / serving['whitenoise']:.2f}; "
            f"stored / Django file view: {serving['stored_pdf'] / serving['django_file']:.2f} "
            f"(aim ≤ 1.2)"
        )


if __name__ == "__main__":
    main()

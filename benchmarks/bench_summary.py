"""Benchmark of the discussion summary: render times, the layout floor, serving stored PDFs.

    .venv/bin/python benchmarks/bench_summary.py [--runs N] [--serve-runs N] [--database-url URL]

Runs on a fresh database (SQLite in a temporary folder, or the PostgreSQL database named by
``--database-url``; the shipped questionnaire and therapy profiles, one submitted response
per condition made through the services, as a patient would). For the clinician summary of
each condition it prints medians over N runs, in a warm process (fonts and stylesheet
already loaded):

- end-to-end: fetch, context and SVG charts, template, WeasyPrint (what a worker does);
- WeasyPrint alone on the same HTML;
- the floor: the same HTML (tables and charts included) without the print stylesheet, so
  "styled / floor" is what the stylesheet's layout costs (the earlier floor, the text alone
  as plain paragraphs, lacked the tables and charts and so was no fair floor);
- pages, and pages rendered per second on one core (one process, end to end).

Then the time to serve a stored PDF through the download view (login session, team access
check, audit row, the file streamed from the summary storage with ``FileResponse``, as
every PDF rendered since the storage is; the test settings put the storage in a temporary
folder), through Django's WSGI handler (the test client), against:

- the floor: a view doing the same required work by hand (``bench_urls.pdf_floor``: the
  session user, one team-membership read, one audit insert, ``FileResponse``) — the aim;
- a static file of the same size served by WhiteNoise, and by a plain Django file view
  (for reference: neither checks access nor writes an audit row).

Aims: end-to-end ≤ 1.2 × WeasyPrint alone; styled ≤ 1.3 × the floor; a stored PDF within
1.5 × of the audited floor. The ratios make runs on different machines comparable.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

from _common import database_vendor, median_seconds, setup_database, write_part
from pypdf import PdfReader


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
    from questionnaires.pdf.rendering import pdf_render
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
        unstyled_pdf = pdf_render(html=styled, stylesheets=[])
        rows.append(
            {
                "condition": condition,
                "pages": rendered.pages,
                # Without the print stylesheet the charts and tables take their intrinsic
                # sizes, so the floor may run to more pages: shown beside the ratio.
                # (Counted by reading the PDF: WeasyPrint packs its page objects into
                # compressed object streams, where searching the bytes finds none.)
                "floor_pages": len(PdfReader(io.BytesIO(unstyled_pdf)).pages),
                "end_to_end": median_seconds(end_to_end, runs=runs),
                "weasyprint": median_seconds(
                    lambda html_text=styled: pdf_render(
                        html=html_text, stylesheets=[PRINT_STYLESHEET]
                    ),
                    runs=runs,
                ),
                "floor": median_seconds(
                    lambda html_text=styled: pdf_render(html=html_text, stylesheets=[]),
                    runs=runs,
                ),
            }
        )
    return rows


def bench_serving(team, response, *, runs: int) -> dict:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from questionnaires.models import SummaryDocument
    from questionnaires.services.summaries import (
        summary_pdf_bytes,
        summary_render,
        summary_request,
    )
    from tests.clinic_factories import PASSWORD, user

    document = summary_request(result=response.result, audience="clinician", language="en")
    if document.status != "ready":
        document = summary_render(document=document)
    stored = SummaryDocument.objects.get(pk=document.pk)
    assert stored.file and stored.pdf is None, "the stored PDF should be a file"
    size = len(summary_pdf_bytes(document=stored))
    static_dir = Path(settings.STATIC_ROOT)
    static_dir.mkdir(parents=True, exist_ok=True)
    (static_dir / "same-size.pdf").write_bytes(os.urandom(size))
    from benchmarks import bench_urls

    bench_urls.FLOOR_PDF["path"] = static_dir / "same-size.pdf"

    user("bench-clinician", team=team)
    client = Client()
    assert client.login(username="bench-clinician", password=PASSWORD)
    pdf_url = reverse("clinician:response_summary_pdf", args=[response.pk]) + "?lang=en"
    static_url = settings.STATIC_URL + "same-size.pdf"
    plain_url = "/bench/static/same-size.pdf"
    floor_url = f"/bench/pdf-floor/{response.pk}/"

    def fetch(url: str, expected: int) -> None:
        answer = client.get(url)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert answer.status_code == 200 and len(body) == expected, (url, answer.status_code)

    return {
        "bytes": size,
        "stored_pdf": median_seconds(lambda: fetch(pdf_url, size), runs=runs, warmup=3),
        "audited_floor": median_seconds(lambda: fetch(floor_url, size), runs=runs, warmup=3),
        "whitenoise": median_seconds(lambda: fetch(static_url, size), runs=runs, warmup=3),
        "django_file": median_seconds(lambda: fetch(plain_url, size), runs=runs, warmup=3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="renders per measurement")
    parser.add_argument("--serve-runs", type=int, default=200, help="downloads per measurement")
    parser.add_argument("--database-url", default=None, help="PostgreSQL; name must hold 'bench'")
    args = parser.parse_args()
    setup_database(label="summary", database_url=args.database_url)
    started = time.perf_counter()
    team, responses = make_responses()
    print(
        f"setup: fresh {database_vendor()} database, demo content, 5 submitted responses "
        f"({time.perf_counter() - started:.1f} s)\n"
    )
    rows = bench_renders(responses, runs=args.runs)
    print(f"clinician summary, medians of {args.runs} runs (ms)")
    print(
        f"{'condition':<20}{'pages':>6}{'end-to-end':>12}{'WeasyPrint':>12}"
        f"{'floor':>8}{'pages':>6}{'e2e/WP':>8}{'WP/floor':>10}"
    )
    for row in rows:
        print(
            f"{row['condition']:<20}{row['pages']:>6}{row['end_to_end'] * 1000:>12.0f}"
            f"{row['weasyprint'] * 1000:>12.0f}{row['floor'] * 1000:>8.0f}{row['floor_pages']:>6}"
            f"{row['end_to_end'] / row['weasyprint']:>8.2f}"
            f"{row['weasyprint'] / row['floor']:>10.2f}"
        )
    worst_e2e = max(row["end_to_end"] / row["weasyprint"] for row in rows)
    worst_style = max(row["weasyprint"] / row["floor"] for row in rows)
    pages_per_second = sum(row["pages"] for row in rows) / sum(row["end_to_end"] for row in rows)
    print(f"\nworst end-to-end / WeasyPrint alone:       {worst_e2e:.2f} (aim ≤ 1.2)")
    print(f"worst styled / same HTML without the CSS:  {worst_style:.2f} (aim ≤ 1.3)")
    print(f"pages per second per core (end to end):    {pages_per_second:.1f}")
    serving = bench_serving(team, responses["psoriasis"], runs=args.serve_runs)
    print(f"\nserving {serving['bytes']} bytes, medians of {args.serve_runs} requests (ms)")
    print(f"  stored PDF (download view):       {serving['stored_pdf'] * 1000:8.3f}")
    print(f"  audited floor (FileResponse):     {serving['audited_floor'] * 1000:8.3f}")
    print(f"  static file (WhiteNoise):         {serving['whitenoise'] * 1000:8.3f}")
    print(f"  same file (plain Django view):    {serving['django_file'] * 1000:8.3f}")
    stored_floor = serving["stored_pdf"] / serving["audited_floor"]
    print(f"stored / audited floor: {stored_floor:.2f} (aim ≤ 1.5)")
    write_part(
        "summary",
        {
            "database": database_vendor(),
            "renders": rows,
            "pages_per_second_per_core": pages_per_second,
            "serving_s": serving,
            "ratios": {
                "summary PDF end-to-end / WeasyPrint alone": worst_e2e,
                "summary styled / same HTML without CSS": worst_style,
                "stored PDF served / audited floor": stored_floor,
                "stored PDF served / WhiteNoise static": serving["stored_pdf"]
                / serving["whitenoise"],
                "stored PDF served / plain file view": serving["stored_pdf"]
                / serving["django_file"],
            },
        },
    )


if __name__ == "__main__":
    main()

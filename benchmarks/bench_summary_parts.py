"""What the charts and the options table cost in a clinician summary PDF (issue 14, item 4).

    .venv/bin/python benchmarks/bench_summary_parts.py [--runs N] [--database-url URL]

For each demo condition, lays out with WeasyPrint and the print stylesheet: the summary's
HTML as rendered, the same HTML without its SVG charts, and the same HTML without the
options table. The share of a part is 1 − (time without it / time with it), so a part
that costs nothing reads about 0; pages are printed beside, since taking a part out can
also take a page out. A script, not a test: timings on a shared machine are noise, the
proportions within one run are the point.
"""

from __future__ import annotations

import argparse
import io
import re

from _common import median_seconds, setup_database
from pypdf import PdfReader

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
OPTIONS_TABLE = re.compile(r'<table class="summary-table options-table">.*?</table>', re.S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="PostgreSQL; name must hold 'bench'")
    args = parser.parse_args()
    setup_database(label="summary-parts", database_url=args.database_url)

    from bench_summary import make_responses

    from questionnaires.pdf.rendering import pdf_render
    from questionnaires.summary.context import summary_context_build
    from questionnaires.summary.render import PRINT_STYLESHEET, summary_html

    def layout(html_text: str) -> tuple[float, int]:
        pdf = pdf_render(html=html_text, stylesheets=[PRINT_STYLESHEET])
        seconds = median_seconds(
            lambda: pdf_render(html=html_text, stylesheets=[PRINT_STYLESHEET]), runs=args.runs
        )
        return seconds, len(PdfReader(io.BytesIO(pdf)).pages)

    _team, responses = make_responses()
    print(f"clinician summary, WeasyPrint with the print stylesheet, medians of {args.runs} (ms)")
    print(
        f"{'condition':<20}{'charts':>7}{'full':>9}{'pages':>6}"
        f"{'no charts':>11}{'pages':>6}{'share':>7}{'no table':>10}{'pages':>6}{'share':>7}"
    )
    for condition, response in responses.items():
        context = summary_context_build(response=response.pk, language="en", audience="clinician")
        html_text = summary_html(context=context)
        charts = len(SVG.findall(html_text))
        if not OPTIONS_TABLE.search(html_text):
            raise SystemExit(f"{condition}: no options table found; update OPTIONS_TABLE")
        full, full_pages = layout(html_text)
        no_charts, no_charts_pages = layout(SVG.sub("", html_text))
        no_table, no_table_pages = layout(OPTIONS_TABLE.sub("", html_text, count=1))
        print(
            f"{condition:<20}{charts:>7}{full * 1000:>9.0f}{full_pages:>6}"
            f"{no_charts * 1000:>11.0f}{no_charts_pages:>6}{1 - no_charts / full:>7.0%}"
            f"{no_table * 1000:>10.0f}{no_table_pages:>6}{1 - no_table / full:>7.0%}"
        )


if __name__ == "__main__":
    main()

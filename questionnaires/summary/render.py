"""The summary as HTML and as PDF, from one template family, within a time limit.

* ``summary_html(context=…)``: the complete HTML document (``summary/summary_pdf.html`` for
  the clinician; ``summary/patient_pdf.html``, its own plain-language document, for the
  patient). The clinician's web page uses the clinician's sections through
  ``summary/summary.html``.
* ``summary_pdf(context=…)``: that document through the project's one WeasyPrint setup
  (``questionnaires.pdf.rendering.pdf_render``: static-only URL fetcher, one font configuration and
  parsed stylesheet per process, tagged PDF), with the time limit below.

The time limit and the child process are ``questionnaires.pdf.time_limit``'s.

A failed or timed-out render says only what kind of failure it was: the HTML holds patient
text and must never reach a log or the stored error.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from questionnaires.pdf.rendering import pdf_render
from questionnaires.pdf.time_limit import (
    can_use_alarm,
    render_in_child,
    time_limit,
)

if TYPE_CHECKING:  # annotations only: the context module imports this one at run time
    from questionnaires.summary.context import SummaryContext

# Bump when a template, the print stylesheet or the context changes what a PDF shows: stored
# PDFs are keyed by it, so the next download renders the new version.
SUMMARY_TEMPLATE_VERSION = "2026.6"
PRINT_STYLESHEET = "css/print-summary.css"
# Tighter, then looser, layouts tried when a page would be less than a quarter filled
# (``questionnaires.pdf.rendering.pdf_render``); the print stylesheet defines both classes.
BALANCE_CLASSES = ("layout-tight", "layout-loose", "layout-tighter", "layout-looser")
DOCUMENT_TEMPLATES = {
    "clinician": "summary/summary_pdf.html",
    "patient": "summary/patient_pdf.html",
}


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int | None


def summary_html(*, context: SummaryContext) -> str:
    """The complete HTML document of the summary, in the reader's language."""
    with translation.override(context.language):
        return render_to_string(
            DOCUMENT_TEMPLATES[context.audience],
            {"summary": context, "print_stylesheet": PRINT_STYLESHEET},
        )


def summary_pdf(*, context: SummaryContext, seconds: float | None = None) -> RenderedPdf:
    """The summary as PDF bytes with its page count, within the time limit."""
    return html_pdf(
        html=summary_html(context=context), seconds=seconds, balance_classes=BALANCE_CLASSES
    )


def html_pdf(
    *,
    html: str,
    stylesheets: Sequence[str] = (PRINT_STYLESHEET,),
    seconds: float | None = None,
    balance_classes: Sequence[str] = (),
) -> RenderedPdf:
    limit = settings.SDM_PDF_TIME_LIMIT_SECONDS if seconds is None else seconds
    if can_use_alarm():
        with time_limit(limit):
            pdf = pdf_render(
                html=html, stylesheets=list(stylesheets), balance_classes=balance_classes
            )
    else:
        pdf = render_in_child(
            html=html, stylesheets=stylesheets, seconds=limit, balance_classes=balance_classes
        )
    return RenderedPdf(pdf=pdf, pages=pdf_page_count(pdf))


# --- the page count, without a PDF library at run time ----------------------------------------

# Where a stream's data begins. Its end is found by inflating, not by looking for
# "endstream": compressed data may itself end in a carriage return, which a pattern for the
# line break before "endstream" takes away, and the stream then no longer inflates.
_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")
_DICTIONARY = re.compile(rb"<<((?:(?!<<|>>).)*)>>", re.DOTALL)
_PAGES_TYPE = re.compile(rb"/Type\s*/Pages\b")
_COUNT = re.compile(rb"/Count\s+(\d+)")


def pdf_page_count(pdf: bytes) -> int | None:
    """The number of pages: the largest ``/Count`` of a ``/Type /Pages`` node.

    WeasyPrint writes compressed object streams, so the page tree is looked for in the plain
    file and in every stream that inflates. None when no page tree is found.
    """
    chunks = [pdf]
    data = memoryview(pdf)
    for match in _STREAM_START.finditer(pdf):
        # Inflating stops at the end of the compressed stream; what follows is left unused.
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(data[match.end() :])
        except zlib.error:
            continue  # not compressed with Flate (an image, say)
        if inflater.eof:
            chunks.append(inflated)
    counts = [
        int(count.group(1))
        for chunk in chunks
        for dictionary in _DICTIONARY.finditer(chunk)
        if _PAGES_TYPE.search(dictionary.group(1))
        for count in [_COUNT.search(dictionary.group(1))]
        if count is not None
    ]
    return max(counts) if counts else None

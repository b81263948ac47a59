"""The summary as HTML and as PDF, from one template family, within a time limit.

* ``summary_html(context=…)``: the complete HTML document (``summary/summary_pdf.html`` for
  the clinician; ``summary/patient_pdf.html``, its own plain-language document, for the
  patient). The clinician's web page uses the clinician's sections through
  ``summary/summary.html``.
* ``summary_pdf(context=…)``: that document through the project's one WeasyPrint setup
  (``questionnaires.pdf.pdf_render``: static-only URL fetcher, one font configuration and
  parsed stylesheet per process, tagged PDF), with the time limit below.

**Time limit** (``settings.SDM_PDF_TIME_LIMIT_SECONDS``; django-tasks-db has none of its
own). WeasyPrint can take very long on some input (its docs say to limit time), and a stuck
render would hold a worker forever. Two ways, chosen by where the render runs:

1. In a process's main thread (``manage.py db_worker``, ``render_summary``, a sync gunicorn
   worker, the test runner): a ``SIGALRM`` interval timer raises ``RenderTimeout`` inside the
   render. No extra process, so nothing is paid when all goes well.
2. In any other thread (a threaded dev server running tasks immediately), where signals
   cannot be delivered: the HTML goes to a child process (``python -m
   questionnaires.summary.pdf_child``) that is killed when the time is up. It pays the child's
   start-up (about a second), which only this fallback pays.

A failed or timed-out render says only what kind of failure it was: the HTML holds patient
text and must never reach a log or the stored error.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import zlib
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from questionnaires.pdf import pdf_render

if TYPE_CHECKING:  # annotations only: the context module imports this one at run time
    from questionnaires.summary.context import SummaryContext

# Bump when a template, the print stylesheet or the context changes what a PDF shows: stored
# PDFs are keyed by it, so the next download renders the new version.
SUMMARY_TEMPLATE_VERSION = "2026.2"
PRINT_STYLESHEET = "css/print-summary.css"
# Tighter, then looser, layouts tried when a page would be less than a quarter filled
# (``questionnaires.pdf.pdf_render``); the print stylesheet defines both classes.
BALANCE_CLASSES = ("layout-tight", "layout-loose", "layout-tighter", "layout-looser")
DOCUMENT_TEMPLATES = {
    "clinician": "summary/summary_pdf.html",
    "patient": "summary/patient_pdf.html",
}


class RenderFailed(Exception):
    """The PDF could not be made. The message names the kind of failure, never content."""


class RenderTimeout(RenderFailed):
    pass


class _AlarmFired(BaseException):
    """Raised by the alarm inside WeasyPrint. A BaseException, so that WeasyPrint's own
    ``except Exception`` blocks (around fetching and font loading) cannot swallow it."""


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
    if _can_use_alarm():
        with time_limit(limit):
            pdf = pdf_render(
                html=html, stylesheets=list(stylesheets), balance_classes=balance_classes
            )
    else:
        pdf = _render_in_child(
            html=html, stylesheets=stylesheets, seconds=limit, balance_classes=balance_classes
        )
    return RenderedPdf(pdf=pdf, pages=pdf_page_count(pdf))


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float):
    """Raise ``RenderTimeout`` in this (main) thread after ``seconds``; 0 means no limit."""
    if not seconds or seconds <= 0:
        yield
        return

    def on_alarm(signum, frame):
        # The alarm can land where Python swallows exceptions (a garbage-collector
        # callback, say); re-arm it so it fires again until the render stops.
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        raise _AlarmFired

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _AlarmFired:
        raise RenderTimeout(f"PDF render exceeded the time limit of {seconds:g} s") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_timer[0]:  # someone else's timer was running: give it back
            signal.setitimer(signal.ITIMER_REAL, *previous_timer)


def _render_in_child(
    *, html: str, stylesheets: Sequence[str], seconds: float, balance_classes: Sequence[str] = ()
) -> bytes:
    payload = json.dumps(
        {
            "html": html,
            "stylesheets": list(stylesheets),
            "balance_classes": list(balance_classes),
        }
    ).encode("utf-8")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "sdm.settings"),
    }
    try:
        finished = subprocess.run(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "questionnaires.summary.pdf_child"],
            input=payload,
            capture_output=True,
            timeout=seconds if seconds and seconds > 0 else None,
            env=env,
            cwd=str(settings.BASE_DIR),
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        raise RenderTimeout(
            f"PDF render exceeded the time limit of {seconds:g} s (child process killed)"
        ) from expired
    if finished.returncode != 0:
        # The child's stderr may quote the document; report only that it failed.
        raise RenderFailed(f"PDF render child process exited with status {finished.returncode}")
    return finished.stdout


# --- the page count, without a PDF library at run time ----------------------------------------

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_DICTIONARY = re.compile(rb"<<((?:(?!<<|>>).)*)>>", re.DOTALL)
_PAGES_TYPE = re.compile(rb"/Type\s*/Pages\b")
_COUNT = re.compile(rb"/Count\s+(\d+)")


def pdf_page_count(pdf: bytes) -> int | None:
    """The number of pages: the largest ``/Count`` of a ``/Type /Pages`` node.

    WeasyPrint writes compressed object streams, so the page tree is looked for in the plain
    file and in every stream that inflates. None when no page tree is found.
    """
    chunks = [pdf]
    for match in _STREAM.finditer(pdf):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    counts = [
        int(count.group(1))
        for chunk in chunks
        for dictionary in _DICTIONARY.finditer(chunk)
        if _PAGES_TYPE.search(dictionary.group(1))
        for count in [_COUNT.search(dictionary.group(1))]
        if count is not None
    ]
    return max(counts) if counts else None

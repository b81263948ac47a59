"""The time limit every PDF render runs under (``settings.SDM_PDF_TIME_LIMIT_SECONDS``;
django-tasks-db has none of its own).

WeasyPrint can take very long on some input (its docs say to limit time), and a stuck
render would hold a worker forever. Two ways, chosen by where the render runs:

1. In a process's main thread (``manage.py db_worker``, ``render_summary``, a sync gunicorn
   worker, the test runner): a ``SIGALRM`` interval timer raises ``RenderTimeout`` inside the
   render. No extra process, so nothing is paid when all goes well.
2. In any other thread (a threaded dev server running tasks immediately), where signals
   cannot be delivered: the HTML goes to a child process (``python -m
   questionnaires.pdf.child``) that is killed when the time is up. It pays the child's
   start-up (about a second), which only this fallback pays.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from contextlib import contextmanager

from django.conf import settings


class RenderFailed(Exception):
    """The PDF could not be made. The message names the kind of failure, never content."""


class RenderTimeout(RenderFailed):
    pass


class _AlarmFired(BaseException):
    """Raised by the alarm inside WeasyPrint. A BaseException, so that WeasyPrint's own
    ``except Exception`` blocks (around fetching and font loading) cannot swallow it."""


def can_use_alarm() -> bool:
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


def render_in_child(
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
            [sys.executable, "-m", "questionnaires.pdf.child"],
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

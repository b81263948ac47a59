"""``manage.py worker_health``: the render queue's health, for monitoring.

Prints one JSON object: tasks waiting in the queue, tasks running, summary documents
pending or rendering, and the age of the oldest of them. Exits 1 when the oldest waits
longer than ``--max-age`` seconds (default: twice the render lease) or the database cannot
be reached, so a monitor (or systemd's ExecStartPost/a cron job) can alert.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from questionnaires.models import SummaryDocument
from questionnaires.models.response import SummaryStatus
from questionnaires.services.summaries import render_lease


class Command(BaseCommand):
    help = "Report queue depth and the oldest waiting summary render; exit 1 when unhealthy."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=float, default=None, help="seconds")

    def handle(self, *args, max_age: float | None, **options):
        max_age = max_age if max_age is not None else 2 * render_lease().total_seconds()
        try:
            report = _report()
        except DatabaseError as error:
            self.stdout.write(json.dumps({"healthy": False, "error": type(error).__name__}))
            raise SystemExit(1) from None
        oldest = report["oldest_waiting_render_seconds"]
        report["healthy"] = oldest is None or oldest <= max_age
        self.stdout.write(json.dumps(report, sort_keys=True))
        if not report["healthy"]:
            raise SystemExit(1)


def _report() -> dict:
    now = timezone.now()
    waiting = SummaryDocument.objects.filter(
        status__in=[SummaryStatus.PENDING, SummaryStatus.RENDERING]
    )
    oldest = waiting.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "queued_tasks": DBTaskResult.objects.filter(status=TaskResultStatus.READY).count(),
        "running_tasks": DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count(),
        "waiting_renders": waiting.count(),
        "oldest_waiting_render_seconds": (
            round((now - oldest).total_seconds(), 1) if oldest is not None else None
        ),
    }

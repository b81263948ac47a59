"""``manage.py sdm_worker``: django-tasks-db's ``db_worker`` with outage recovery and the
sweep for abandoned renders (see ``questionnaires/worker.py``). Same options."""

from __future__ import annotations

from django_tasks_db.management.commands import db_worker

from questionnaires.worker import RecoveringWorker


class Command(db_worker.Command):
    help = (
        "Run a database task worker that reconnects after a database outage and re-queues "
        "summary renders whose worker died (use instead of db_worker in production)."
    )

    def handle(self, *args, **options):
        original = db_worker.Worker
        db_worker.Worker = RecoveringWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original

"""A db_worker that recovers by itself (``manage.py sdm_worker``).

django-tasks-db's worker exits on the first database error and never looks at work a dead
worker left half done. This one:

* survives a database outage: any ``OperationalError``/``InterfaceError`` closes the
  connections and the loop starts again after a back-off (0.5 s doubling to 30 s);
* sweeps every ``SDM_WORKER_SWEEP_SECONDS`` for summary renders whose claim outlived the
  lease (``summaries.summary_reclaim_abandoned``) and queues them again, so a render
  claimed by a worker killed mid-way is finished by another without anyone asking.

Run it under a supervisor (systemd unit in docs/deploy.md) so it restarts after a crash.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("questionnaires.worker")

FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0
DATABASE_ERRORS = (OperationalError, InterfaceError)


def _close_connections() -> None:
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(*DATABASE_ERRORS):  # it is already gone
            connection.close()


class RecoveringWorker(Worker):
    def run(self) -> None:
        sweeper = threading.Thread(target=self._sweep_forever, name="render-sweeper", daemon=True)
        sweeper.start()
        delay = FIRST_RETRY_SECONDS
        while self.running:
            try:
                super().run()
                return  # batch or max-tasks finished, or a graceful shutdown
            except DATABASE_ERRORS as error:
                logger.warning(
                    "database unavailable (%s); the worker retries in %.1f s",
                    type(error).__name__,
                    delay,
                )
                _close_connections()
                time.sleep(delay)
                delay = min(delay * 2, LONGEST_RETRY_SECONDS)
                # Once a loop gets past its first query the database is back.
                self.startup_delay = False

    def _sweep_forever(self) -> None:
        from questionnaires.services.summaries import summary_reclaim_abandoned

        interval = settings.SDM_WORKER_SWEEP_SECONDS
        while self.running:
            try:
                summary_reclaim_abandoned()
                close_lost_render_tasks()
            except DATABASE_ERRORS:
                _close_connections()  # the main loop reports the outage
            except Exception:  # a sweep must never stop the worker
                logger.exception("summary sweep failed")
            finally:
                connections.close_all()
            time.sleep(interval)


LOST_TASK_CLASS_PATH = "questionnaires.worker.WorkerLost"


def close_lost_render_tasks() -> int:
    """Mark render tasks still "running" after the lease as failed: their worker is gone.

    django-tasks-db never revisits a running row, so a killed worker's task would count as
    running for ever (and inflate ``worker_health``). Its document has been re-queued by
    ``summary_reclaim_abandoned``; only the queue's bookkeeping is closed here.
    """
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from questionnaires.services.summaries import render_lease
    from questionnaires.tasks import summary_render_task

    now = timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING,
        task_path=summary_render_task.module_path,
        started_at__lt=now - render_lease(),
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=LOST_TASK_CLASS_PATH,
        traceback="The worker running this task stopped before it finished (lease expired).",
    )

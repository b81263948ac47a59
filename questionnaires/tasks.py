"""Background tasks (the Django tasks API, ``django_tasks`` backport of ``django.tasks``).

A task only finds its row and calls a service; everything it does is in the service, so the
backend can change (immediate, the database worker, RQ, Celery one day) without touching
the domain. Arguments are ids (JSON), never objects or patient data.

Each task is defined beside the service it runs and that enqueues it (so the two never
import each other); this module names them all in one place. A task row queued by an
older release stores the path ``questionnaires.tasks.<name>``, which still resolves here.

Backends (``settings.TASKS``): ``ImmediateBackend`` by default (the task runs inside
``enqueue``); with ``TASKS_BACKEND=database``, ``django_tasks_db.DatabaseBackend`` and any
number of ``manage.py sdm_worker`` processes sharing the database (``db_worker`` that
recovers by itself: questionnaires/worker.py).
"""

from __future__ import annotations

from questionnaires.services.summaries import summary_render_task

__all__ = ["summary_render_task"]

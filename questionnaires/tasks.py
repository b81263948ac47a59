"""Background tasks (the Django tasks API, ``django_tasks`` backport of ``django.tasks``).

A task only finds its row and calls a service; everything it does is in the service, so the
backend can change (immediate, the database worker, RQ, Celery one day) without touching
the domain. Arguments are ids (JSON), never objects or patient data.

Backends (``settings.TASKS``): ``ImmediateBackend`` by default (the task runs inside
``enqueue``); with ``TASKS_BACKEND=database``, ``django_tasks_db.DatabaseBackend`` and any
number of ``manage.py sdm_worker`` processes sharing the database (``db_worker`` that
recovers by itself: questionnaires/worker.py).
"""

from __future__ import annotations

from django_tasks import task


@task()
def summary_render_task(document_id: int) -> str:
    """Render one stored summary document; returns its status afterwards."""
    from questionnaires.models import SummaryDocument
    from questionnaires.services.summaries import summary_render

    document = SummaryDocument.objects.defer("pdf").filter(pk=document_id).first()
    if document is None:  # the result was erased in the meantime
        return "missing"
    return summary_render(document=document).status

"""Real concurrency: two connections racing on one response (PostgreSQL row locks).

The sequential tests in test_responses.py pin the same rules on every database; these
start two threads with their own connections at the same moment, which only means
something where ``select_for_update`` takes a row lock (PostgreSQL). SQLite serialises
writers with IMMEDIATE transactions instead, and its shared in-memory test database
answers a second writer with "table is locked" rather than waiting.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from questionnaires.models import AuditAction, AuditEvent, Response, Result
from questionnaires.services.responses import StaleRevision, response_save_step, response_submit
from tests.factories import clinic_definition, invite, publish
from tests.services.test_responses import answer_everything

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks; SQLite runs the sequential versions of these tests",
    ),
]


def race(*callables):
    """Run the callables in threads released together; return (results, errors) in order."""
    barrier = threading.Barrier(len(callables))
    results: list = [None] * len(callables)
    errors: list = [None] * len(callables)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            errors[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(callables)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.fixture
def response():
    from questionnaires.services.responses import response_start

    invitation, _token = invite(publish(clinic_definition()))
    return answer_everything(response_start(invitation=invitation))


def test_two_simultaneous_submits_give_exactly_one_submission(response):
    def submit():
        return response_submit(
            response=Response.objects.get(pk=response.pk), expected_revision=response.revision
        )

    results, errors = race(submit, submit)
    assert errors == [None, None]
    assert results[0].submitted_at == results[1].submitted_at
    assert Result.objects.filter(response=response).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.RESPONSE_SUBMITTED).count() == 1


def test_two_tabs_saving_the_same_revision_one_wins_the_other_is_told(response):
    def save(age):
        return lambda: response_save_step(
            response=Response.objects.get(pk=response.pk),
            step="about",
            expected_revision=response.revision,
            values={"condition": "psoriasis", "age": age},
        )

    results, errors = race(save(40), save(60))
    assert sorted(type(error).__name__ for error in errors if error) == ["StaleRevision"]
    winner = 40 if errors[1] else 60
    stored = Response.objects.get(pk=response.pk)
    assert stored.answers["age"] == winner
    assert stored.revision == response.revision + 1
    assert all(error is None or isinstance(error, StaleRevision) for error in errors)


def test_two_tabs_saving_as_read_at_the_same_revision_one_wins_the_other_is_told(response):
    """The wizard's path: each thread saves from its own read of the row, with no lock; the
    UPDATE that holds only at the revision read lets exactly one through."""

    def save(age):
        def run():
            read = Response.objects.get(pk=response.pk)
            return response_save_step(
                response=read,
                step="about",
                expected_revision=response.revision,
                values={"condition": "psoriasis", "age": age},
                as_read=True,
            )

        return run

    for _round in range(5):  # several rounds: the two reads often land before either write
        start = Response.objects.get(pk=response.pk)
        response.revision = start.revision
        results, errors = race(save(40), save(60))
        assert sorted(type(error).__name__ for error in errors if error) == ["StaleRevision"]
        winner = 40 if errors[1] else 60
        stored = Response.objects.get(pk=response.pk)
        assert stored.answers["age"] == winner
        assert stored.revision == start.revision + 1

"""How a result's frozen weighing is stored (migration 0013): LZ4 on PostgreSQL.

The weighing holds every option's profile text (hundreds of KB), so PostgreSQL compresses
it out of line; LZ4 halves the INSERT's cost of a submit against the default pglz
(docs/performance.md). What matters here is that the migration really set the method and
that a value written with it reads back unchanged.
"""

from __future__ import annotations

import importlib

import pytest
from django.db import connection

from questionnaires.models import Result
from questionnaires.services.responses import response_start, response_submit
from tests.factories import clinic_definition, invite, publish
from tests.services.test_responses import answer_everything

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="column compression is a PostgreSQL setting; SQLite stores JSON as text",
    ),
]


# The migration's own check, so the test and the migration cannot disagree on "available".
_migration = importlib.import_module("questionnaires.migrations.0013_result_weighing_lz4")


def _lz4_available() -> bool:
    with connection.cursor() as cursor:
        return _migration._lz4_available(cursor)


def _column_compression() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute "
            "WHERE attrelid = 'questionnaires_result'::regclass AND attname = 'weighing'"
        )
        return cursor.fetchone()[0]


def test_the_weighing_column_is_compressed_with_lz4_where_the_server_has_it():
    if not _lz4_available():
        pytest.skip("this PostgreSQL was built without LZ4: the migration leaves the default")
    assert _column_compression() == "l"


def test_a_large_weighing_written_with_lz4_reads_back_unchanged():
    version = publish(clinic_definition())
    invitation, _token = invite(version)
    response = response_start(invitation=invitation)
    answer_everything(response)
    response.refresh_from_db()
    response_submit(response=response, expected_revision=response.revision)
    result = Result.objects.get(response=response)
    # Large enough to be stored out of line and compressed (over 2 KB), whatever the seed.
    weighing = {"options": [{"slug": f"option-{n}", "text": "某药物 " * 40} for n in range(200)]}
    Result.objects.filter(pk=result.pk).update(weighing=weighing)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(weighing) FROM questionnaires_result WHERE id = %s",
            [result.pk],
        )
        method = cursor.fetchone()[0]
    assert method == ("lz4" if _lz4_available() else "pglz")
    assert Result.objects.get(pk=result.pk).weighing == weighing

"""Result.weighing compressed with LZ4 on PostgreSQL (issue 14: a cheaper submit).

A result freezes the weighing with every option's profile text (about 230 KB of JSON for
the demo psoriasis patient), so PostgreSQL stores it out of line, compressed. With the
default method (pglz) the INSERT took 5.3 ms of a 17.5 ms submit; with LZ4 2.7 ms, and
the stored value is a third smaller (docs/performance.md). Only values written from now on
are compressed with LZ4; older rows keep pglz and read as before. Nothing changes on
SQLite, or on a PostgreSQL built without LZ4 (the method is then left as it was).
"""

from django.db import migrations

TABLE = "questionnaires_result"
COLUMN = "weighing"


def _lz4_available(cursor) -> bool:
    cursor.execute(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _set_compression(schema_editor, method: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if method == "lz4" and not _lz4_available(cursor):
            return
        quote = schema_editor.quote_name
        cursor.execute(
            f"ALTER TABLE {quote(TABLE)} ALTER COLUMN {quote(COLUMN)} "  # noqa: S608
            f"SET COMPRESSION {method}"
        )


def compress_with_lz4(apps, schema_editor):
    _set_compression(schema_editor, "lz4")


def compress_by_default(apps, schema_editor):
    _set_compression(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0012_invitation_progress")]

    operations = [
        migrations.RunPython(compress_with_lz4, compress_by_default, elidable=False),
    ]

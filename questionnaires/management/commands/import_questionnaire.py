from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionnaires.interop.sdm_json import MAX_IMPORT_BYTES
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.interop import questionnaire_import


class Command(BaseCommand):
    help = (
        "Import a questionnaire file (our JSON format or a FHIR R4 Questionnaire) as a new "
        "draft version, all or nothing. The last line printed is '<slug> <version number>'."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to import")
        parser.add_argument("--format", choices=["sdm", "fhir"], default=None)
        parser.add_argument("--publish", action="store_true", help="publish it after the linter")
        parser.add_argument(
            "--into",
            default=None,
            metavar="SLUG",
            help="import as a new version of this questionnaire (default: the questionnaire "
            "imported from the same FHIR url, else a new one)",
        )

    def handle(
        self, *args, path: str, format: str | None, publish: bool, into: str | None, **options
    ):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file.")
        size = file.stat().st_size
        if size > MAX_IMPORT_BYTES:
            # Checked before reading, so a huge upload never sits in memory.
            self.stderr.write(
                f"{path}: the file is {size:,} bytes; the limit is {MAX_IMPORT_BYTES:,} bytes"
            )
            raise CommandError(f"{path}: not imported (1 problem(s)); nothing was written.")
        data = file.read_bytes()
        fmt = format or _guess_format(data)
        try:
            outcome = questionnaire_import(data=data, fmt=fmt, publish=publish, into=into)
        except ServiceRefused as refused:
            for message in refused.messages:
                self.stderr.write(f"{path}: {message}")
            raise CommandError(
                f"{path}: not imported ({len(refused.messages)} problem(s)); nothing was written."
            ) from None
        for note in outcome.notes:
            self.stdout.write(f"not mapped: {note}")
        version = outcome.version
        self.stdout.write(f"{version.questionnaire.slug} {version.number}")


def _guess_format(data: bytes) -> str:
    return "fhir" if b'"resourceType"' in data[:4096] else "sdm"

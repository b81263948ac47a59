from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from questionnaires.management.commands._helpers import VersionOptionMixin, version_for
from questionnaires.services.interop import version_export, version_export_notes


class Command(VersionOptionMixin, BaseCommand):
    help = "Export one questionnaire version in our JSON format or as a FHIR R4 Questionnaire."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--version", type=int, default=None, dest="number")
        parser.add_argument("--format", choices=["sdm", "fhir"], required=True)
        parser.add_argument("--out", default=None, help="write here instead of standard output")

    def handle(self, *args, slug: str, number: int | None, format: str, out: str | None, **options):
        version = version_for(slug, number)
        _, text = version_export(version=version, fmt=format)
        if format == "fhir":
            # What FHIR cannot carry is said on standard error, never dropped silently.
            for note in version_export_notes(version=version):
                self.stderr.write(f"not exported exactly: {note}")
        if out:
            Path(out).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {out}")
        else:
            self.stdout.write(text, ending="")

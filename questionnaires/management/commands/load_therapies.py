from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from questionnaires.services.errors import ServiceRefused
from questionnaires.services.therapies import therapies_load


class Command(BaseCommand):
    help = (
        "Load the therapy profiles and rules from the content files (safe to run twice: "
        "unchanged entries, and admin edits of them, are left alone)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            default=None,
            help="Folder with therapies.json and rules.json (default: the shipped content).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Rewrite every entry that differs from the file, even unchanged ones.",
        )

    def handle(self, *args, path, force, **options):
        try:
            report = therapies_load(path=path, force=force)
        except ServiceRefused as refused:
            raise CommandError(
                "The therapy content was not loaded:\n" + "\n".join(refused.messages)
            ) from None
        self.stdout.write(report.summary() or "nothing to load")

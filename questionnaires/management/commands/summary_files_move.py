from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from questionnaires.services.summary_files import summary_files_move


class Command(BaseCommand):
    help = (
        "Move the PDF bytes of summary documents stored in the database (before the file "
        "storage) into the summary storage, one row per transaction. Safe to rerun and to "
        "run beside the web and the workers; rows already moved are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="move at most N rows")

    def handle(self, *args, limit: int | None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be 1 or more.")
        self.stdout.write(f"{summary_files_move(limit=limit)} document(s) moved")

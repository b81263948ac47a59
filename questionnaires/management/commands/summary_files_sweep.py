from __future__ import annotations

from django.core.management.base import BaseCommand

from questionnaires.services.summary_files import summary_files_sweep


class Command(BaseCommand):
    help = (
        "Delete stored summary PDF files that no summary document names (older than an "
        "hour): what a process killed between an erasure's commit and its file deletion, "
        "or rows deleted by hand, left behind. Safe beside the web and the workers; run it "
        "daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args, dry_run: bool, **options):
        names = summary_files_sweep(dry_run=dry_run)
        if dry_run:
            for name in names:
                self.stdout.write(name)
            self.stdout.write(f"{len(names)} summary file(s) would be deleted")
            return
        self.stdout.write(f"{len(names)} summary file(s) deleted")

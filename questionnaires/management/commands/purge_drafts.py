from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from questionnaires.services.retention import drafts_purge, expired_drafts


class Command(BaseCommand):
    help = (
        "Delete unsubmitted responses whose invitation expired or was revoked more than "
        "SDM_DRAFT_RETENTION_DAYS days ago (and old admin previews). Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override the retention")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, days: int | None, dry_run: bool, **options):
        # Zero or fewer days would reach every draft whose link is still open.
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more; nothing was deleted.")
        if dry_run:
            self.stdout.write(f"{expired_drafts(days=days).count()} draft(s) would be deleted")
            return
        self.stdout.write(f"{drafts_purge(days=days)} draft(s) deleted")

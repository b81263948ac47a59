from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError

from questionnaires.services.audit import MINIMUM_AUDIT_RETENTION_DAYS, audit_purge


class Command(BaseCommand):
    help = (
        "The audit retention job: delete audit rows older than --days (at least "
        f"{MINIMUM_AUDIT_RETENTION_DAYS}). The only deletion the database's append-only "
        "guard lets through; one new row records it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--actor", help="who runs it (default: the OS user)")

    def handle(self, *args, days: int, actor: str | None, **options):
        name = (actor or "").strip() or getpass.getuser()
        try:
            deleted = audit_purge(older_than_days=days, actor_name=f"{name} (purge_audit)")
        except ValueError as refused:
            raise CommandError(f"{refused}; nothing was deleted.") from None
        self.stdout.write(f"{deleted} audit row(s) deleted")

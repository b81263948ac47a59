from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError

from questionnaires.management.commands._helpers import response_for
from questionnaires.services.retention import response_erase


class Command(BaseCommand):
    help = (
        "Erase one response (answers, result, stored PDFs) on the patient's request; "
        "export it first with export_response if they want a copy. The audit log keeps "
        "that it happened and who did it (--actor, else the operating-system user)."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--response", type=int)
        target.add_argument("--token")
        parser.add_argument(
            "--actor",
            help="who asked for the erasure, for the audit log (default: the OS user)",
        )

    def handle(self, *args, **options):
        actor = (options["actor"] or "").strip() or _os_user()
        if not actor:
            raise CommandError("Say who is erasing with --actor NAME (no OS user is known).")
        response = response_for(response_id=options["response"], token=options["token"])
        response_erase(response=response, actor_name=f"{actor} (erase_response)")
        self.stdout.write(f"response {response.pk} erased")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER
        return ""

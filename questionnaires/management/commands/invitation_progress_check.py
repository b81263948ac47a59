from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from questionnaires.services.invitation_progress import (
    invitations_progress_repair,
    invitations_with_wrong_progress,
)

# Ids are enough to look a row up; patient references stay out of the output.
SHOWN_IDS = 50


class Command(BaseCommand):
    help = (
        "Find invitations whose stored progress (what the clinician dashboard shows) "
        "disagrees with their response; --fix sets them right. Exits with an error when "
        "rows disagree and --fix is not given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="set the wrong rows right")

    def handle(self, *args, fix: bool, **options):
        if fix:
            repaired = invitations_progress_repair()
            self.stdout.write(f"{len(repaired)} invitation(s) repaired{self._ids(repaired)}")
            return
        wrong = list(invitations_with_wrong_progress().values_list("pk", flat=True))
        if wrong:
            raise CommandError(
                f"{len(wrong)} invitation(s) disagree with their response{self._ids(wrong)}; "
                "run again with --fix"
            )
        self.stdout.write("every invitation's progress agrees with its response")

    @staticmethod
    def _ids(ids: list[int]) -> str:
        if not ids:
            return ""
        shown = ", ".join(str(pk) for pk in ids[:SHOWN_IDS])
        more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
        return f": {shown}{more}"

"""Create a patient invitation and print its link (the last line of the output).

    python manage.py create_invitation --questionnaire SLUG --team NAME [--disease KEY]
        [--ref TEXT] [--lang en|zh-hans] [--days N] [--appointment YYYY-MM-DD]
        [--base-url URL]

Works for any questionnaire with a published version, imported ones included. The team is
required: an invitation without one would be seen by no clinician. The token and the
type-in code are shown once and never stored (only their hashes are); the link is the last
line of the output.
"""

from __future__ import annotations

import argparse
import datetime
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from questionnaires.i18n import language_codes
from questionnaires.models import Disease, Questionnaire, Team
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.invitation_codes import code_for_token, grouped
from questionnaires.services.invitations import invitation_create, invitation_url


class Command(BaseCommand):
    help = "Create a patient invitation for a published questionnaire and print its link."

    def add_arguments(self, parser):
        parser.add_argument("--questionnaire", required=True, help="questionnaire slug")
        parser.add_argument(
            "--disease", default="", choices=["", *Disease.values], help="preset the condition"
        )
        parser.add_argument(
            "--ref", default="", help="pseudonymous patient reference (never a name)"
        )
        parser.add_argument("--lang", default="en", choices=language_codes())
        parser.add_argument("--days", type=int, default=None, help="days until the link expires")
        parser.add_argument("--base-url", default=None, help="site address (default SDM_BASE_URL)")
        parser.add_argument(
            "--team",
            default=None,
            help="the clinic team that may see the answers (team name; required)",
        )
        parser.add_argument(
            "--appointment",
            default=None,
            type=_iso_date,
            help="the appointment date, YYYY-MM-DD (printed on the letter)",
        )

    def handle(self, *args, **options):
        questionnaire = Questionnaire.objects.filter(slug=options["questionnaire"]).first()
        if questionnaire is None:
            raise CommandError(f"No questionnaire with slug '{options['questionnaire']}'.")
        patient_ref = options["ref"] or f"CLI-{secrets.token_hex(4).upper()}"
        if not options["team"]:
            names = ", ".join(f"'{name}'" for name in Team.objects.values_list("name", flat=True))
            raise CommandError(
                "--team is required: an invitation without a team is seen by no clinician. "
                + (f"Teams: {names}." if names else "Create a team in the admin first.")
            )
        team = Team.objects.filter(name=options["team"]).first()
        if team is None:
            raise CommandError(f"No team named '{options['team']}'.")
        try:
            invitation, token = invitation_create(
                questionnaire=questionnaire,
                patient_ref=patient_ref,
                disease=options["disease"],
                language=options["lang"],
                days=options["days"],
                team=team,
                appointment_date=options["appointment"],
            )
        except ServiceRefused as refused:
            raise CommandError("\n".join(refused.messages)) from refused
        self.stdout.write(
            f"Invitation {invitation.pk} for {invitation.patient_ref} "
            f"({questionnaire.slug}), expires {invitation.expires_at:%Y-%m-%d %H:%M %Z}."
        )
        base = (options["base_url"] or settings.SDM_BASE_URL).rstrip("/")
        self.stdout.write(
            f"Type-in code: {grouped(code_for_token(token))} (at {base}{reverse('enter_code')})"
        )
        self.stdout.write(invitation_url(token, base_url=options["base_url"]))


def _iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (use YYYY-MM-DD)") from None

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
from questionnaires.services.demo_accounts import demo_accounts_ensure
from questionnaires.services.therapies import therapies_load


class Command(BaseCommand):
    help = (
        "Load the demo questionnaire, therapy profiles and demo accounts (safe to run twice). "
        "With DEBUG off it creates no accounts unless --demo-accounts is given; production "
        "loads therapy profiles with load_therapies."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-accounts",
            action="store_true",
            help="create the demo accounts (published passwords) even with DEBUG off",
        )
        parser.add_argument(
            "--no-demo-accounts", action="store_true", help="never create the demo accounts"
        )

    def handle(self, *args, demo_accounts: bool, no_demo_accounts: bool, **options):
        if demo_accounts and no_demo_accounts:
            raise CommandError("Give --demo-accounts or --no-demo-accounts, not both.")
        # The demo accounts have passwords printed in the README: never on a real server
        # unless someone asks for them by name.
        with_accounts = not no_demo_accounts and (settings.DEBUG or demo_accounts)

        for path in DEMO_QUESTIONNAIRES:
            slug, number, written = demo_questionnaire_ensure(path=path)
            state = "published" if written else "already up to date"
            self.stdout.write(f"questionnaire {slug} v{number}: {state}")
        therapies_load()
        self.stdout.write("therapy profiles: loaded")
        if not with_accounts:
            self.stdout.write(
                "demo accounts: not created (DEBUG is off; pass --demo-accounts to create them)"
            )
            return
        accounts = demo_accounts_ensure()
        base = settings.SDM_BASE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"Admin (content):   {base}/admin/")
        self.stdout.write(f"Clinician:         {base}/clinic/")
        self.stdout.write("Demo accounts (local demo only):")
        for role, username, password in accounts:
            self.stdout.write(f"  {role:<22} {username:<18} {password}")

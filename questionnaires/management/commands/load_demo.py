from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
from questionnaires.services.demo_accounts import demo_accounts_ensure
from questionnaires.services.therapies import therapies_load


class Command(BaseCommand):
    help = "Load the demo questionnaire, therapy profiles and demo accounts (safe to run twice)."

    def handle(self, *args, **options):

        for path in DEMO_QUESTIONNAIRES:
            slug, number, written = demo_questionnaire_ensure(path=path)
            state = "published" if written else "already up to date"
            self.stdout.write(f"questionnaire {slug} v{number}: {state}")
        therapies_load()
        self.stdout.write("therapy profiles: loaded")
        accounts = demo_accounts_ensure()
        base = settings.SDM_BASE_URL.rstrip("/")
        self.stdout.write("")
        self.stdout.write(f"Admin (content):   {base}/admin/")
        self.stdout.write(f"Clinician:         {base}/clinic/")
        self.stdout.write("Demo accounts (local demo only):")
        for role, username, password in accounts:
            self.stdout.write(f"  {role:<22} {username:<18} {password}")

from __future__ import annotations

from django.core.management.base import BaseCommand

from questionnaires.management.commands._helpers import response_for
from questionnaires.services.retention import response_erase


class Command(BaseCommand):
    help = (
        "Erase one response (answers, result, stored PDFs) on the patient's request; "
        "export it first with export_response if they want a copy. The audit log keeps "
        "that it happened."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--response", type=int)
        target.add_argument("--token")

    def handle(self, *args, **options):
        response = response_for(response_id=options["response"], token=options["token"])
        response_erase(response=response)
        self.stdout.write(f"response {response.pk} erased")

"""Export one response as FHIR R4 QuestionnaireResponse or as our own JSON.

    python manage.py export_response (--response ID | --token TOKEN) --format fhir|sdm
        [--out PATH]

Writes to standard output unless --out is given. Each export is audit-logged.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionnaires.management.commands._helpers import response_for
from questionnaires.models import Response
from questionnaires.services.errors import ServiceRefused
from questionnaires.services.response_export import FORMATS, response_export


class Command(BaseCommand):
    help = "Export one response as FHIR R4 QuestionnaireResponse (fhir) or SDM JSON (sdm)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--response", type=int, help="response id")
        which.add_argument("--token", help="the invitation token from the patient's link")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--out", help="file to write (default: standard output)")

    def handle(self, *args, **options):
        response = self.find(options)
        try:
            text = response_export(response=response, fmt=options["format"])
        except ServiceRefused as refused:
            raise CommandError("\n".join(refused.messages)) from refused
        if options["out"]:
            Path(options["out"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote response {response.pk} to {options['out']}.")
        else:
            self.stdout.write(text, ending="")

    def find(self, options) -> Response:
        return response_for(
            response_id=options["response"],
            token=options["token"],
            select_related=("version__questionnaire", "invitation__team"),
        )

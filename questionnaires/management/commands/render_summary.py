"""Render one discussion summary to a PDF file.

    python manage.py render_summary (--response ID | --token TOKEN) --out PATH
        [--lang en|zh-hans] [--audience clinician|patient] [--html]

Renders now, in this process (no task queue, nothing stored), from the response's frozen
result, with the same templates, renderer and time limit as the background task. ``--html``
writes the HTML document instead of the PDF. Each run is audit-logged like a download.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionnaires.i18n import language_codes
from questionnaires.management.commands._helpers import response_for
from questionnaires.models import AuditAction, Response
from questionnaires.models.response import SummaryAudience
from questionnaires.pdf.time_limit import RenderFailed
from questionnaires.services.audit import audit_record
from questionnaires.summary.context import SummaryUnavailable, summary_context_build
from questionnaires.summary.render import summary_html, summary_pdf


class Command(BaseCommand):
    help = "Render one response's discussion summary to a PDF (or HTML) file."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--response", type=int, help="response id")
        which.add_argument("--token", help="the invitation token from the patient's link")
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument(
            "--lang",
            default="en",
            choices=language_codes(),
            help="the reader's language (default: en)",
        )
        parser.add_argument(
            "--audience",
            default=SummaryAudience.CLINICIAN,
            choices=SummaryAudience.values,
            help="clinician summary or the patient's own copy (default: clinician)",
        )
        parser.add_argument("--html", action="store_true", help="write the HTML document")

    def handle(self, *args, **options):
        response = self.find(options)
        try:
            context = summary_context_build(
                response=response.pk, language=options["lang"], audience=options["audience"]
            )
        except SummaryUnavailable:
            raise CommandError(f"Response {response.pk} has not been submitted.") from None
        out = Path(options["out"])
        if options["html"]:
            out.write_text(summary_html(context=context), encoding="utf-8")
            pages = None
        else:
            try:
                rendered = summary_pdf(context=context)
            except RenderFailed as failed:
                raise CommandError(str(failed)) from None
            out.write_bytes(rendered.pdf)
            pages = rendered.pages
        invitation = response.invitation
        audit_record(
            action=AuditAction.SUMMARY_PDF_DOWNLOADED,
            team=invitation.team if invitation else None,
            invitation_id=invitation.pk if invitation else None,
            response_id=response.pk,
            object_repr=f"response {response.pk}",
            detail={
                "audience": options["audience"],
                "language": options["lang"],
                "via": "render_summary",
            },
        )
        what = "HTML" if options["html"] else f"PDF, {pages} page(s)"
        self.stderr.write(f"Wrote the summary of response {response.pk} to {out} ({what}).")

    def find(self, options) -> Response:
        return response_for(
            response_id=options["response"],
            token=options["token"],
            select_related=("invitation__team",),
        )

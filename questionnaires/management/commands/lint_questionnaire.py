from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from questionnaires.management.commands._helpers import VersionOptionMixin, version_for
from questionnaires.services.definitions import version_lint


class Command(VersionOptionMixin, BaseCommand):
    help = "Run the definition linter; exit 1 and list the problems when there are any."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--version", type=int, default=None, dest="number")

    def handle(self, *args, slug: str, number: int | None, **options):
        version = version_for(slug, number)
        problems = version_lint(version=version)
        if not problems:
            self.stdout.write(f"{slug} v{version.number}: no problems")
            return
        for problem in problems:
            self.stdout.write(str(problem))
        self.stdout.write(f"{slug} v{version.number}: {len(problems)} problem(s)")
        sys.exit(1)

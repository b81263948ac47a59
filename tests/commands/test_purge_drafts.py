"""Acceptance 7: purge_drafts refuses zero or negative days and deletes nothing then."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from questionnaires.models import Response
from tests import clinic_factories as make

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("days", ["-1", "-30", "0"])
def test_non_positive_days_exit_with_an_error_and_delete_nothing(days):
    team = make.team("T")
    questionnaire = make.published_questionnaire()
    make.invitation(team=team, questionnaire=questionnaire, state="in_progress")
    with pytest.raises(CommandError, match="1 or more"):
        call_command("purge_drafts", "--days", days)
    assert Response.objects.count() == 1


def test_the_command_line_exit_status_is_an_error():
    result = subprocess.run(
        [sys.executable, "manage.py", "purge_drafts", "--days", "-1", "--dry-run"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "sdm.settings_test"},
    )
    assert result.returncode != 0
    assert "1 or more" in result.stderr

"""manage.py load_therapies."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.therapy_content import rules_document, therapies_document, write_content


@pytest.mark.django_db
def test_load_therapies_reports_and_refuses(tmp_path):
    out = StringIO()
    call_command("load_therapies", "--path", str(write_content(tmp_path)), stdout=out)
    assert "therapy: 5 new" in out.getvalue()

    broken = rules_document()
    broken["rules"][0]["condition"] = {"q": "nonsense", "op": "answered"}
    write_content(tmp_path / "broken", therapies=therapies_document(), rules=broken)
    with pytest.raises(CommandError, match="unknown question 'nonsense'"):
        call_command("load_therapies", "--path", str(tmp_path / "broken"), stdout=StringIO())

"""Acceptance 7: demo accounts (published passwords) only in development or when asked."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from questionnaires.models import Questionnaire, Therapy

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def test_with_debug_off_load_demo_creates_no_accounts(settings):
    settings.DEBUG = False
    output = _run()
    assert get_user_model().objects.count() == 0
    assert "--demo-accounts" in output
    assert Questionnaire.objects.filter(slug="treatment-discussion").exists()
    assert Therapy.objects.exists()


def test_with_debug_off_demo_accounts_need_the_flag(settings):
    settings.DEBUG = False
    _run("--demo-accounts")
    assert get_user_model().objects.filter(is_superuser=True).exists()


def test_the_debug_demo_still_creates_them(settings):
    settings.DEBUG = True
    _run()
    assert get_user_model().objects.exists()


def test_contradictory_flags_are_refused(settings):
    with pytest.raises(CommandError):
        _run("--demo-accounts", "--no-demo-accounts")

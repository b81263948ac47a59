"""Settings from the environment: production refuses to start without a key and passes
Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(*args, **env):
    # The test settings relax these in this process's environment; production has none.
    relaxed = {"DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "ALLOWED_HOSTS"}
    clean = {k: v for k, v in os.environ.items() if k not in relaxed}
    clean.update(DJANGO_SETTINGS_MODULE="sdm.settings", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-long-random-production-key-" + "x" * 40,
        ALLOWED_HOSTS="sdm.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_keeps_database_connections_and_checks_them_before_reuse():
    """Issue 14: a connection per request cost a large share of a step under load."""
    script = (
        "from django.conf import settings as s; d = s.DATABASES['default'];"
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    key = {"SECRET_KEY": "a-long-random-production-key-" + "x" * 40, "ALLOWED_HOSTS": "x.org"}
    kept = manage("shell", "-v", "0", "-c", script, **key)
    assert kept.stdout.split() == ["60", "True"], kept.stderr
    per_request = manage("shell", "-v", "0", "-c", script, CONN_MAX_AGE="0", **key)
    assert per_request.stdout.split() == ["0", "True"], per_request.stderr

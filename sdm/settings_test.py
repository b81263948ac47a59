"""Settings for the test suite: the normal settings with DEBUG off and a fixed key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("SDM_PLAIN_STATIC", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
if "SUMMARY_STORAGE_DIR" not in os.environ:
    # Stored summary PDFs go to a folder of this run, never the repository's var/; the
    # servers and workers tests start inherit it. Tests that look at the files use the
    # ``summary_storage`` fixture (a folder of their own).
    import atexit
    import shutil
    import tempfile

    os.environ["SUMMARY_STORAGE_DIR"] = tempfile.mkdtemp(prefix="sdm-test-summaries-")
    atexit.register(shutil.rmtree, os.environ["SUMMARY_STORAGE_DIR"], ignore_errors=True)

from sdm.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
SECURE_HSTS_SECONDS = 0

# Submitting renders the summary PDFs through the immediate task backend; most tests
# submit without caring about PDFs, so they opt in (tests/summary, the db_worker tests).
SDM_SUMMARY_RENDER_ON_SUBMIT = False

# One process: the guess counters may live in its memory (tests/security runs real
# gunicorn workers on Redis instead).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The second factor is tested where it is tested (tests/security/test_staff_sessions.py).
SDM_REQUIRE_MFA = False

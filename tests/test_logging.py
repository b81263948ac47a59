"""The invitation token in patient URLs never reaches the logs."""

from __future__ import annotations

import logging

from questionnaires.logging import RedactPatientUrls


def record(msg, *args) -> logging.LogRecord:
    return logging.LogRecord("django.server", logging.INFO, __file__, 1, msg, args, None)


def test_request_lines_lose_the_token():
    token = "Xk3_secret-token-value-0123456789abcdefABCDEF"
    line = record('"%s" %s %s', f"GET /p/{token}/step/about/ HTTP/1.1", "200", "1234")
    assert RedactPatientUrls().filter(line) is True
    assert token not in line.getMessage()
    assert "/p/<redacted>/step/about/" in line.getMessage()


def test_a_token_in_the_message_itself_is_redacted_too():
    line = record("Not Found: /p/abcDEF123_-xyz/")
    RedactPatientUrls().filter(line)
    assert line.getMessage() == "Not Found: /p/<redacted>/"


def test_other_lines_are_left_alone():
    line = record("GET /clinic/ %s", "200")
    RedactPatientUrls().filter(line)
    assert line.getMessage() == "GET /clinic/ 200"


def test_the_console_handler_uses_the_filter(settings):
    assert "no_token_urls" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]
    assert settings.LOGGING["loggers"]["django.request"]["handlers"] == ["console"]

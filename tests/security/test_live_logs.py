"""Acceptance 4: hostile requests through a real gunicorn leave no token in its logs.

Gunicorn's access log (request line, referrer, user agent, query) and its error log (at
debug level, with Django's own log records captured into it) are read after requests a
red team would send: an undecodable form (charset=utf-16, answered 400), a token in the
referrer and the user agent, percent-encoded and path-traversing patient URLs, a HEAD,
and a malformed request line gunicorn itself rejects.
"""

from __future__ import annotations

import socket

import pytest

from tests.factories import clinic_definition, invite, publish
from tests.security.live import Browser

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_ENV = {"GUNICORN_CMD_ARGS": "--log-level debug", "LOG_LEVEL": "DEBUG"}


def _raw(server, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(payload)
        chunks = []
        while chunk := raw.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_no_token_in_gunicorn_logs_after_hostile_requests(live_server_gunicorn):
    server = live_server_gunicorn
    _invitation, token = invite(publish(clinic_definition()))
    patient = Browser(server, "198.51.100.44")
    base = f"https://127.0.0.1:{server.port}"

    status, _headers, _body = patient.get(
        f"/p/{token}/", headers={"Referer": f"{base}/p/{token}/", "User-Agent": f"x/p/{token}"}
    )
    assert status == 200
    status, headers, body = patient.request(
        "POST",
        f"/p/{token}/start/",
        body="answer=测试".encode("utf-16"),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-16",
            "Referer": f"{base}/p/{token}/",
        },
    )
    assert status == 400, body[:300]
    assert b"could not be read" in body
    for path in (
        f"/p/{token}/step/no-such-step/?next=/p/{token}/",
        "/p/" + token[:5] + "".join(f"%{byte:02X}" for byte in token[5:7].encode()) + token[7:],
        f"/p/{token}/../../clinic/",
        f"/accounts/login/?next=/p/{token}/../../clinic/",
        f"/static/sdm.css?from=/p/{token}/",
    ):
        patient.get(path, headers={"Referer": f"{base}/p/{token}/check/"})
    assert patient.request("HEAD", f"/p/{token}/summary.pdf")[0] in {200, 302, 404}
    _raw(server, f"GET /p/{token}/ HTTP/1.1 trailing-junk\r\nHost: x\r\n\r\n".encode())
    _raw(server, f"BR0KEN /p/{token}/\r\n\r\n".encode())
    server.stop()  # flushes both logs

    access, errors = server.access_log.read_text(), server.error_log.read_text()
    assert "/p/<redacted>" in access  # the requests were logged, without their token
    assert errors.strip(), "the error log was written"
    for log in (access, errors):
        assert token not in log
        assert token[8:30] not in log  # no fragment either (the encoded one shares it)

"""A real gunicorn (two workers) on the test database with the production settings.

Used by the tests in this package: the server is started once per module, reads the
committed data of transactional tests through ``DATABASE_URL``, and counts guesses in
Redis (database ``SDM_TEST_REDIS_DB``, 1 by default, with a key prefix of its own). Each
request plays the TLS proxy in front of gunicorn: ``X-Forwarded-Proto: https`` and the
client's address in ``X-Forwarded-For``.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings

REDIS_URL = os.environ.get(
    "SDM_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{os.environ.get('SDM_TEST_REDIS_DB', '1')}"
)
ACCESS_LOG_FORMAT = '%(p)s %(h)s "%(r)s" %(s)s "%(f)s" "%(a)s" %(U)s %(q)s'


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_for_subprocesses() -> str:
    database = settings.DATABASES["default"]
    user_part = quote(database.get("USER") or "", safe="")
    if database.get("PASSWORD"):
        user_part += ":" + quote(database["PASSWORD"], safe="")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{user_part}@{host}:{port}/{quote(database['NAME'], safe='')}"


@dataclass
class LiveServer:
    port: int
    log_dir: Path
    key_prefix: str
    process: subprocess.Popen | None = None
    extra_env: dict = field(default_factory=dict)

    @property
    def access_log(self) -> Path:
        return self.log_dir / "access.log"

    @property
    def error_log(self) -> Path:
        return self.log_dir / "error.log"

    def environment(self) -> dict[str, str]:
        static_root = self.log_dir / "static"
        # sdm.settings_test relaxes these in this process's environment; production has none.
        relaxed = {"SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SDM_PLAIN_STATIC", "DEBUG"}
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("DJANGO_") and key not in relaxed
        }
        return {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "sdm.settings",
            "DEBUG": "0",
            "SECRET_KEY": "live-test-key-" + "x" * 50,
            "DATABASE_URL": database_url_for_subprocesses(),
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": self.key_prefix,
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{self.port}",
            "BEHIND_TLS_PROXY": "1",
            "SDM_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",
            "STATIC_ROOT": str(static_root),
            "SDM_BACKOFF_BASE_SECONDS": "1",
            "SDM_BACKOFF_MAX_SECONDS": "3",
            "SDM_REQUIRE_MFA": "0",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            # Which idle worker accepts a request is the kernel's choice, and with kept
            # database connections one worker could answer a whole sequential attack. A
            # worker replaced every 10 requests makes several processes serve each test,
            # each starting with empty local memory: only a shared cache passes.
            "GUNICORN_CMD_ARGS": "--max-requests 10",
            "GUNICORN_ACCESS_LOG": str(self.access_log),
            "GUNICORN_ERROR_LOG": str(self.error_log),
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    def start(self) -> None:
        env = self.environment()
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            timeout=120,
        )
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:sdm.gunicorn_conf",
                "--access-logformat",
                ACCESS_LOG_FORMAT,
                "--capture-output",
                "sdm.wsgi",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.error_log.read_text(errors="replace")[-3000:])
            try:
                status, _headers, _body = Browser(self, "192.0.2.1").get("/accounts/login/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def worker_pids_in_access_log(self) -> set[str]:
        return {line.split(" ", 1)[0] for line in self.access_log.read_text().splitlines() if line}


def start_server(tmp_dir: Path, **extra_env) -> LiveServer:
    server = LiveServer(
        port=free_port(),
        log_dir=tmp_dir,
        key_prefix=f"sdm-test-{uuid.uuid4().hex[:8]}",
        extra_env=extra_env,
    )
    server.start()
    return server


class Browser:
    """One client behind the proxy: its own address and cookies, no redirects followed."""

    def __init__(self, server: LiveServer, address: str):
        self.server = server
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        all_headers = {
            "Host": f"127.0.0.1:{self.server.port}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Origin": f"https://127.0.0.1:{self.server.port}",
            "Connection": "close",
        }
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        all_headers.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=all_headers)
            answer = connection.getresponse()
            content = answer.read()
            for header, value in answer.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, content
        finally:
            connection.close()

    def get(self, path: str, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path: str, data: dict, headers=None):
        body = urlencode(data).encode()
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )

    def csrf_token(self, path: str) -> str:
        status, _headers, body = self.get(path)
        assert status == 200, status
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        assert match, "no CSRF token on the page"
        return match.group(1).decode()

    def log_in(self, username: str, password: str):
        token = self.csrf_token("/accounts/login/")
        return self.post_form(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )

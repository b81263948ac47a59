import os

import pytest
from django.db import connection

from tests.security.live import redis_available, start_server


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/security/test_live_" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.postgres_only)


@pytest.fixture(scope="module")
def live_server_gunicorn(request, django_db_setup, tmp_path_factory):
    """Gunicorn with 2 workers, production settings, PostgreSQL and Redis.

    A test module can set ``LIVE_ENV`` (a dict of environment variables) to tune it.
    """
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: gunicorn's workers share the test database with the test")
    if not redis_available():
        if os.environ.get("SDM_REQUIRE_REDIS"):
            pytest.fail("Redis is not reachable at 127.0.0.1:6379 and SDM_REQUIRE_REDIS is set")
        pytest.skip("needs Redis on 127.0.0.1:6379 (apt-get install redis-server)")
    extra_env = getattr(request.module, "LIVE_ENV", {})
    server = start_server(tmp_path_factory.mktemp("gunicorn"), **extra_env)
    yield server
    server.stop()

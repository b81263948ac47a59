"""Browser tests in the system Chromium, driven by Playwright against pytest-django's live_server.

* One Chromium for the package (launching it costs seconds on two shared cores); every test
  opens its own browser contexts (fresh cookies, storage and settings) and closes them.
* Chromium comes from the system (``/usr/bin/chromium`` or ``CHROMIUM_PATH``); Playwright
  never downloads one. Without it the tests are skipped, unless ``SDM_REQUIRE_BROWSER=1``
  (set in CI), where they fail so they can never be skipped silently.
* Screenshots and axe-core reports go to ``test-output/browser/`` (gitignored).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_MISSING = (
    f"Chromium not found at {CHROMIUM_PATH}: install it with `sudo apt-get install chromium` "
    "to run the browser tests"
)
# The machine has no network but localhost: nothing may try to reach out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright waits at most this long for one page or action (shared CPU: be generous).
ACTION_TIMEOUT_MS = 20_000


def browser_required() -> bool:
    return os.environ.get("SDM_REQUIRE_BROWSER", "") == "1"


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for all the browser tests; stopped when they are done, before any other
    test package runs."""
    if not Path(CHROMIUM_PATH).exists():
        if browser_required():
            pytest.fail(CHROMIUM_MISSING)
        pytest.skip(CHROMIUM_MISSING)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio event loop running in the test's own thread
    # (from start to stop, also between calls). Django sees that running loop and refuses
    # ORM calls from this thread (SynchronousOnlyOperation), although they are plain
    # synchronous calls that never run inside the loop: Playwright blocks until the browser
    # answers and only then returns to the test. So the check is switched off, only while
    # Playwright runs (this package), and restored afterwards for every other test. The test
    # thread and the live server's thread share the in-memory SQLite connection, as in any
    # LiveServerTestCase.
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Every page of a walk counts against the per-address token-lookup limit (in the cache,
    which lives for the whole session): each test starts with no counts."""
    cache.clear()
    yield
    cache.clear()


class PageProblems:
    """Server errors, uncaught script errors and Content-Security-Policy refusals seen by a
    context's pages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.messages.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _response(self, response) -> None:
        if response.status >= 500:
            self.messages.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" and "Content Security Policy" in text:
            self.messages.append(f"CSP: {text}")


@pytest.fixture
def new_context(browser, live_server) -> Iterator[Callable[..., Any]]:
    """``new_context(**options)``: a fresh browser context; its pages are watched for server
    errors, script errors and CSP refusals, which fail the test when it ends."""
    contexts = []
    problems = PageProblems()

    def make(**options: Any):
        options.setdefault("viewport", {"width": 1024, "height": 800})
        options.setdefault("base_url", live_server.url)
        context = browser.new_context(**options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.on("page", problems.watch)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert problems.messages == [], "\n".join(problems.messages)


@pytest.fixture
def demo_content(live_server) -> Any:
    """The shipped demo questionnaire (published) and every therapy profile, in the live
    server's database (a transactional test database: emptied after each test)."""
    from questionnaires.models import QuestionnaireVersion
    from questionnaires.services.demo import DEMO_QUESTIONNAIRES, demo_questionnaire_ensure
    from questionnaires.services.therapies import therapies_load

    slug, number, _written = demo_questionnaire_ensure(path=DEMO_QUESTIONNAIRES[0])
    therapies_load()
    return QuestionnaireVersion.objects.get(questionnaire__slug=slug, number=number)


@pytest.fixture
def invitation_link(demo_content, live_server) -> Callable[..., str]:
    """``invitation_link(disease="psoriasis", lang="en")``: a new patient link, made the way
    the README says (the management command), read from the command's last line."""

    from questionnaires.models import Team

    team, _created = Team.objects.get_or_create(name="Browser test clinic")

    def make(*, disease: str = "psoriasis", lang: str = "en") -> str:
        out = StringIO()
        call_command(
            "create_invitation",
            "--questionnaire",
            "treatment-discussion",
            "--disease",
            disease,
            "--lang",
            lang,
            "--team",
            team.name,
            "--base-url",
            live_server.url,
            stdout=out,
        )
        link = out.getvalue().strip().splitlines()[-1]
        assert link.startswith(f"{live_server.url}/p/"), link
        return link

    return make

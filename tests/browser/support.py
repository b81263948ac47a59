"""Helpers of the browser tests: axe-core checks, screenshots, and a patient page object.

``PatientPages`` fills a questionnaire step the way a patient would (clicking labels,
typing, choosing from lists), choosing for each question shown a valid answer for its kind
from the questionnaire definition, so a walk keeps working when branching changes which
questions appear. The element ids and ``data-testid`` hooks are the ones the patient
templates promise: ``id_<step>-<key>`` (``_N`` per option, ``-day``/``-month``/``-year``
for dates, ``-<i>`` per ranking item) and ``continue``, ``back``, ``save-exit`` …
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from questionnaires.engine.definition import Kind, QuestionDef, VersionDef

REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT_DIR = REPO_ROOT / "test-output" / "browser"
DEMO_FILE = REPO_ROOT / "questionnaires/content/questionnaires/treatment-discussion.json"
BLOCKING_IMPACTS = {"serious", "critical"}
CJK = re.compile(r"[\u4e00-\u9fff]")


# --- reports ------------------------------------------------------------------------------


def output_path(*parts: str) -> Path:
    path = OUTPUT_DIR.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")


def screenshot(page, name: str) -> Path:
    path = output_path("screenshots", f"{safe_name(name)}.png")
    page.screenshot(path=str(path), full_page=True)
    return path


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{violation.get('helpUrl', '')}]"
        )
        for node in violation["nodes"][:8]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, name: str) -> list[dict]:
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    Every rule axe runs by default (WCAG 2.0–2.2 A and AA, and best practices) is checked.
    The full report is saved to test-output/browser/axe/<name>.json, milder findings
    included, for people to look at. Returns every violation found.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    report = {"url": page.url, "violations": results["violations"]}
    output_path("axe", f"{safe_name(name)}.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        print(format_violations(blocking))  # pytest shows it with the failure
    assert not blocking, (
        f"axe-core: serious or critical violations on {name} ({page.url}):\n"
        + format_violations(blocking)
    )
    return results["violations"]


def assert_accessible_without_scripts(page, name: str, *, scanner) -> list[dict]:
    """axe-core for a page in a context with JavaScript disabled.

    axe cannot run there (its promise needs timers, and timers do not fire while scripts
    are disabled). So the exact document that page received is served again, at the same
    address, to ``scanner``: a page of a JavaScript-enabled context in which every script
    of the site is blocked. The CSS is the site's own, and sdm.js never runs, so the DOM
    axe checks is the one a patient without JavaScript gets.
    """
    html = page.content()
    url = page.url.split("#", 1)[0]
    scanner.unroute("**/*")
    scanner.route(
        "**/*",
        lambda route: (
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            if route.request.url == url
            else route.abort()
            if route.request.resource_type == "script"
            else route.continue_()
        ),
    )
    scanner.goto(url)
    return assert_accessible(scanner, name)


def page_widths(page) -> tuple[int, int]:
    """(document scroll width, layout viewport width), both in CSS pixels."""
    width, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return int(width), int(viewport)


def assert_no_horizontal_overflow(page, *, width: int, name: str) -> None:
    scroll_width, viewport = page_widths(page)
    assert viewport == width, f"{name}: the layout viewport is {viewport}px, expected {width}px"
    if scroll_width > width:
        wide = page.evaluate(
            """(limit) => Array.from(document.querySelectorAll('body *'))
                .filter(e => e.getBoundingClientRect().right > limit + 0.5)
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                          + (e.className && e.className.baseVal === undefined
                             ? '.' + String(e.className).trim().replace(/\\s+/g, '.') : '')
                          + ' right=' + Math.round(e.getBoundingClientRect().right))""",
            width,
        )
        raise AssertionError(
            f"{name}: the page is {scroll_width}px wide in a {width}px viewport; "
            f"elements past the edge: {wide}"
        )


def demo_definition() -> VersionDef:
    from questionnaires.interop import sdm_json

    return sdm_json.load_bytes(DEMO_FILE.read_bytes())


def token_of(link: str) -> str:
    """The invitation token in a patient link (``…/p/<token>/``)."""
    return urlsplit(link).path.strip("/").split("/")[1]


def response_for(link: str):
    """The response behind a patient link, fresh from the database."""
    from questionnaires.services.invitations import invitation_resolve, response_of

    response = response_of(invitation_resolve(token_of(link)))
    assert response is not None
    response.refresh_from_db()
    return response


# --- the patient's pages --------------------------------------------------------------------


def default_answer(question: QuestionDef) -> Any:
    """A valid, unremarkable answer for a question (engine form: see the common rules)."""
    kind = question.kind
    if kind == Kind.SINGLE_CHOICE:
        return question.choices[0].value
    if kind == Kind.MULTIPLE_CHOICE:
        return [question.choices[0].value]
    if kind == Kind.RANKING:
        return [choice.value for choice in question.choices]
    if kind == Kind.YES_NO:
        return False
    if kind == Kind.RATING:
        low = int(question.min_value) if question.min_value is not None else 0
        high = int(question.max_value) if question.max_value is not None else 10
        return (low + high) // 2
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        low = question.min_value if question.min_value is not None else 0
        high = question.max_value if question.max_value is not None else 100
        middle = (Decimal(low) + Decimal(high)) / 2
        return int(middle)
    if kind == Kind.DATE:
        return date.today().isoformat()
    if kind == Kind.SHORT_TEXT:
        return "Feel better"
    if kind == Kind.LONG_TEXT:
        return "What happens next?"
    return None  # repeat groups are optional in the demo: left empty unless asked


class PatientPages:
    """A patient's tab. ``answers`` override the default answer per question key."""

    def __init__(self, page, definition: VersionDef | None = None) -> None:
        self.page = page
        self.definition = definition or demo_definition()
        self.questions = self.definition.question_map()

    # --- where we are ---------------------------------------------------------------------

    @property
    def step_key(self) -> str:
        return self.page.get_by_test_id("step-form").get_attribute("data-step")

    def on_check_page(self) -> bool:
        return self.page.url.rstrip("/").endswith("/check")

    def wrapper(self, key: str):
        return self.page.locator(f"[data-question='{key}']")

    def shown_question_keys(self) -> list[str]:
        """Questions on this step the patient can see now (JS hides those that do not apply)."""
        keys = []
        for wrapper in self.page.locator("form[data-step] [data-question]").all():
            if wrapper.is_visible():
                keys.append(wrapper.get_attribute("data-question"))
        return keys

    # --- reading and writing one answer ---------------------------------------------------

    def input_id(self, key: str, *, step: str | None = None) -> str:
        return f"id_{step or self.step_key}-{key}"

    @staticmethod
    def option_index(question: QuestionDef, value: Any) -> int:
        if question.kind == Kind.YES_NO:
            return 0 if value else 1
        if question.kind == Kind.RATING:
            low = int(question.min_value) if question.min_value is not None else 0
            return int(value) - low
        return [choice.value for choice in question.choices].index(value)

    def is_answered(self, key: str) -> bool:
        wrapper = self.wrapper(key)
        kind = self.questions[key].kind
        if kind == Kind.SINGLE_CHOICE and wrapper.locator("select").count():
            return bool(wrapper.locator("select").first.input_value())
        if kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE, Kind.YES_NO, Kind.RATING):
            return wrapper.locator("input:checked").count() > 0
        if kind in (Kind.DATE, Kind.RANKING):
            fields = wrapper.locator("input, select").all()
            return bool(fields) and all(field.input_value() for field in fields)
        if kind == Kind.REPEAT_GROUP:
            return True  # optional in the demo; rows are added only when asked
        field = wrapper.locator("input, textarea").first
        return bool(field.input_value())

    def set_answer(self, key: str, value: Any, *, prefix: str | None = None) -> None:
        """Answer one question as a patient would. ``prefix``: a repeat-group row's prefix."""
        question = self.questions[key]
        base = f"id_{prefix or self.step_key}-{key}"
        page = self.page
        kind = question.kind
        if kind == Kind.SINGLE_CHOICE and page.locator(f"select[id='{base}']").count():
            page.locator(f"select[id='{base}']").select_option(value)  # a long list or a row
        elif kind in (Kind.SINGLE_CHOICE, Kind.YES_NO, Kind.RATING):
            page.locator(f"[id='{base}_{self.option_index(question, value)}']").check()
        elif kind == Kind.MULTIPLE_CHOICE:
            for index, choice in enumerate(question.choices):
                box = page.locator(f"[id='{base}_{index}']")
                box.set_checked(choice.value in value)
        elif kind == Kind.RANKING:
            position = {item: rank for rank, item in enumerate(value, start=1)}
            for index, choice in enumerate(question.choices):
                page.locator(f"[id='{base}-{index}']").select_option(str(position[choice.value]))
        elif kind == Kind.DATE:
            year, month, day = (int(part) for part in str(value).split("-"))
            page.locator(f"[id='{base}-day']").fill(str(day))
            page.locator(f"[id='{base}-month']").fill(str(month))
            page.locator(f"[id='{base}-year']").fill(str(year))
        elif kind == Kind.REPEAT_GROUP:
            self.set_rows(question, value)
        else:
            page.locator(f"[id='{base}']").fill(str(value))

    def set_rows(self, group: QuestionDef, rows: list[Mapping[str, Any]]) -> None:
        """Fill a repeat group's rows, pressing "Add another entry" when a row is missing."""
        step = self.step_key
        for index, row in enumerate(rows):
            row_id = f"id_{step}-{group.key}-row-{index}"
            if self.page.locator(f"[id='{row_id}']").count() == 0:
                with self.page.expect_navigation():
                    self.page.locator(f"button[name='wizard_add_row'][value='{group.key}']").click()
            for child in group.children:
                if child.key in row:
                    self.set_answer(child.key, row[child.key], prefix=f"{step}-{group.key}-{index}")

    def fill_step(self, answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Answer every question shown that has no answer yet (``answers`` win, and replace
        what is there). Returns what was entered."""
        answers = answers or {}
        entered = {}
        # The shown questions can change as we answer (same-page conditions): look again.
        done: set[str] = set()
        while True:
            pending = [key for key in self.shown_question_keys() if key not in done]
            if not pending:
                return entered
            key = pending[0]
            done.add(key)
            question = self.questions[key]
            if question.kind == Kind.DISPLAY or question.read_only:
                continue
            if key in answers:
                value = answers[key]
            elif self.is_answered(key):
                continue
            else:
                value = default_answer(question)
                if value is None:
                    continue
            self.set_answer(key, value)
            entered[key] = value

    # --- moving around --------------------------------------------------------------------

    def click_and_wait(self, test_id: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_test_id(test_id).click()

    def error_summary_text(self) -> str:
        summary = self.page.get_by_test_id("error-summary")
        return summary.inner_text() if summary.count() else ""

    def continue_(self) -> None:
        before = self.page.url
        self.click_and_wait("continue")
        if self.page.url == before and self.error_summary_text():
            raise AssertionError(f"step {self.step_key} was refused:\n{self.error_summary_text()}")

    def start(self) -> None:
        self.click_and_wait("start")

    def walk_to_check(
        self,
        answers: Mapping[str, Any] | None = None,
        *,
        on_step: Callable[[str], None] | None = None,
        max_steps: int = 20,
    ) -> list[str]:
        """Answer step after step until the check-your-answers page; the steps visited."""
        visited: list[str] = []
        while not self.on_check_page():
            assert len(visited) < max_steps, f"no check page after {visited}"
            step = self.step_key
            visited.append(step)
            if on_step is not None:
                on_step(step)
            self.fill_step(answers)
            self.continue_()
        return visited

    def submit(self) -> None:
        self.click_and_wait("submit")

    def check_page_rows(self) -> dict[str, list[str]]:
        """Check page: question keys per step section, from the "Change" links."""
        sections = {}
        for section in self.page.locator("[data-testid^='summary-']").all():
            step = section.get_attribute("data-testid").removeprefix("summary-")
            sections[step] = [
                link.get_attribute("data-testid").removeprefix("change-")
                for link in section.locator("[data-testid^='change-']").all()
            ]
        return sections

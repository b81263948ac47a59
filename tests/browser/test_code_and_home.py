"""Issue 10: the home page and the "enter your code" page in Chromium, phone-sized, axe clean.

A patient without the link starts at the site root, follows "Enter the code from your
letter", types the code the way people do (lower case, spaces), gets a clear error for a
wrong one, and lands in the questionnaire with the right one. Both languages.
"""

from __future__ import annotations

import pytest

from questionnaires.services.invitation_codes import code_for_token, grouped
from tests.browser.support import assert_accessible, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _token(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def test_home_to_code_page_to_the_questionnaire(new_context, invitation_link):
    link = invitation_link(disease="psoriasis", lang="en")
    code = code_for_token(_token(link))
    page = new_context(viewport=PHONE).new_page()

    page.goto("/")
    assert_accessible(page, "home-en")
    screenshot(page, "home-en-phone")
    assert page.locator("[data-testid=home-sign-in]").get_attribute("href") == "/clinic/"
    with page.expect_navigation():
        page.locator("[data-testid=home-enter-code]").click()
    assert page.url.endswith("/code/")
    assert_accessible(page, "code-page")

    # A wrong code: an error summary that leads to the field.
    page.locator("[data-testid=code-input]").fill("abcd efgh jk")
    with page.expect_navigation():
        page.locator("[data-testid=code-submit]").click()
    assert page.locator(".error-summary").is_visible()
    assert "This code does not work" in page.locator(".error-summary").inner_text()
    assert_accessible(page, "code-page-error")
    screenshot(page, "code-page-error-phone")

    # The right one, typed in lower case with spaces.
    page.locator("[data-testid=code-input]").fill(grouped(code).lower().replace("-", " "))
    with page.expect_navigation():
        page.locator("[data-testid=code-submit]").click()
    assert page.url.endswith(f"/p/{code}/")
    with page.expect_navigation():
        page.locator("[data-testid=start]").click()
    assert "/step/" in page.url


def test_the_code_page_in_chinese(new_context):
    page = new_context(viewport=PHONE, locale="en-GB").new_page()
    page.goto("/")
    with page.expect_navigation():
        page.locator("form.language-switch button[value=zh-hans]").click()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert_accessible(page, "home-zh")
    with page.expect_navigation():
        page.locator("[data-testid=home-enter-code]").click()
    assert "输入信上的代码" in page.locator("h1").inner_text()
    assert_accessible(page, "code-page-zh")


def test_the_code_page_offers_its_language_switch(new_context):
    page = new_context(viewport=PHONE, locale="en-GB").new_page()
    page.goto("/code/")
    switch = page.locator(".site-header form.language-switch button[value=zh-hans]")
    assert switch.is_visible()
    with page.expect_navigation():
        switch.click()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert_accessible(page, "code-page-zh-direct")

"""The patient link's token never leaves in a ``Referer`` header.

Every page says ``Referrer-Policy: same-origin`` (header and ``<meta>``), and every static
file a page of ours asks for is fetched with ``referrerpolicy="no-referrer"``, so not even our
own access logs or a proxy see the page URL there (``templates/base.html`` says why).
"""

from __future__ import annotations

import re

import pytest

from questionnaires.services.invitations import invitation_create
from tests import clinic_factories as make
from tests.factories import fresh_rate_limits  # noqa: F401  (autouse: clean counters)
from tests.paths import REPO_ROOT

TEMPLATES = REPO_ROOT / "templates"
# A tag that fetches something: a stylesheet, a script, an image (multi-line tags included).
FETCHING_TAG = re.compile(r"<(?:link|script|img)\b[^>]*\b(?:href|src)=[^>]*>", re.DOTALL)


def _fetching_tags(text: str) -> list[str]:
    return [tag for tag in FETCHING_TAG.findall(text) if not re.search(r"""=["']data:""", tag)]


def test_every_static_file_our_pages_ask_for_is_fetched_without_a_referrer():
    # admin/ extends Django's admin, whose own stylesheets and scripts carry no such
    # attribute; admin URLs hold no patient token (they are covered by the header alone).
    templates = [
        path
        for path in TEMPLATES.rglob("*.html")
        if "admin" not in path.relative_to(TEMPLATES).parts
    ]
    assert len(templates) > 20
    leaking = [
        f"{path.relative_to(REPO_ROOT)}: {tag}"
        for path in templates
        for tag in _fetching_tags(path.read_text(encoding="utf-8"))
        if 'referrerpolicy="no-referrer"' not in tag
    ]
    assert leaking == []


def test_the_checker_finds_a_tag_without_the_attribute():
    assert _fetching_tags('<link rel="stylesheet"\n  href="/static/x.css">') != []
    assert _fetching_tags('<link rel="icon" href="data:,">') == []


@pytest.mark.django_db
def test_patient_pages_and_the_pages_before_them_say_same_origin(client):
    questionnaire = make.published_questionnaire()
    _invitation, token = invitation_create(
        questionnaire=questionnaire, patient_ref="P-REF", team=make.team("Team A")
    )
    for url in ("/", "/code/", f"/p/{token}/"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer["Referrer-Policy"] == "same-origin", url
        page = answer.content.decode()
        assert '<meta name="referrer" content="same-origin">' in page, url
        assert _fetching_tags(page), url  # the page does load a stylesheet
        for tag in _fetching_tags(page):
            assert 'referrerpolicy="no-referrer"' in tag, (url, tag)

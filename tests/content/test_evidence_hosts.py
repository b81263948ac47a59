"""No evidence or reference address in the shipped content points at a staging or test host.

Issue 8 found sources on ``uat.``/``sit.`` sub-domains and an azurewebsites host: pages that
are not the publisher's public copy, may change or vanish, and cannot be cited to a clinician.
Every address anywhere in the therapy profiles and rules (references, outcome sources, rule
evidence, indication scopes) is checked, so a new field cannot slip past.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CONTENT_DIR = Path(__file__).resolve().parents[2] / "questionnaires/content/therapies"
CONTENT_FILES = ("therapies.json", "rules.json")

# A first label that names a non-production environment (uat.mims.com, sit.mimsdev.com, ...).
STAGING_LABELS = frozenset(
    {"uat", "sit", "dev", "test", "testing", "staging", "stage", "stg", "qa", "preprod", "sandbox"}
)
# Words that mark an environment anywhere in the host (mimsdev.com, prdmimsweb-staging...).
STAGING_WORDS = ("staging", "mimsdev", "preprod")
# Platforms that serve an application's own deployment rather than the publisher's site.
HOSTING_SUFFIXES = (
    ".azurewebsites.net",
    ".cloudapp.net",
    ".herokuapp.com",
    ".netlify.app",
    ".vercel.app",
    ".appspot.com",
    ".ngrok.io",
    ".local",
    ".localhost",
    ".test",
    ".example",
    ".invalid",
)


def addresses(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in the document that is a web address, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from addresses(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from addresses(value, f"{path}[{index}]")
    elif isinstance(node, str) and node.startswith(("http://", "https://")):
        yield path, node


def staging_problem(url: str) -> str | None:
    """Why ``url`` is not a public production page, or None."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return "no host"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "a bare IP address, not the publisher's site"
    if host == "localhost":
        return "localhost"
    labels = host.split(".")
    if labels[0] in STAGING_LABELS or any(
        label.startswith(tuple(f"{word}-" for word in STAGING_LABELS)) for label in labels[:-2]
    ):
        return f"the sub-domain {labels[0]!r} names a test environment"
    for word in STAGING_WORDS:
        if word in host:
            return f"{word!r} in the host names a test environment"
    for suffix in HOSTING_SUFFIXES:
        if host.endswith(suffix):
            return f"{suffix} serves a deployment, not the publisher's public site"
    return None


def shipped_addresses() -> list[tuple[str, str]]:
    found = []
    for name in CONTENT_FILES:
        document = json.loads((CONTENT_DIR / name).read_text(encoding="utf-8"))
        found += addresses(document, name)
    return found


def test_the_content_has_addresses_to_check() -> None:
    found = shipped_addresses()
    assert len(found) > 200
    assert any(".evidence[" in path for path, _ in found)
    assert any(".references[" in path for path, _ in found)


def test_no_address_points_at_a_staging_or_test_host() -> None:
    problems = [
        f"{path}: {url} ({reason})"
        for path, url in shipped_addresses()
        if (reason := staging_problem(url)) is not None
    ]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    "url",
    [
        "https://uat.mimsdev.com/thailand/drug/info/steqeyma/use-in-pregnancy-lactation",
        "https://sit.mimsdev.com/hongkong/drug/info/kesimpta/use-in-pregnancy-lactation",
        "https://uat.mims.com/hongkong/drug/info/saphnelo/use-in-pregnancy-lactation",
        "https://prdmimsweb.azurewebsites.net/malaysia/drug/info/lemtrada/special-precautions",
        "https://staging.example.org/label",
        "https://dev.nice.org.uk/guidance/ta127",
        "https://qa-portal.ema.europa.eu/en/medicines",
        "http://127.0.0.1:8000/label",
        "http://47.251.13.51:8081/15722258",
        "http://localhost/page",
    ],
)
def test_the_check_recognises_the_hosts_the_review_found_and_their_kind(url: str) -> None:
    assert staging_problem(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://www.mims.com/hongkong/drug/info/tremfya/use-in-pregnancy-lactation",
        "https://api.fda.gov/drug/label.json?search=openfda.generic_name%3A%22Etanercept%22",
        "https://ec.europa.eu/health/documents/community-register/2023/x/anx_1_fr.pdf",
        "https://pubmed.ncbi.nlm.nih.gov/15722258/",
        "https://www.the-rheumatologist.org/article/x/2",
        "https://ch.oddb.org:443/en/gcc/fachinfo/reg/69443/chapter/pregnancy",
        "https://journals.lww.com/jewds/Fulltext/2012/09000/x.aspx",
    ],
)
def test_public_production_pages_pass(url: str) -> None:
    assert staging_problem(url) is None

"""Benchmark of the clinician dashboard as one team's responses grow, and beside other teams.

    .venv/bin/python benchmarks/bench_dashboard.py [--large] [--runs N] [--database-url URL]

Seeds rows in bulk through the models (``bulk_create`` of invitations and their responses:
80 % submitted, 10 % in progress, 10 % invited only; conditions and dates spread), logs a
clinician of team A in, and times through Django's WSGI handler (medians of N requests,
every middleware) the first page, the last page, a filtered page (status and condition)
and a search by patient reference, with the queries of each:

1. team A with 100 rows, alone;
2. the same 100 rows after other teams got 10,000 rows (100,000 with ``--large``);
3. team A grown to 10,000 rows;
4. with ``--large`` only: team A grown to 100,000 rows.

Aims (issue 14): every page within 1.5 × at the largest size of what it takes at 100 rows,
one team's page unaffected by other teams' rows (within 1.5 ×), and a query count that does
not grow. Run it on PostgreSQL (``--database-url``) for figures that mean something: the
plans that matter (index use, sorts, OFFSET scans) are PostgreSQL's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from _common import database_vendor, median_seconds, setup_database, write_part

STATUS_MIX = ("submitted",) * 8 + ("in_progress", "invited")
BATCH = 5000


def seed(*, team, questionnaire, count: int, offset: int) -> None:
    """``count`` more invitations of ``team`` (numbered from ``offset``), with responses."""
    from django.utils import timezone

    from questionnaires.models import Disease, Invitation, Response
    from questionnaires.models.response import hash_token

    version = questionnaire.published_version()
    diseases = list(Disease.values)
    now = timezone.now()
    for start in range(offset, offset + count, BATCH):
        numbers = range(start, min(start + BATCH, offset + count))
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(
                    # What the database's triggers set again when the responses are
                    # inserted below (``Invitation.progress``); given here too so the
                    # invitations are right even before then.
                    progress=STATUS_MIX[number % len(STATUS_MIX)],
                    token_hash=hash_token(f"bench-{team.pk}-{number}"),
                    patient_ref=f"T{team.pk}-{number:06d}",
                    team=team,
                    questionnaire=questionnaire,
                    disease=diseases[number % len(diseases)],
                    language="en" if number % 3 else "zh-hans",
                    created_at=now - dt.timedelta(minutes=number),
                    expires_at=now - dt.timedelta(minutes=number) + dt.timedelta(days=14),
                )
                for number in numbers
            ]
        )
        responses = []
        for number, invitation in zip(numbers, invitations, strict=True):
            status = STATUS_MIX[number % len(STATUS_MIX)]
            if status == "invited":
                continue
            submitted = status == "submitted"
            responses.append(
                Response(
                    invitation=invitation,
                    version=version,
                    status="submitted" if submitted else "in_progress",
                    language=invitation.language,
                    answers={"seeded": True},
                    started_at=invitation.created_at,
                    submitted_at=invitation.created_at + dt.timedelta(minutes=20)
                    if submitted
                    else None,
                )
            )
        Response.objects.bulk_create(responses)
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh planner statistics and visibility map, as autovacuum would give a table that
        # grew: without the map, PostgreSQL cannot answer the status counts from the index
        # alone (an index-only scan) and reads the table's pages too.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure(client, *, rows: int, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("clinician:dashboard")
    pages = {
        "first page": url,
        "last page": f"{url}?page=last",
        "filtered page": f"{url}?status=submitted&condition=psoriasis",
        "search": f"{url}?q=00004",
    }
    figures = {}
    for name, page_url in pages.items():

        def fetch(page_url=page_url):
            answer = client.get(page_url)
            assert answer.status_code == 200, (page_url, answer.status_code)

        with CaptureQueriesContext(connection) as captured:
            fetch()
        queries = len(captured)
        figures[name] = {"ms": median_seconds(fetch, runs=runs) * 1000, "queries": queries}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="also 100,000 rows (slow to seed)")
    parser.add_argument("--runs", type=int, default=7, help="requests per measurement")
    parser.add_argument("--database-url", default=None, help="PostgreSQL; name must hold 'bench'")
    args = parser.parse_args()
    setup_database(label="dashboard", database_url=args.database_url)
    from django.test import Client

    from questionnaires.models import Team
    from tests.clinic_factories import PASSWORD, user
    from tests.summary.builders import demo_content_ensure

    questionnaire = demo_content_ensure()
    team_a = Team.objects.create(name="Team A")
    others = [Team.objects.create(name=f"Other team {index}") for index in range(4)]
    user("bench-clinician", team=team_a)
    client = Client()
    assert client.login(username="bench-clinician", password=PASSWORD)
    others_total = 100_000 if args.large else 10_000
    sizes = [10_000, 100_000] if args.large else [10_000]

    def timed_seed(**kwargs) -> float:
        started = time.perf_counter()
        seed(questionnaire=questionnaire, **kwargs)
        return time.perf_counter() - started

    results: dict[str, dict] = {}
    timed_seed(team=team_a, count=100, offset=0)
    measure(client, rows=100, runs=1)  # warm-up: templates, connections, caches
    results["100 alone"] = measure(client, rows=100, runs=args.runs)
    seconds = sum(
        timed_seed(team=other, count=others_total // len(others), offset=0) for other in others
    )
    print(f"seeded {others_total} rows for other teams in {seconds:.1f} s")
    results[f"100 beside {others_total}"] = measure(client, rows=100, runs=args.runs)
    seeded = 100
    for size in sizes:
        seconds = timed_seed(team=team_a, count=size - seeded, offset=seeded)
        seeded = size
        print(f"seeded team A to {size} rows in {seconds:.1f} s")
        results[str(size)] = measure(client, rows=size, runs=args.runs)

    print(f"\ndashboard on {database_vendor()}, medians of {args.runs} requests: ms (queries)")
    kinds = list(results["100 alone"])
    print(f"{'team A rows':<20}" + "".join(f"{kind:>18}" for kind in kinds))
    for label, figures in results.items():
        cells = "".join(
            f"{figures[kind]['ms']:>12.1f} ({figures[kind]['queries']:>2})" for kind in kinds
        )
        print(f"{label:<20}{cells}")
    largest = str(sizes[-1])
    base = results["100 alone"]
    beside = results[f"100 beside {others_total}"]
    ratios = {
        f"dashboard {kind}, {largest} / 100 rows": results[largest][kind]["ms"] / base[kind]["ms"]
        for kind in kinds
    }
    ratios.update(
        {
            f"dashboard {kind}, 100 rows beside {others_total} others / alone": beside[kind]["ms"]
            / base[kind]["ms"]
            for kind in kinds
        }
    )
    query_counts = {
        label: {kind: figures[kind]["queries"] for kind in kinds}
        for label, figures in results.items()
    }
    constant = all(counts == query_counts["100 alone"] for counts in query_counts.values())
    print(f"\nquery count constant across sizes: {'yes' if constant else 'no'}")
    for name, ratio in ratios.items():
        print(f"  {name}: {ratio:.2f} (aim ≤ 1.5)")
    write_part(
        "dashboard",
        {
            "database": database_vendor(),
            "large": args.large,
            "results": results,
            "query_counts_constant": constant,
            "ratios": ratios,
        },
    )


if __name__ == "__main__":
    main()

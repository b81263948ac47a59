"""Profile a wizard step GET, a step POST and a submit (cProfile), to find where time goes.

    .venv/bin/python benchmarks/profile_wizard.py [--rounds N] [--database-url URL] [--top N]

Walks simulated patients as ``bench_wizard.py`` does, then profiles N rounds over every step
(GET, then POST of the same answers) and N submits, each through Django's WSGI handler, and
prints the top functions by their own time and by cumulative time. The findings are written
up in docs/performance.md; the profiles themselves are not kept.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats

from _common import setup_database
from bench_wizard import invite, post_form, walk_to_check, with_revision


def report(profile: cProfile.Profile, title: str, *, top: int) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(f"\n===== {title}, by {order} =====")
        print("\n".join(out.getvalue().splitlines()[4:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--database-url", default=None, help="PostgreSQL; name must hold 'bench'")
    args = parser.parse_args()
    setup_database(label="profile", database_url=args.database_url)
    from django.test import Client

    from questionnaires.models import Disease, Team
    from tests.summary.builders import demo_content_ensure

    questionnaire = demo_content_ensure()
    team = Team.objects.create(name="Profile team")
    client = Client()
    learned: dict[str, int] = {}
    (token,) = invite(questionnaire=questionnaire, team=team, count=1, label="profile")
    walked = walk_to_check(client, token, learned, seed=0)
    # One unprofiled submit per condition first (invite cycles the conditions): it reads the
    # therapy profiles, which a running server then keeps; the profiled submits are the later
    # ones (bench_wizard.py prints the first ones apart).
    warm_up = len(Disease.values)
    tokens = invite(
        questionnaire=questionnaire, team=team, count=warm_up + args.rounds, label="psubmit"
    )
    to_submit = [walk_to_check(client, tok, learned, seed=n + 1) for n, tok in enumerate(tokens)]

    get_profile, post_profile, submit_profile = (
        cProfile.Profile(),
        cProfile.Profile(),
        cProfile.Profile(),
    )
    for _round in range(args.rounds):
        for url, data in walked["steps"].items():
            get_profile.enable()
            page = client.get(url)
            get_profile.disable()
            form = with_revision(data, page.content.decode())
            post_profile.enable()
            assert post_form(client, url, form).status_code == 302
            post_profile.disable()
    for number, patient in enumerate(to_submit):
        page = client.get(patient["check"])
        form = with_revision([("csrfmiddlewaretoken", ""), ("revision", "")], page.content.decode())
        if number >= warm_up:
            submit_profile.enable()
        assert post_form(client, patient["check"], form).status_code == 302
        submit_profile.disable()
    report(get_profile, "step GET", top=args.top)
    report(post_profile, "step POST", top=args.top)
    report(submit_profile, "submit", top=args.top)


if __name__ == "__main__":
    main()

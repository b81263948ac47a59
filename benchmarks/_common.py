"""What the benchmark scripts share: a throw-away database, medians, and their JSON parts.

Each ``bench_*.py`` writes its figures to ``var/bench-parts/<name>.json``;
``bench_report.py`` (the last step of ``make bench``) gathers them into ``var/bench.json``
and prints one line per aim. Benchmarks are scripts, never tests: timings vary with the
machine, so they report ratios to a floor measured in the same run.
"""

from __future__ import annotations

import gc
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PARTS = ROOT / "var" / "bench-parts"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def median_seconds(function: Callable[[], object], *, runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def setup_database(*, label: str, database_url: str | None = None) -> Path:
    """Django on a fresh database: a temporary SQLite file, or the PostgreSQL database named
    in ``database_url`` (dropped and re-created; its name must contain "bench")."""
    folder = Path(tempfile.mkdtemp(prefix=f"sdm-bench-{label}-"))
    if database_url:
        database_url = _fresh_postgres(database_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "sdm.settings_test"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.SDM_SUMMARY_RENDER_ON_SUBMIT = False  # renders are timed on purpose, elsewhere
    settings.STATIC_ROOT = folder / "static"
    settings.STATIC_ROOT.mkdir()  # WhiteNoise warns about a missing folder otherwise
    settings.ROOT_URLCONF = "benchmarks.bench_urls"
    call_command("migrate", verbosity=0)
    return folder


def _fresh_postgres(url: str) -> str:
    import psycopg

    base, _slash, name = url.rstrip("/").rpartition("/")
    if "bench" not in name or not re.fullmatch(r"[a-z0-9_]+", name):
        raise SystemExit(f"refusing database {name!r}: its name must contain 'bench' ([a-z0-9_])")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url


def database_vendor() -> str:
    from django.db import connection

    return connection.vendor


def write_part(name: str, figures: dict[str, Any]) -> None:
    PARTS.mkdir(parents=True, exist_ok=True)
    (PARTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")

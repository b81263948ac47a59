"""The last step of ``make bench``: every ratio in one file, and one line per aim.

    .venv/bin/python benchmarks/bench_report.py

Reads what the benchmark scripts wrote to ``var/bench-parts/`` (and the latest load run of
each configuration, ``var/load-runs/``, when ``make load`` has run), writes ``var/bench.json``
as ``{"name": ratio, ...}`` plus ``"aims"`` (name → aim) and ``"met"`` (name → true/false),
and prints one line per aim.
The aims are issue 14's. A figure whose script did not run is listed as missing.
"""

from __future__ import annotations

import datetime
import json
import operator
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = ROOT / "var" / "bench-parts"
LOAD = ROOT / "var" / "load.json"
LOAD_RUNS = ROOT / "var" / "load-runs"  # benchmarks/load.py: one file per configuration
OUT = ROOT / "var" / "bench.json"

OPERATORS = {"<": operator.lt, "≤": operator.le, "≥": operator.ge, "=": operator.eq}

# name → (comparison, aim); names without an aim are reported for reference only.
AIMS: dict[str, tuple[str, float]] = {
    "weighing, seed set, one patient (ms)": ("<", 1.0),
    "summary PDF end-to-end / WeasyPrint alone": ("≤", 1.2),
    "summary styled / same HTML without CSS": ("≤", 1.3),
    "stored PDF served / audited floor": ("≤", 1.5),
    "wizard step GET / floor": ("≤", 1.5),
    "wizard step POST / floor": ("≤", 1.5),
    "queries per step": ("≤", 5),
    "queries per submit": ("≤", 12),
    "submit / step POST": ("≤", 3),
    "dashboard queries, largest / 100 rows": ("≤", 1.0),
    "load lost answers": ("=", 0),
}
DASHBOARD_AIM = ("≤", 1.5)


def read_part(name: str) -> dict | None:
    path = PARTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def gather() -> tuple[dict[str, float], dict[str, tuple[str, float]], list[str]]:
    figures: dict[str, float] = {}
    aims = dict(AIMS)
    notes: list[str] = []
    for name in ("weighing", "summary", "wizard", "dashboard"):
        part = read_part(name)
        if part is None:
            notes.append(f"{name}: not run")
            continue
        figures.update(part.get("ratios", {}))
        if name == "summary":
            figures["PDF pages per second per core"] = part["pages_per_second_per_core"]
        if name == "wizard":
            figures["queries per step"] = max(part["queries_step_get"], part["queries_step_post"])
            figures["queries per submit"] = part["queries_submit"]
        if name == "dashboard":
            aims.update(dict.fromkeys(part["ratios"], DASHBOARD_AIM))
            counts = part["results"]
            base = counts["100 alone"]
            figures["dashboard queries, largest / 100 rows"] = max(
                figures_kind["queries"] / base[kind]["queries"]
                for sizes in counts.values()
                for kind, figures_kind in sizes.items()
            )
            if not part["large"]:
                notes.append("dashboard: quick run (10,000 rows); --large for 100,000")
    runs = load_runs()
    if not runs:
        notes.append("load: not run (make load)")
    lost = 0
    for label, load, ran in runs:
        notes.append(f"load, {label}: figures from a run of {ran:%Y-%m-%d %H:%M} UTC")
        lost += load_figures(load, label=label, figures=figures, aims=aims)
    if runs:
        figures["load lost answers"] = lost
    coldstart = read_part("coldstart")
    if coldstart is None:
        notes.append("cold start: not run (BENCH_COLDSTART=1, or benchmarks/bench_coldstart.py)")
    else:
        figures["make run installs dev packages"] = len(coldstart["dev_packages_installed_by_run"])
        aims["make run installs dev packages"] = ("=", 0)
        figures["cold start, make run without a venv (s)"] = coldstart["seconds_without_venv"]
        figures["cold start, make run with the venv (s)"] = coldstart["seconds_with_venv"]
        figures["cold start, venv size (MB)"] = coldstart["venv_megabytes"]
    return figures, aims, notes


def load_runs() -> list[tuple[str, dict, datetime.datetime]]:
    """Each configuration's latest load run (``var/load-runs/``), else ``var/load.json`` alone."""
    paths = sorted(LOAD_RUNS.glob("*.json")) if LOAD_RUNS.is_dir() else []
    if not paths and LOAD.exists():
        paths = [LOAD]
    runs = []
    for path in paths:
        load = json.loads(path.read_text())
        servers = load.get("servers", 1)
        label = f"{load['patients']} patients, {servers} server{'s' if servers > 1 else ''}"
        ran = datetime.datetime.fromtimestamp(path.stat().st_mtime, tz=datetime.UTC)
        runs.append((label, load, ran))
    return sorted(runs, key=lambda run: (run[1].get("servers", 1), run[1]["patients"]))


def load_figures(load: dict, *, label: str, figures: dict, aims: dict) -> int:
    """One load run's figures and aims, named by its configuration; returns its lost answers."""
    p95_aim = 2.5 if load["patients"] >= 200 else 0.5
    lost = 0
    for scenario, where in (("own", "one address each"), ("shared", "all from one address")):
        result = load["scenarios"].get(scenario)
        if not result:
            continue
        p95_name = f"load p95 (s), {label}, {where}"
        figures[p95_name] = result["p95_all_s"]
        aims[p95_name] = ("≤", p95_aim)
        errors_name = f"load errors, {label}, {where}"
        figures[errors_name] = result["errors"]
        aims[errors_name] = ("=", 0)
        completed_name = f"load completed / patients, {label}, {where}"
        figures[completed_name] = result["completed"] / result["patients"]
        aims[completed_name] = ("≥", 1.0)
        if scenario == "own" and load.get("servers") == 1 and load.get("workers_per_server") == 2:
            # Issue 14's throughput aim: ≥ 2 × the 210–270 a minute of one server, 2 sync workers.
            per_minute_name = f"load completed per minute, {label}, {where}"
            figures[per_minute_name] = result["completed_per_minute"]
            aims[per_minute_name] = ("≥", 480)
        lost += result["lost_answers"]
    renders = load.get("renders")
    if renders:
        figures[f"load renders ready / expected, {label}"] = renders["documents_ready"] / max(
            1, renders["documents_expected"]
        )
        aims[f"load renders ready / expected, {label}"] = ("=", 1.0)
        figures[f"load renders claimed more than once, {label}"] = renders[
            "rendered_more_than_once"
        ]
        aims[f"load renders claimed more than once, {label}"] = ("=", 0)
        if renders.get("renders_per_minute"):
            figures[f"load renders per minute (all workers), {label}"] = renders[
                "renders_per_minute"
            ]
        peaks = [mb for mb in renders.get("worker_peak_rss_mb", []) if mb]
        if peaks:
            figures[f"load render worker peak RSS (MB), {label}"] = max(peaks)
    return lost


def main() -> None:
    figures, aims, notes = gather()
    met = {
        name: OPERATORS[comparison](figures[name], aim)
        for name, (comparison, aim) in aims.items()
        if name in figures and figures[name] is not None
    }
    report = {
        **figures,
        "aims": {name: f"{comparison} {aim:g}" for name, (comparison, aim) in aims.items()},
        "met": met,
        "notes": notes,
    }
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n== aims (issue 14), written to {OUT.relative_to(ROOT)} ==")
    for name, (comparison, aim) in aims.items():
        if name not in figures or figures[name] is None:
            print(f"  missing  {name} (aim {comparison} {aim:g})")
            continue
        verdict = "met    " if met[name] else "NOT MET"
        print(f"  {verdict}  {name}: {figures[name]:.3g} (aim {comparison} {aim:g})")
    for name, value in figures.items():
        if name not in aims:
            print(f"  (info)   {name}: {value:.3g}")
    for note in notes:
        print(f"  note: {note}")


if __name__ == "__main__":
    sys.exit(main())

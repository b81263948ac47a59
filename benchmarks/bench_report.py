"""The last step of ``make bench``: every ratio in one file, and one line per aim.

    .venv/bin/python benchmarks/bench_report.py

Reads what the benchmark scripts wrote to ``var/bench-parts/`` (and ``var/load.json`` when a
load test has run: ``make load``), writes ``var/bench.json`` as ``{"name": ratio, ...}`` plus
``"aims"`` (name → aim) and ``"met"`` (name → true/false), and prints one line per aim.
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
    "load errors, one address per patient": ("=", 0),
    "load completed / patients, one address per patient": ("≥", 1.0),
    "load completed / patients, all from one address": ("≥", 1.0),
    # ≥ 2 × what this machine did before (210–270 a minute with 2 sync workers).
    "load completed per minute, one address per patient": ("≥", 480),
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
    if LOAD.exists():
        load = json.loads(LOAD.read_text())
        ran = datetime.datetime.fromtimestamp(LOAD.stat().st_mtime, tz=datetime.UTC)
        notes.append(f"load: figures from var/load.json of {ran:%Y-%m-%d %H:%M} UTC")
        patients = load["patients"]
        own = load["scenarios"].get("own")
        shared = load["scenarios"].get("shared")
        lost = 0
        if own:
            p95_name = f"load p95 (s), {patients} patients, one address each"
            figures[p95_name] = own["p95_all_s"]
            aims[p95_name] = ("≤", 2.5 if patients >= 200 else 0.5)
            figures["load errors, one address per patient"] = own["errors"]
            figures["load completed / patients, one address per patient"] = (
                own["completed"] / own["patients"]
            )
            if load.get("servers") == 1 and load.get("workers_per_server") == 2:
                figures["load completed per minute, one address per patient"] = own[
                    "completed_per_minute"
                ]
            lost += own["lost_answers"]
        if shared:
            figures["load completed / patients, all from one address"] = (
                shared["completed"] / shared["patients"]
            )
            lost += shared["lost_answers"]
        figures["load lost answers"] = lost
        if "renders" in load:
            renders = load["renders"]
            figures["load renders ready / expected"] = renders["documents_ready"] / max(
                1, renders["documents_expected"]
            )
            figures["load renders claimed more than once"] = renders["rendered_more_than_once"]
            if renders.get("renders_per_minute"):
                figures["load renders per minute (all workers)"] = renders["renders_per_minute"]
            peaks = [mb for mb in renders.get("worker_peak_rss_mb", []) if mb]
            if peaks:
                figures["load render worker peak RSS (MB)"] = max(peaks)
            aims["load renders ready / expected"] = ("=", 1.0)
            aims["load renders claimed more than once"] = ("=", 0)
    else:
        notes.append("load: not run (make load)")
    notes.append("cold start (make run with and without a venv): not measured here")
    return figures, aims, notes


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

"""The bench report's reading of load runs (benchmarks/bench_report.py).

Timings are never tested; what is tested is that every configuration's latest run reaches
the report with its own aims, so a two-server run no longer hides the one-server figures.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_report


def a_run(*, patients: int, servers: int, p95: float, lost: int = 0) -> dict:
    scenario = {
        "patients": patients,
        "completed": patients,
        "completed_per_minute": 400.0,
        "p95_all_s": p95,
        "errors": 0,
        "lost_answers": lost,
    }
    return {
        "patients": patients,
        "servers": servers,
        "workers_per_server": 2,
        "scenarios": {"own": scenario, "shared": dict(scenario)},
    }


@pytest.fixture
def load_files(tmp_path, monkeypatch):
    runs = tmp_path / "load-runs"
    runs.mkdir()
    monkeypatch.setattr(bench_report, "LOAD_RUNS", runs)
    monkeypatch.setattr(bench_report, "LOAD", tmp_path / "load.json")
    return runs


def test_every_configuration_reaches_the_report_with_its_own_p95_aim(load_files):
    (load_files / "1-servers-50-patients.json").write_text(
        json.dumps(a_run(patients=50, servers=1, p95=0.6))
    )
    (load_files / "1-servers-200-patients.json").write_text(
        json.dumps(a_run(patients=200, servers=1, p95=2.4, lost=1))
    )
    (load_files / "2-servers-50-patients.json").write_text(
        json.dumps(a_run(patients=50, servers=2, p95=1.2))
    )
    figures, aims, _notes = bench_report.gather()

    assert figures["load p95 (s), 50 patients, 1 server, one address each"] == 0.6
    assert aims["load p95 (s), 50 patients, 1 server, one address each"] == ("≤", 0.5)
    assert aims["load p95 (s), 200 patients, 1 server, all from one address"] == ("≤", 2.5)
    assert figures["load p95 (s), 50 patients, 2 servers, one address each"] == 1.2
    # The throughput aim was set for one server with two sync workers only.
    assert "load completed per minute, 50 patients, 1 server, one address each" in aims
    assert not any("per minute" in name and "2 servers" in name for name in aims)
    # Lost answers add up over every run and scenario: one lost anywhere is not met.
    assert figures["load lost answers"] == 2


def test_without_run_files_the_single_latest_run_is_read(load_files):
    bench_report.LOAD.write_text(json.dumps(a_run(patients=50, servers=1, p95=0.4)))
    figures, _aims, notes = bench_report.gather()
    assert figures["load p95 (s), 50 patients, 1 server, one address each"] == 0.4
    assert not any(note.startswith("load: not run") for note in notes)

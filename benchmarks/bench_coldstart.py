"""Cold start: how long `make run` takes, in a fresh clone, until the home page answers.

    .venv/bin/python benchmarks/bench_coldstart.py [--keep]

Clones the committed HEAD into a temporary folder (what a stranger gets), then times
`make run` on a free loopback port until ``GET /`` answers 200, twice: first with no
virtual environment (venv, install, migrate, demo content, server), then again with the
venv in place and ``var/`` removed (migrate, demo content, server). Reports both times,
the venv's size, and whether the run installed the dev extras (pytest, playwright, ruff):
`make run` should install the runtime packages only (issue 14).

pip's own download cache (``~/.cache/pip``) is used as on any developer's machine, so the
first figure is an install from cached wheels, not from the network.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from _common import ROOT, write_part

TIME_LIMIT = 600  # seconds per start: a pip install on a slow mirror, not an endless wait
DEV_ONLY_PACKAGES = ("pytest", "playwright", "ruff", "hypothesis")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def home_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:  # noqa: S310
            return page.status == 200
    except (urllib.error.URLError, OSError):
        return False


def timed_start(clone: Path, *, log: Path) -> float:
    """Seconds from `make run` to the home page's first 200; the server is stopped after."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "VIRTUAL_ENV"}
    }
    started = time.perf_counter()
    output = log.open("ab")
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=clone,
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the process group holds make, manage.py and runserver
    )
    try:
        while not home_answers(port):
            if server.poll() is not None:
                raise SystemExit(
                    f"make run exited with {server.returncode} before answering; see {log}"
                )
            if time.perf_counter() - started > TIME_LIMIT:
                raise SystemExit(f"make run did not answer within {TIME_LIMIT} s")
            time.sleep(0.2)
        return time.perf_counter() - started
    finally:
        with contextlib.suppress(ProcessLookupError):  # make itself may have exited already
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        output.close()


def folder_megabytes(folder: Path) -> float:
    total = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return round(total / 1e6, 1)


def installed(venv: Path, package: str) -> bool:
    return any(venv.glob(f"lib/python*/site-packages/{package}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sdm-coldstart-"))
    clone = folder / "sdm"
    try:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        log = folder / "make-run.log"
        without_venv = timed_start(clone, log=log)
        shutil.rmtree(clone / "var")
        with_venv = timed_start(clone, log=log)
        venv = clone / ".venv"
        dev_packages = [name for name in DEV_ONLY_PACKAGES if installed(venv, name)]
        figures = {
            "seconds_without_venv": round(without_venv, 1),
            "seconds_with_venv": round(with_venv, 1),
            "venv_megabytes": folder_megabytes(venv),
            "dev_packages_installed_by_run": dev_packages,
        }
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    write_part("coldstart", figures)
    print("cold start of `make run` in a fresh clone, until GET / answers 200")
    print(f"  without a venv: {figures['seconds_without_venv']} s")
    print(f"  with the venv:  {figures['seconds_with_venv']} s")
    print(f"  venv size: {figures['venv_megabytes']} MB; dev packages installed: {dev_packages}")


if __name__ == "__main__":
    main()

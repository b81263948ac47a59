"""The repository carries its architecture: the docs name files that exist, the README's layout
names every part of the app, and nothing points outside the checkout."""

from __future__ import annotations

import re

from tests.paths import REPO_ROOT

APP = REPO_ROOT / "questionnaires"
ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"
README = REPO_ROOT / "README.md"
FILE_NAME = re.compile(r"`([\w/.-]+\.(?:py|md|json|html|css))`")


def _exists(name: str) -> bool:
    if "/" in name:
        return any((root / name).exists() for root in (REPO_ROOT, APP))
    return any(APP.rglob(name)) or any((REPO_ROOT / "docs").rglob(name))


def test_every_file_the_architecture_names_exists():
    names = set(FILE_NAME.findall(ARCHITECTURE.read_text(encoding="utf-8")))
    assert len(names) > 30
    assert sorted(name for name in names if not _exists(name)) == []


def test_the_readme_layout_names_every_package_and_module_of_the_app():
    text = README.read_text(encoding="utf-8")
    layout = text.split("## Layout", 1)[1].split("```", 2)[1]
    parts = [
        f"{path.name}/" if path.is_dir() else path.name
        for path in APP.iterdir()
        if path.name not in {"__init__.py", "__pycache__"}
    ]
    missing = [part for part in parts if part.rstrip("/") not in layout]
    assert missing == []


def _architecture_layout() -> tuple[list[str], list[str]]:
    """The paths the "Repository layout" block of docs/architecture.md names: at the top of the
    repository (lines starting in the first column) and in the app (lines indented by two
    spaces under ``questionnaires/``). Deeper-indented lines continue the line above."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = text.split("## Repository layout", 1)[1].split("```", 2)[1]
    top, app = [], []
    for line in block.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            top.append(line.split()[0])
        elif line.startswith("  ") and not line.startswith("   "):
            app.append(line.split()[0])
    return top, app


def test_the_architecture_layout_names_every_package_and_module_of_the_app():
    top, app = _architecture_layout()
    assert "questionnaires/" in top
    named = {entry.split("/")[0] for entry in app}
    parts = sorted(
        path.name
        for path in APP.iterdir()
        if path.name not in {"__init__.py", "__pycache__"}
        and (path.is_dir() or path.suffix == ".py")
    )
    assert [part for part in parts if part not in named] == []


def test_every_path_the_architecture_layout_names_exists():
    top, app = _architecture_layout()
    assert len(app) > 20
    missing = [entry for entry in top if not (REPO_ROOT / entry).exists()]
    missing += [f"questionnaires/{entry}" for entry in app if not (APP / entry).exists()]
    assert missing == []
    assert all(entry.endswith("/") == (REPO_ROOT / entry).is_dir() for entry in top)
    assert all(entry.endswith("/") == (APP / entry).is_dir() for entry in app)


def test_nothing_points_at_the_folder_beside_the_checkout():
    outside = ".." + "/" + "shared"  # written so that this file does not match itself
    beside = re.compile(r"(?<![\w-])" + "shared" + "/")
    found = []
    for root in (APP, REPO_ROOT / "tests", REPO_ROOT / "docs"):
        for path in root.rglob("*"):
            if path.suffix not in {".py", ".md", ".html", ".txt", ".toml", ".cfg"}:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if outside in text or beside.search(text):
                found.append(str(path.relative_to(REPO_ROOT)))
    readme = README.read_text(encoding="utf-8")
    if outside in readme or beside.search(readme):
        found.append("README.md")
    assert found == []

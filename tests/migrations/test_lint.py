"""squawk finds nothing in migrations/, every ignore says why, and the files follow conventions."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vedb.settings import REPO_ROOT

MIGRATIONS = REPO_ROOT / "migrations"
APPLY_FILES = sorted(
    p for p in MIGRATIONS.glob("[0-9]*.sql") if not p.name.endswith(".rollback.sql")
)
NAME = re.compile(r"^\d{4}\.[a-z]+(-[a-z]+)+\.sql$")


def squawk_binary() -> str:
    found = shutil.which("squawk", path=str(Path(sys.executable).parent)) or shutil.which("squawk")
    if found is None:
        pytest.fail("squawk is not installed: `pip install -e '.[dev]'` provides it")
    return found


def test_squawk_reports_nothing() -> None:
    files = sorted(str(p) for p in MIGRATIONS.glob("*.sql"))
    result = subprocess.run(
        [squawk_binary(), "--reporter", "gcc", *files],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("path", sorted(MIGRATIONS.glob("*.sql")), ids=lambda p: p.name)
def test_every_squawk_ignore_names_a_rule_and_says_why(path: Path) -> None:
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if "squawk-ignore" not in line:
            continue
        assert re.search(r"squawk-ignore(-file)? [a-z-]+", line), f"{path.name}:{number + 1}"
        nearby = lines[max(0, number - 1) : number + 2]
        assert any(text.startswith("-- Why:") for text in nearby), (
            f"{path.name}:{number + 1}: an ignore needs a '-- Why:' line next to it"
        )


@pytest.mark.parametrize("path", APPLY_FILES, ids=lambda p: p.name)
def test_migration_conventions(path: Path) -> None:
    text = path.read_text()
    assert NAME.match(path.name), "name must be NNNN.verb-object.sql"
    assert path.with_name(path.name.replace(".sql", ".rollback.sql")).exists(), "needs a rollback"
    assert text.startswith("-- ") and not text.startswith("-- depends"), "needs a description"
    assert re.search(r"^-- depends:", text, re.M), "needs a '-- depends:' line"
    concurrent = "CONCURRENTLY" in text.upper()
    non_transactional = re.search(r"^-- transactional: false$", text, re.M) is not None
    assert concurrent == non_transactional, "transactional: false is for CONCURRENTLY, only"
    assert "lock_timeout" in text, "DDL must not queue behind live queries forever"

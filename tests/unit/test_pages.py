"""The pages a person reads (README.md and docs/*.md) hold: every relative link resolves, to a
file and, with #fragment, to a heading in it; each `vedb` command they give exists with the
options they use, each `make` target exists, each `yoyo` command exists, and each `psql -c`
query runs against a migrated database."""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from vedb.settings import REPO_ROOT

# docs/types/node_modules (the TypeScript tools, once `vedb docs` ran) is not ours to read.
PAGES = [
    REPO_ROOT / "README.md",
    *sorted(p for p in (REPO_ROOT / "docs").rglob("*.md") if "node_modules" not in p.parts),
]
BIN = Path(sys.executable).parent


def page_id(page: Path) -> str:
    return str(page.relative_to(REPO_ROOT))


def commands(page: Path) -> list[str]:
    """The lines of its sh blocks (comments cut, `$(...)` unwrapped), and the commands it quotes
    inline with backticks."""
    text = page.read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    lines = [re.sub(r"\s+#\s.*$", "", line) for line in lines if line and not line.startswith("#")]
    lines = [match[1] if (match := re.search(r"\$\(([^)]*)\)", line)) else line for line in lines]
    inline = re.findall(r"`((?:vedb|make) [^`]+)`", text)
    return lines + inline


def all_commands(starts: str) -> list[str]:
    return sorted({c for page in PAGES for c in commands(page) if re.match(starts, c)})


def vedb_words(command: str) -> list[str]:
    """What follows `vedb` (or /opt/vedb/venv/bin/vedb) in a command line."""
    words = shlex.split(command)
    return words[next(i for i, w in enumerate(words) if Path(w).name == "vedb") + 1 :]


def vedb_path(command: str) -> list[str]:
    """`vedb refresh --full` -> ["refresh"]; `vedb query NAME -p x` -> ["query"]."""
    path: list[str] = []
    for word in vedb_words(command):
        if word.startswith("-") or not re.fullmatch(r"[a-z][a-z-]*", word) or len(path) == 2:
            break
        path.append(word)
    return path


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(h) for h in re.findall(r"^#+ (.+)$", page.read_text(), flags=re.M)}


def links(page: Path) -> list[str]:
    """Markdown links that are not URLs or mail addresses (code spans are not links)."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    text = re.sub(r"`[^`]*`", "", text)
    found = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", text)
    return [link for link in found if not re.match(r"[a-z]+:", link)]


def test_the_pages_link_to_each_other_and_have_commands() -> None:
    readme = PAGES[0]
    assert len(readme.read_text().encode()) < 10_000, "the README stays a front door"
    linked = {(readme.parent / link.split("#")[0]).resolve() for link in links(readme)}
    for topic in ("deploy", "operate", "analytics", "performance", "develop"):
        assert (REPO_ROOT / "docs" / f"{topic}.md").resolve() in linked
    assert len(all_commands(r"(\S*/)?vedb ")) >= 20
    assert len(all_commands("psql ")) >= 6


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for link in links(page):
        target, _, fragment = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            broken.append(f"{link}: no {path.relative_to(REPO_ROOT)}")
        elif fragment and (path.is_dir() or fragment not in anchors(path)):
            broken.append(f"{link}: no heading #{fragment}")
    assert broken == []


@pytest.mark.parametrize("command", all_commands(r"(\S*/)?vedb |sudo |.* vedb "))
def test_every_vedb_command_exists(command: str) -> None:
    path = vedb_path(command)
    returncode, stdout, stderr = vedb_help(tuple(path))
    assert returncode == 0, f"{command}: {stderr}"
    own = " ".join(vedb_words(command)).split(" -- ")[0]  # after `--`: locust's own options
    for option in re.findall(r"(--[a-z][a-z-]+)", own):
        assert option in stdout, f"{command}: no {option} in `vedb {' '.join(path)}`"


@functools.cache
def vedb_help(path: tuple[str, ...]) -> tuple[int, str, str]:
    """`vedb PATH --help`, once per command: the pages name some commands many times."""
    result = subprocess.run(
        [str(BIN / "vedb"), *path, "--help"],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def test_every_make_target_exists() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (REPO_ROOT / "Makefile").read_text(), flags=re.M))
    for command in all_commands("make "):
        assert command.split()[1] in targets, command


@pytest.mark.parametrize("command", all_commands("yoyo "))
def test_every_yoyo_command_exists(command: str) -> None:
    words = shlex.split(command)
    result = subprocess.run(
        [str(BIN / "yoyo"), words[1], "--help"],
        cwd=REPO_ROOT,  # yoyo.ini names the database as ${VEDB_DATABASE_URL}
        env={**os.environ, "VEDB_DATABASE_URL": "postgresql://unused/vedb"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"{command}: {result.stderr}"
    for option in (w.split("=")[0] for w in words[2:] if w.startswith("--")):
        assert option in result.stdout, f"{command}: no {option}"


def test_every_psql_query_runs(migrated_db: str) -> None:
    with psycopg.connect(migrated_db, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")  # the deploy does
    env = {**os.environ, "VEDB_DATABASE_URL": migrated_db}
    for command in all_commands("psql "):
        query = shlex.split(command)[-1]
        if "PID" in query:
            continue  # a template: the reader puts a pid in
        result = subprocess.run(
            ["psql", "-X", "-v", "ON_ERROR_STOP=1", migrated_db, "-c", query],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{query}\n{result.stderr}"

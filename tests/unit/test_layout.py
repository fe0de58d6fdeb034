"""The layout's rules: which package may import which, and one place for each shared fact."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from seeds import get_profile
from vedb.access import GROUP_ROLES
from vedb.seed.tables import SEEDED_TABLES, generate
from vedb.settings import REPO_ROOT

PROJECT = ("vedb", "seeds", "tasks", "locustfiles", "group_data", "deploy", "inventory")


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (lazy imports inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def files(folder: str) -> list[Path]:
    return sorted((REPO_ROOT / folder).rglob("*.py"))


def offenders(folder: str, banned: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    def hit(module: str) -> bool:
        inside = any(module == b or module.startswith(b + ".") for b in banned)
        return inside and not any(module == a or module.startswith(a + ".") for a in allowed)

    return [
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for path in files(folder)
        for module in sorted(imports(path))
        if hit(module)
    ]


@pytest.mark.parametrize(
    ("folder", "banned", "allowed"),
    [
        # The factories run without the application: only its vocabulary.
        ("seeds", ("vedb",), ("vedb.domain",)),
        ("vedb/analytics", ("vedb.api",), ()),
        ("vedb/api", ("pyinfra", "tasks", "vedb.provision"), ()),
        # The benchmarks use the app; the app, the deploy and the CLI's core never need them.
        ("vedb/bench", ("vedb.cli", "pyinfra", "tasks", "vedb.provision"), ()),
        # A locust worker on another machine needs locust, not the wheel.
        ("locustfiles", ("vedb", "seeds", "rich", "psycopg", "redis", "fastapi"), ()),
    ],
)
def test_imports_run_one_way(
    folder: str, banned: tuple[str, ...], allowed: tuple[str, ...]
) -> None:
    assert files(folder)
    assert offenders(folder, banned, allowed) == []


def test_only_the_cli_imports_the_benchmarks() -> None:
    """They need the ops extra (numpy, httpx): a host's API must start without it."""
    outside = [
        path
        for path in files("vedb")
        if not path.is_relative_to(REPO_ROOT / "vedb" / "bench")
        and not path.is_relative_to(REPO_ROOT / "vedb" / "cli")
    ]
    found = [
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for path in outside
        for module in sorted(imports(path))
        if module == "vedb.bench" or module.startswith("vedb.bench.")
    ]
    assert outside and found == []


def test_tuning_imports_nothing_of_the_project() -> None:
    project = [m for m in imports(REPO_ROOT / "vedb" / "tuning.py") if m.split(".")[0] in PROJECT]
    assert project == []


def test_the_import_rules_see_a_lazy_import(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from vedb.api import app\n    import pyinfra.api\n")
    assert {"vedb.api", "vedb.api.app", "pyinfra.api"} <= imports(module)


def test_post_apply_creates_exactly_the_group_roles() -> None:
    sql = (REPO_ROOT / "migrations" / "post-apply.sql").read_text()
    created = re.search(r"FOREACH group_role IN ARRAY ARRAY\[([^\]]*)\]", sql)
    assert created is not None
    assert tuple(re.findall(r"'(\w+)'", created.group(1))) == GROUP_ROLES
    # Every role the grants name is one of them.
    granted = set(re.findall(r"\bTO ([\w, ]+?);", sql))
    named = {role.strip() for roles in granted for role in roles.split(",")}
    assert named and named <= set(GROUP_ROLES)


def test_a_seed_fills_exactly_the_seeded_tables_in_load_order() -> None:
    dataset = generate(get_profile("demo"), 7, date(2026, 1, 1))
    assert tuple(dataset.tables) == SEEDED_TABLES


def test_tests_that_start_their_own_servers_skip_without_the_binaries() -> None:
    """A test starting a local server beside the session's stack (itself, or through a
    fixture) carries the skip marker, so it skips instead of failing where they are missing."""
    starters = {
        "start_local_postgres": "needs_local_postgres",
        "start_local_redis": "needs_local_redis",
    }
    missing = []
    for path in sorted((REPO_ROOT / "tests").rglob("test_*.py")):
        functions = [
            node
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        fixture_calls = {
            f.name: ast.unparse(f) for f in functions if not f.name.startswith("test_")
        }
        for test in (f for f in functions if f.name.startswith("test_")):
            reach = ast.unparse(test) + "".join(
                fixture_calls.get(arg.arg, "") for arg in test.args.args
            )
            markers = " ".join(ast.unparse(d) for d in test.decorator_list)
            missing += [
                f"{path.name}::{test.name} needs @{marker}"
                for starter, marker in starters.items()
                if f"{starter}(" in reach and marker not in markers
            ]
    assert missing == []

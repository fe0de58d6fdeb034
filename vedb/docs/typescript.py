"""The platform's TypeScript types, made by the tools it would use: kysely-codegen writes the
Kysely `DB` interface from a scratch database, openapi-typescript the API's types from its
OpenAPI document, and `tsc --noEmit --strict` checks docs/types/check.ts against both.

The tools come from the npm registry through docs/types/package-lock.json (`npm ci`, once per
lockfile), and run on the machine's Node.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vedb.docs.schema import DOMAINS
from vedb.settings import REPO_ROOT

TYPES = REPO_ROOT / "docs" / "types"
DATABASE_TS, API_TS = "types/database.ts", "types/analytics-api.ts"
# Only the app's schemas: not yoyo's bookkeeping tables in public.
INCLUDE = "{" + ",".join(DOMAINS) + "}.*"
STAMP = "node_modules/.vedb-lockfile-sha256"
TOOL_TIMEOUT_S = 300


class TypesError(RuntimeError):
    """A tool is missing or failed; the message says which, and what it printed."""


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    try:
        result = subprocess.run(
            args,
            cwd=cwd,
            env={**os.environ, "NO_COLOR": "1", **(env or {})},
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise TypesError(f"{args[0]} not found: {exc}") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise TypesError(f"{Path(args[0]).name} {' '.join(args[1:3])} failed:\n{output}")
    return result.stdout


def install_tools(say: Callable[[str], None], types_dir: Path = TYPES) -> Path:
    """`npm ci` from the committed lockfile when node_modules is missing or older than it;
    returns node_modules/.bin."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise TypesError(
            "node and npm are needed for docs/types (Debian: apt-get install nodejs npm; "
            "`vedb stack doctor --install` does it as root)"
        )
    lock = hashlib.sha256((types_dir / "package-lock.json").read_bytes()).hexdigest()
    stamp = types_dir / STAMP
    if not stamp.exists() or stamp.read_text() != lock:
        say("installing the TypeScript tools from docs/types/package-lock.json (npm ci) ...")
        npm = ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        _run(npm, types_dir)
        stamp.write_text(lock)
    return types_dir / "node_modules" / ".bin"


def database_types(tools: Path, database_url: str) -> str:
    """kysely-codegen's DB interface of the app's schemas. The URL, password included, goes
    through the environment (DATABASE_URL, the tool's default), never a command line."""
    with tempfile.TemporaryDirectory(prefix="vedb-types-") as scratch:
        out = Path(scratch) / "database.ts"
        args = [str(tools / "kysely-codegen"), "--dialect", "postgres"]
        args += ["--include-pattern", INCLUDE, "--out-file", str(out)]
        _run(args, Path(scratch), {"DATABASE_URL": database_url})
        return out.read_text()


def api_types(tools: Path, openapi: dict[str, Any]) -> str:
    with tempfile.TemporaryDirectory(prefix="vedb-types-") as scratch:
        spec = Path(scratch) / "openapi.json"
        spec.write_text(json.dumps(openapi, indent=1, sort_keys=True))
        out = Path(scratch) / "analytics-api.ts"
        _run([str(tools / "openapi-typescript"), str(spec), "-o", str(out)], Path(scratch))
        return out.read_text()


def type_check(tools: Path, documents: dict[str, str], types_dir: Path = TYPES) -> None:
    """`tsc --noEmit --strict` over check.ts beside the generated types (not the committed
    ones), so a renamed column fails here even before the types are regenerated."""
    with tempfile.TemporaryDirectory(prefix="vedb-tsc-") as scratch:
        root = Path(scratch)
        for name in ("check.ts", "tsconfig.json"):
            shutil.copy(types_dir / name, root / name)
        for relative in (DATABASE_TS, API_TS):
            (root / Path(relative).name).write_text(documents[relative])
        (root / "node_modules").symlink_to(types_dir / "node_modules")
        try:
            _run([str(tools / "tsc"), "--noEmit", "--strict", "-p", "tsconfig.json"], root)
        except TypesError as exc:
            raise TypesError(f"docs/types/check.ts does not type-check: {exc}") from None

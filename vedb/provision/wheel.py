"""Builds the project's wheel on the deploy machine, once per deploy, byte for byte repeatable.

Built from a clean copy of the sources (no stale build/ directory can leak into it) with a fixed
SOURCE_DATE_EPOCH, so an unchanged tree gives the same file and a re-deploy uploads nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from vedb.settings import REPO_ROOT

SOURCES = ("pyproject.toml", "README.md", "vedb", "seeds")
# Zip entries carry this time instead of the files' mtimes (1980-01-01, the zip epoch).
FIXED_EPOCH = "315532800"


class WheelBuildError(RuntimeError):
    pass


@cache
def build_wheel(out_dir: Path = REPO_ROOT / "build" / "deploy") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vedb-wheel-") as scratch:
        src = Path(scratch) / "src"
        src.mkdir()
        for name in SOURCES:
            origin = REPO_ROOT / name
            if origin.is_dir():
                shutil.copytree(
                    origin, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
                )
            else:
                shutil.copy2(origin, src / name)
        built = Path(scratch) / "dist"
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "-w",
                str(built),
                str(src),
            ],
            env={**os.environ, "SOURCE_DATE_EPOCH": FIXED_EPOCH},
            capture_output=True,
            text=True,
            check=False,
        )
        wheels = list(built.glob("vedb-*.whl"))
        if result.returncode != 0 or len(wheels) != 1:
            raise WheelBuildError(f"building the vedb wheel failed:\n{result.stderr[-2000:]}")
        target = out_dir / wheels[0].name
        shutil.copy2(wheels[0], target)
        return target

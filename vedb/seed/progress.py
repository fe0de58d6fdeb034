"""Progress of a seed load: a rich display with rows/s on a terminal, plain lines on a log or
a pipe, or nothing (tests)."""

from __future__ import annotations

import time
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class LoadProgress(Protocol):
    def start_table(self, table: str, rows: int) -> None: ...
    def advance(self, table: str, rows: int) -> None: ...
    def start_indexes(self, steps: int) -> None: ...
    def index_step(self, name: str) -> None: ...


class Silent:
    def start_table(self, table: str, rows: int) -> None:
        pass

    def advance(self, table: str, rows: int) -> None:
        pass

    def start_indexes(self, steps: int) -> None:
        pass

    def index_step(self, name: str) -> None:
        pass


class RowsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        if task.fields.get("steps"):
            return Text("")
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "", style="progress.data.speed")


class RichProgress:
    """Use as a context manager; one bar per table, then one for the index builds."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            RowsPerSecond(),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start_table(self, table: str, rows: int) -> None:
        self.tasks[table] = self.progress.add_task(f"COPY {table}", total=rows)

    def advance(self, table: str, rows: int) -> None:
        self.progress.advance(self.tasks[table], rows)

    def start_indexes(self, steps: int) -> None:
        self.tasks["indexes"] = self.progress.add_task(
            "keys, indexes, foreign keys", total=steps, steps=True
        )

    def index_step(self, name: str) -> None:
        # Called as each build starts: the bar shows builds started, the label the current one.
        self.progress.update(self.tasks["indexes"], description=f"build {name}"[:34], advance=1)


class LineProgress:
    """For a console that is not a terminal (a log, a pipe, CI): a line as each table's COPY
    starts and ends, and as each build starts, so a long load shows where it is. A live bar
    prints nothing there until the load ends."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started: dict[str, float] = {}
        self.total: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.steps = 0
        self.step = 0
        self.step_started = 0.0

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self._step_ended()

    def start_table(self, table: str, rows: int) -> None:
        self.started[table], self.total[table], self.done[table] = time.perf_counter(), rows, 0
        self.console.print(f"COPY {table}: {rows:,} rows", highlight=False)

    def advance(self, table: str, rows: int) -> None:
        self.done[table] += rows
        if self.done[table] >= self.total[table]:
            took = time.perf_counter() - self.started[table]
            rate = f", {self.done[table] / took:,.0f} rows/s" if took > 0 else ""
            self.console.print(f"COPY {table}: done in {took:.1f} s{rate}", highlight=False)

    def start_indexes(self, steps: int) -> None:
        self.steps = steps

    def index_step(self, name: str) -> None:
        self._step_ended()
        self.step += 1
        self.step_started = time.perf_counter()
        self.console.print(f"build {self.step}/{self.steps}: {name}", highlight=False)

    def _step_ended(self) -> None:
        if self.step:
            took = time.perf_counter() - self.step_started
            self.console.print(f"  built in {took:.1f} s", highlight=False)

"""Progress of a seed load: a rich display with rows/s, or nothing (tests, pipes)."""

from __future__ import annotations

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

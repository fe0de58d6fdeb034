"""The load test's pass/fail gate: cache outcomes from X-Cache, and checks against targets.

Pure functions over numbers, so the rules are unit-tested without running locust. It sits
beside the locustfile and needs only the standard library, so a locust worker on another
machine needs locust alone. Latencies come from locust's own stats; the cached leaderboard's
p95 is the exception, because locust rounds times to whole milliseconds and its target is 5 ms.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

STATUSES = ("HIT", "MISS", "BYPASS")


@dataclass
class CacheCounter:
    """X-Cache values seen, overall and for each endpoint."""

    total: Counter[str] = field(default_factory=Counter)
    by_name: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, name: str, header: str | None, count: int = 1) -> None:
        status = (header or "").upper()
        if status not in STATUSES:
            return  # health, ingest: not cacheable
        self.total[status] += count
        self.by_name.setdefault(name, Counter())[status] += count

    def merge(self, data: Mapping[str, Mapping[str, int]]) -> None:
        for name, counts in data.items():
            for status, count in counts.items():
                self.add(name, status, count)

    def export(self) -> dict[str, dict[str, int]]:
        return {name: dict(counts) for name, counts in self.by_name.items()}

    @property
    def hit_rate(self) -> float:
        looked_up = sum(self.total.values())
        return self.total["HIT"] / looked_up if looked_up else 0.0


def percentile(samples: Iterable[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of the samples; 0 when there are none."""
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    rank = max(1, -(-int(share * 1000) * len(ordered) // 1000))  # ceil without floats drifting
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Targets:
    p95_ms: float = 500.0  # every analytics endpoint, and all requests together
    cached_p95_ms: float = 10.0  # the leaderboard when served from the cache
    min_hit_rate: float = 0.5
    max_failures: int = 0


@dataclass(frozen=True)
class Check:
    name: str
    value: str
    target: str
    passed: bool


def evaluate(
    targets: Targets,
    p95_by_endpoint: Mapping[str, float],
    total_p95_ms: float,
    cached_leaderboard_p95_ms: float | None,
    hit_rate: float,
    failures: int,
) -> list[Check]:
    checks = [
        Check(
            "p95, all requests",
            f"{total_p95_ms:.0f} ms",
            f"< {targets.p95_ms:.0f} ms",
            total_p95_ms < targets.p95_ms,
        )
    ]
    for name, p95 in sorted(p95_by_endpoint.items()):
        checks.append(
            Check(
                f"p95 {name}", f"{p95:.0f} ms", f"< {targets.p95_ms:.0f} ms", p95 < targets.p95_ms
            )
        )
    if cached_leaderboard_p95_ms is None:
        checks.append(
            Check(
                "leaderboard cached p95",
                "no cached call",
                f"< {targets.cached_p95_ms:.0f} ms",
                False,
            )
        )
    else:
        checks.append(
            Check(
                "leaderboard cached p95",
                f"{cached_leaderboard_p95_ms:.1f} ms",
                f"< {targets.cached_p95_ms:.0f} ms",
                cached_leaderboard_p95_ms < targets.cached_p95_ms,
            )
        )
    checks.append(
        Check(
            "cache hit rate",
            f"{hit_rate:.1%}",
            f"> {targets.min_hit_rate:.0%}",
            hit_rate > targets.min_hit_rate,
        )
    )
    checks.append(
        Check(
            "failed requests",
            str(failures),
            f"<= {targets.max_failures}",
            failures <= targets.max_failures,
        )
    )
    return checks


def text_table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A plain aligned table (first column left, the others right) for the gate's report."""
    lines = [list(header), *(list(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        cells = [
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(fmt(lines[0]))
    return "\n".join([title, rule, fmt(lines[0]), rule, *(fmt(line) for line in lines[1:]), rule])

"""The load gate's arithmetic: hit rates from X-Cache, percentiles, and pass/fail per target."""

from __future__ import annotations

from locustfiles.gate import CacheCounter, Targets, evaluate, percentile, text_table


def test_a_miss_then_a_hit_on_one_url_is_a_half_hit_rate() -> None:
    counter = CacheCounter()
    counter.add("/api/analytics/leaderboard", "MISS")
    counter.add("/api/analytics/leaderboard", "HIT")
    assert counter.hit_rate == 0.5
    assert counter.export() == {"/api/analytics/leaderboard": {"MISS": 1, "HIT": 1}}


def test_uncached_responses_do_not_count_and_bypasses_do() -> None:
    counter = CacheCounter()
    counter.add("/api/events", None)
    counter.add("/api/analytics/top_courses", "HIT")
    counter.add("/api/analytics/top_courses", "BYPASS")
    assert counter.hit_rate == 0.5
    assert CacheCounter().hit_rate == 0.0


def test_worker_reports_merge() -> None:
    master = CacheCounter()
    master.merge({"/a": {"HIT": 3, "MISS": 1}})
    master.merge({"/a": {"HIT": 1}, "/b": {"BYPASS": 4}})
    assert master.total == {"HIT": 4, "MISS": 1, "BYPASS": 4}
    assert master.by_name["/a"] == {"HIT": 4, "MISS": 1}


def test_percentile_is_nearest_rank() -> None:
    samples = list(range(1, 101))  # 1..100
    assert percentile(samples, 0.95) == 95
    assert percentile(samples, 0.5) == 50
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.95) == 0.0


def test_every_target_is_checked() -> None:
    targets = Targets(p95_ms=500, cached_p95_ms=10, min_hit_rate=0.5, max_failures=0)
    good = evaluate(targets, {"/api/analytics/dau": 120.0}, 130.0, 4.0, 0.8, 0)
    assert all(c.passed for c in good) and len(good) == 5
    bad = evaluate(targets, {"/api/analytics/dau": 620.0}, 130.0, 12.0, 0.4, 2)
    assert [c.name for c in bad if not c.passed] == [
        "p95 /api/analytics/dau",
        "leaderboard cached p95",
        "cache hit rate",
        "failed requests",
    ]
    no_hits = evaluate(targets, {}, 1.0, None, 0.9, 0)
    assert [c.name for c in no_hits if not c.passed] == ["leaderboard cached p95"]


def test_the_report_table_aligns_columns() -> None:
    table = text_table("T", ("check", "ms"), [("p95 a", "7"), ("p95 longer", "120")])
    assert table.splitlines() == [
        "T",
        "---------------",
        "check        ms",
        "---------------",
        "p95 a         7",
        "p95 longer  120",
        "---------------",
    ]

"""The API's pools try to reconnect once a second through an outage, never with growing waits
(after a 20 s failover psycopg_pool's doubling would wait up to 15 s more)."""

import psycopg_pool.pool_async

from vedb.api import app


def test_the_pools_reconnect_every_second() -> None:
    assert psycopg_pool.pool_async.AttemptWithBackoff is app._SteadyReconnect
    attempt = psycopg_pool.pool_async.AttemptWithBackoff(timeout=300)
    delays = []
    for _ in range(8):
        attempt.update_delay(0.0)
        delays.append(attempt.delay)
    assert max(delays) <= app.RECONNECT_EVERY_S
    assert min(delays) >= 0.9  # jitter around the first delay (1 s), not a busy loop

"""Analytics API hosts: uvicorn under systemd, as the unprivileged service user."""

api_bind = "0.0.0.0"  # noqa: S104 -- the API is the public face; the firewall narrows it
api_port = 8000
api_workers = 2
api_pool_max_size = 10  # per pool, per worker: 2 pools x workers x this <= max_connections
# How long the deploy waits for /api/health to answer 200 after a (re)start.
api_health_timeout_s = 60
# How often `vedb refresh` catches the rollups up on what their triggers queued (deleted
# events, changed roles); a systemd timer interval. Inserts never wait for it.
rollup_refresh_interval = "5min"

"""Analytics API hosts: uvicorn under systemd, as the unprivileged service user."""

# The API listens on loopback only: the TLS proxy (nginx, on 443; 80 redirects) is its face.
api_bind = "127.0.0.1"
api_port = 8000
api_workers = 2
api_pool_max_size = 10  # per pool, per worker: 2 pools x workers x this <= max_connections
# How long the deploy waits for /api/health to answer 200 after a (re)start: a bound, not a
# pause (it goes on at the first 200, about 2 s on an idle host), with room for a busy one.
api_health_timeout_s = 120
# How often `vedb refresh` catches the rollups up on what their triggers queued (deleted
# events, changed roles); a systemd timer interval. Inserts never wait for it.
rollup_refresh_interval = "5min"

# The TLS proxy. Its certificate: tls_certificate / tls_private_key (PEM) in the secrets, or
# else a self-signed one made once on the host for tls_server_name (default: the host's name
# in the inventory), valid this many days.
tls_server_name: str | None = None
tls_self_signed_days = 825
# ACME instead: with tls_domain (a DNS name that points at this host) and tls_acme_email set,
# certbot (Debian's) obtains the certificate over HTTP-01 on port 80 and its timer renews it
# twice a day when due; a hook copies each new pair into place and reloads nginx. Until the
# first issuance nginx serves the self-signed pair. The secrets' pair is then not used.
tls_domain: str | None = None
tls_acme_email: str | None = None
tls_acme_server = "https://acme-v02.api.letsencrypt.org/directory"
# A private ACME server's CA (a PEM file on the deploying machine), for certbot to trust its
# HTTPS; None trusts the host's usual CAs (Let's Encrypt needs nothing).
tls_acme_ca_file: str | None = None
# Per client address on /api/: requests a second, and the burst above it (then 429).
proxy_rate_per_second = 20
proxy_rate_burst = 40
proxy_max_body = "1m"  # nginx size: an ingest batch of 500 events is about 150 kB

# NocoDB, the admins' UI (tasks/nocodb.py), served by the proxy under /dashboard and
# /api/vN/. Node and npm come from the npm registry, pinned by version and sha256; NocoDB
# itself from the lockfile in nocodb/. The super admin signs in with nocodb_admin_email and
# the secret nocodb_admin_password; sign-up is invite only.
# (nocodb, the switch, and its database are in all.py: the db host makes the database.)
nocodb_port = 8080
nocodb_admin_email = "admin@example.com"
nocodb_health_timeout_s = 300  # its first start migrates its metadata: 5-60 s, busy or not
npm_registry = "https://registry.npmjs.org"
nocodb_node_version = "22.23.3"
# pragma: allowlist nextline secret (a checksum, not a secret)
nocodb_node_sha256 = "00b5c43d88958dbbf45339c4d5e9a76289c7e25876fd08270b379e485e151fc5"
nocodb_npm_version = "10.9.9"
# pragma: allowlist nextline secret (a checksum, not a secret)
nocodb_npm_sha256 = "c80bd097147cce32e31010b791bab8c71a26a5e10668210ec9d2e7f4c7cea2a1"

# A cluster: HAProxy on each api host routes the API's pools by Patroni's own health checks,
# so a failover needs no redeploy and no API restart. Writes (ingest, the rollup folder, the
# migrations' checks) go to cluster_write_port, the leader; the analytics reads go to
# cluster_read_port, a replica whose replay is within replica_max_lag_bytes of the leader,
# or else the leader itself.
cluster_write_port = 5000
cluster_read_port = 5001
replica_max_lag_bytes = 16 * 1024 * 1024

"""PostgreSQL hosts: the inputs of vedb/tuning.py (PGTune's formulas) and the access rules."""

# None: the distribution's server (15 on Debian 12, 16 on Ubuntu 24.04). A number with
# postgres_pgdg = True installs that major from apt.postgresql.org instead.
postgres_major = None
postgres_pgdg = False
postgres_cluster = "main"

# Tuning: web, oltp, dw, mixed or desktop; hdd, ssd or nvme. Memory and CPUs come from the
# host's facts; postgres_memory_mb sizes for less than the whole RAM (a shared host).
postgres_profile = "web"
postgres_disk = "ssd"
postgres_memory_mb = None
postgres_max_connections = None  # None: the profile's (web 200)

# Addresses PostgreSQL listens on, and the networks (CIDR) allowed in with a password.
postgres_listen_addresses = "localhost"
postgres_allowed_networks: list[str] = []

# Logging: statements slower than this, and auto_explain's plans for slower still.
postgres_log_min_duration_ms = 500
postgres_auto_explain_ms = 1000


# A cluster: 2+ db hosts become one Patroni cluster (tasks/patroni.py); one db host stays the
# plain server above. The timing, in seconds, follows Patroni's rule loop_wait + 2 x
# retry_timeout <= ttl (4 + 2 x 8 = 20):
# - patroni_ttl: the leader's lease. A dead leader is replaced about ttl after its last
#   renewal, so it bounds the write gap of a failover (ttl + promotion + HAProxy's checks).
#   30 (the default) would put the worst case over 30 s; under 20 a busy etcd risks demoting
#   a healthy leader.
# - patroni_loop_wait: how often each member acts; the leader renews its lease this often.
# - patroni_retry_timeout: how long etcd or PostgreSQL may stall before the leader demotes
#   itself (it cannot prove it still holds the lease): 8 s rides out a busy machine.
# - patroni_primary_start_timeout: a crashed primary's PostgreSQL gets this long to come back
#   before a replica takes over (the default, 300, would be a five-minute outage).
# - patroni_maximum_lag_on_failover: a replica further behind (bytes) is never promoted.
patroni_scope = "vedb"
patroni_ttl = 20
patroni_loop_wait = 4
patroni_retry_timeout = 8
patroni_primary_start_timeout = 15
patroni_maximum_lag_on_failover = 1024 * 1024
# Synchronous mode: a commit is acknowledged once one replica has it, so no acknowledged
# write is lost in a failover (Patroni only promotes the synchronous replica). Not strict:
# with no replica left the primary goes on alone (writes stay available, unprotected),
# and takes a new synchronous replica as soon as one streams again.
patroni_synchronous_mode = True
patroni_rest_port = 8008
# The logins Patroni makes (their passwords are cluster secrets).
postgres_replication_login = "replicator"
postgres_rewind_login = "rewinder"
# How long the deploy waits for the cluster to have a leader and this member to be streaming
# (a bound, not a pause: a first bootstrap takes 10-30 s, a replica's base backup longer).
patroni_ready_timeout_s = 600

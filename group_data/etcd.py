"""etcd hosts: the cluster's DCS, where Patroni keeps the leader's lease (tasks/etcd.py).

Run 3 or 5 members, never an even count: a majority must survive for the cluster to elect
a leader. They may be the db hosts themselves."""

etcd_client_port = 2379
etcd_peer_port = 2380
# etcd keeps every revision until compacted, and refuses writes once its database reaches
# the quota ("mvcc: database space exceeded"): compact hourly, and allow 2 GiB.
etcd_auto_compaction_retention = "1h"
etcd_quota_backend_bytes = 2 * 1024**3
# Raft timing (ms). etcd's defaults (100 / 1000) suit a LAN of idle machines; on VPSes with
# noisy neighbours a missed heartbeat would start needless elections.
etcd_heartbeat_interval_ms = 250
etcd_election_timeout_ms = 2500

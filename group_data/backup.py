"""The backup host of a cluster: the pgBackRest repository, off the database hosts.

pgBackRest's TLS server runs on it and on each db host (mutual TLS with the cluster's
certificates, vedb/provision/cluster_tls.py): no SSH keys between hosts."""

# backup_repo_path, the retention and the schedules are in all.py.
pgbackrest_tls_port = 8432
# Backups copy the data files from a replica (backup-standby), sparing the primary's disk.
backup_from_standby = True

"""Defaults for every host. Group files (staging.py, db.py, ...) and the inventory's host data
override them; the secrets themselves never live here (see secrets_file)."""

# Where the release lives on a host: the venv, the wheel, queries/ and migrations/.
vedb_root = "/opt/vedb"
# Root-only (0700) directory of the 0600 env files that carry the secrets.
vedb_etc = "/etc/vedb"
# The unprivileged account the API runs as.
service_user = "vedb"

database_name = "vedb"
postgres_port = 5432
# Login roles, each a member of the group roles that migrations/post-apply.sql grants to.
postgres_owner_login = "vedb_migrator"  # owns the database and schema, runs `yoyo apply`
postgres_app_login = "vedb_api"  # the API: reads as vedb_readonly, ingests as vedb_app
postgres_readonly_login = "vedb_reader"  # NocoDB and analysts: SELECT only
# Where the API and the migrations reach PostgreSQL and Redis. Split hosts: set the db and
# cache hosts' private addresses here (and postgres_allowed_networks / redis_bind on them).
database_host = "127.0.0.1"
redis_host = "127.0.0.1"
redis_port = 6379

# apt's package lists count as fresh for this long: a re-run within it changes nothing.
apt_cache_seconds = 3600

# The firewall (nftables, every host): SSH on this port, new connections per source address
# limited to this many a minute; 80/443 on api hosts; PostgreSQL from postgres_allowed_networks
# on db hosts. Nothing else is reachable from outside.
ssh_port = 22
# Only members of these groups may log in over SSH (the deploy logs in as root; admins who log
# in as themselves and sudo are in sudo).
ssh_allow_groups = ["root", "sudo"]
firewall_ssh_new_per_minute = 20
# Hardening (tasks/hardening.py, every host). The first deploy applies the pending security
# upgrades at once (the daily unattended-upgrades timer applies later ones; False leaves the
# first ones to it too, within a day), and ends by recording AIDE's database of the system's
# files, checked daily (False: no AIDE at all, for a host another file-integrity tool covers).
security_upgrades_at_deploy = True
file_integrity = True
# fail2ban (every host): an address with this many failed SSH logins within 10 minutes is
# banned for fail2ban_bantime. Never ban these networks (your office, a bastion), as CIDRs.
fail2ban_maxretry = 5
fail2ban_bantime = "1h"
fail2ban_ignore_networks: list[str] = []

# NocoDB, the admins' UI, on api hosts (group_data/api.py has its settings); the db host makes
# its metadata database and login. False leaves it out.
nocodb = True
nocodb_db_login = "nocodb"
nocodb_database = "nocodb"  # NocoDB's own metadata, apart from the app's database

# A cluster (2+ db hosts): the address the other hosts reach this one at, on the private
# network the cluster's traffic stays on. None: the host's name in the inventory.
private_address: str | None = None

# Backups (pgBackRest, tasks/backup.py), db and backup hosts: WAL archived continuously, so a
# restore can stop at any moment since the oldest full backup kept. One db host keeps the
# repository on its own disk: copy it off the host too (or point repo1 at object storage), or
# a lost disk takes the backups along. A cluster keeps it on its backup host.
backup_repo_path = "/var/lib/pgbackrest"
backup_retention_full = 2  # full backups kept, with the differentials and WAL they need
backup_retention_diff = 6
# systemd calendar expressions (`systemd-analyze calendar` checks one).
backup_full_schedule = "Sun *-*-* 02:30:00"
backup_diff_schedule = "Mon..Sat *-*-* 02:30:00"

# Events (analytics.behavior_log, partitioned by UTC month): the refresh timer drops whole
# months older than the current one and this many before it. The rollups keep what those months
# counted, so every answer stays; only a full rebuild would lose them (docs/analytics.md).
# None keeps every event.
events_retention_months: int | None = None

# Monitoring (tasks/monitor.py): node-exporter on every host, the postgres and redis exporters
# on db and cache hosts, and Prometheus with Alertmanager on the monitor host (the first api
# host unless the inventory gives a host the "monitor" role; group_data/monitor.py has its
# settings). Exporters listen on loopback when the monitor is the same host, else on the
# host's private_address, open to the monitor only. False leaves all of it out.
monitoring = True
node_exporter_port = 9100
postgres_exporter_port = 9187
redis_exporter_port = 9121
# Where node-exporter reads textfile metrics (the backups' age, vedb.backup.metrics).
metrics_textfile_dir = "/var/lib/vedb-metrics"
# The newest backup may be this old before BackupTooOld fires: the longest gap between two
# runs of backup_full_schedule and backup_diff_schedule (daily), plus the time one takes.
backup_max_age_hours = 26

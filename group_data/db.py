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

# Backups (pgBackRest, tasks/backup.py): WAL archived continuously, so a restore can stop at
# any moment since the oldest full backup kept. The repository is on the host itself: copy it
# off the host too (or point repo1 at object storage), or a lost disk takes the backups along.
backup_repo_path = "/var/lib/pgbackrest"
backup_retention_full = 2  # full backups kept, with the differentials and WAL they need
backup_retention_diff = 6
# systemd calendar expressions (`systemd-analyze calendar` checks one).
backup_full_schedule = "Sun *-*-* 02:30:00"
backup_diff_schedule = "Mon..Sat *-*-* 02:30:00"

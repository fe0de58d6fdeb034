"""Who may do what: the API's token scopes and PostgreSQL's group roles, in one place.

`migrations/post-apply.sql` creates and grants the group roles in SQL; a test checks that it
names exactly these.
"""

from __future__ import annotations

# Token scopes. "read": aggregate analytics; "analytics": also student-level answers;
# "ingest": POST /api/events; "admin": the database's health (/api/admin/db-health).
READ, ANALYTICS, INGEST, ADMIN = "read", "analytics", "ingest", "admin"
SCOPES = (READ, ANALYTICS, INGEST, ADMIN)
# Scopes that also grant another: analytics (student-level) includes the aggregate reads.
IMPLIES = {ANALYTICS: {READ}}

# Group roles. Login roles are granted one or more of these, never privileges of their own.
OWNER_ROLE = "vedb_owner"  # owns the schema objects: DDL and everything else
APP_ROLE = "vedb_app"  # the API's writes (ingest): read and write data, no DDL
READONLY_ROLE = "vedb_readonly"  # analytics reads and NocoDB: SELECT only
# The health checks: pg_monitor's statistics (granted by a superuser: the deploy), and the
# sequences' positions; no table data.
MONITOR_ROLE = "vedb_monitor"
GROUP_ROLES = (OWNER_ROLE, APP_ROLE, READONLY_ROLE, MONITOR_ROLE)
# The postgres exporter's login, in MONITOR_ROLE: named as its OS account, which reaches the
# local socket by peer (no password exists).
EXPORTER_LOGIN = "prometheus"

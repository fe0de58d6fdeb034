"""Who may do what: the API's token scopes and PostgreSQL's group roles, in one place.

`migrations/post-apply.sql` creates and grants the group roles in SQL; a test checks that it
names exactly these.
"""

from __future__ import annotations

# Token scopes. "read": aggregate analytics; "analytics": also student-level answers;
# "ingest": POST /api/events.
READ, ANALYTICS, INGEST = "read", "analytics", "ingest"
SCOPES = (READ, ANALYTICS, INGEST)
# Scopes that also grant another: analytics (student-level) includes the aggregate reads.
IMPLIES = {ANALYTICS: {READ}}

# Group roles. Login roles are granted one or more of these, never privileges of their own.
OWNER_ROLE = "vedb_owner"  # owns the schema objects: DDL and everything else
APP_ROLE = "vedb_app"  # the API's writes (ingest): read and write data, no DDL
READONLY_ROLE = "vedb_readonly"  # analytics reads and NocoDB: SELECT only
GROUP_ROLES = (OWNER_ROLE, APP_ROLE, READONLY_ROLE)

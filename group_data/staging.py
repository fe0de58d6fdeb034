"""Staging: a 0600 TOML file of secrets, outside git (`vedb secrets new secrets/staging.toml`).
VEDB_SECRETS_FILE overrides the path; VEDB_SECRET_* variables override single values."""

secrets_file = "secrets/staging.toml"  # pragma: allowlist secret -- a path
# Read by `vedb seed`, which refuses a production database without --force.
database_environment = "staging"

"""Production: secrets in a 0600 TOML file outside git, made by
`vedb secrets new secrets/production.toml`. VEDB_SECRETS_FILE overrides the path;
VEDB_SECRET_* variables override single values."""

secrets_file = "secrets/production.toml"  # pragma: allowlist secret -- a path
# Read by `vedb seed`, which refuses a production database without --force.
database_environment = "production"

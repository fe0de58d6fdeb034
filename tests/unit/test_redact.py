"""Error messages name the database without its password, in either form libpq accepts."""

from vedb.databases import redact


def test_a_url_and_a_conninfo_lose_their_password() -> None:
    assert (
        redact("postgresql://u:s3cret@h:5432/db") == "postgresql://u:***@h:5432/db"
    )  # pragma: allowlist secret
    masked = redact("host=10.0.0.1 dbname=vedb user=u password=s3cret sslmode=require")
    assert "s3cret" not in masked and "password=***" in masked and "host=10.0.0.1" in masked
    assert redact("host=h dbname=db") == "host=h dbname=db"

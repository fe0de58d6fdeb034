"""Error messages name the database without its password, in either form libpq accepts."""

from vedb.databases import redact

# pragma: allowlist nextline secret
URL = "postgresql://u:s3cret@h:5432/db"
# pragma: allowlist nextline secret
CONNINFO = "host=10.0.0.1 dbname=vedb user=u password=s3cret sslmode=require"


def test_a_url_and_a_conninfo_lose_their_password() -> None:
    assert redact(URL) == "postgresql://u:***@h:5432/db"
    masked = redact(CONNINFO)
    assert "s3cret" not in masked and "password=***" in masked and "host=10.0.0.1" in masked
    assert redact("host=h dbname=db") == "host=h dbname=db"

"""SCRAM-SHA-256 verifiers as PostgreSQL stores them in pg_authid.rolpassword.

The deploy sends a verifier, never the password, and compares the stored one against the
password from secrets: a second deploy changes nothing, a rotated password is applied.
"""

from __future__ import annotations

import base64
import hmac

from scramp import ScramMechanism

MECHANISM = "SCRAM-SHA-256"
ITERATIONS = 4096  # PostgreSQL's scram_iterations default


def _verifier(password: str, salt: bytes | None, iterations: int) -> str:
    salt, stored, server, iterations = ScramMechanism(MECHANISM).make_auth_info(
        password, iteration_count=iterations, salt=salt
    )

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"{MECHANISM}${iterations}:{b64(salt)}${b64(stored)}:{b64(server)}"


def scram_verifier(password: str) -> str:
    """A fresh verifier with a random salt, for CREATE/ALTER ROLE ... PASSWORD."""
    return _verifier(password, None, ITERATIONS)


def verifies(stored: str | None, password: str) -> bool:
    """Whether ``stored`` (rolpassword) accepts ``password``; False for md5 or no password."""
    try:
        mechanism, rest = (stored or "").split("$", 1)
        params, _keys = rest.split("$", 1)
        iterations, salt = params.split(":", 1)
        expected = _verifier(password, base64.b64decode(salt), int(iterations))
    except ValueError:
        return False
    return mechanism == MECHANISM and hmac.compare_digest(expected, stored or "")

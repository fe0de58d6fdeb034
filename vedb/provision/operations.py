"""pyinfra facts and operations that pyinfra itself lacks, each idempotent.

pyinfra's `postgres.role` re-sets a password on every run, because it cannot compare one;
`login_role` compares the stored SCRAM verifier instead. `sql_unless` runs a statement only
while a check query says it is needed, and `yoyo_apply` runs only while migrations are pending.
Run the psql ones as the postgres OS user: `_sudo=True, _sudo_user="postgres"`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Generator, Iterable
from io import StringIO

from pyinfra.api.command import FileUploadCommand, QuoteString, StringCommand
from pyinfra.api.facts import FactBase
from pyinfra.api.operation import operation
from pyinfra.context import host

from vedb.provision.scram import scram_verifier, verifies

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
PSQL = "psql -X -q -v ON_ERROR_STOP=1"


def identifier(name: str) -> str:
    """A quoted SQL identifier; only plain lowercase names, so group data cannot inject SQL."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain lowercase SQL identifier")
    return f'"{name}"'


class PsqlRows(FactBase[list[list[str]]]):
    """The rows of one query, tab-separated; none while PostgreSQL or the database is absent."""

    def command(self, database: str, query: str) -> str:
        return (
            f"{PSQL} -At -F '\t' -d {shlex.quote(database)} -c {shlex.quote(query)} "
            "2>/dev/null || true"
        )

    def process(self, output: Iterable[str]) -> list[list[str]]:
        return [line.split("\t") for line in output if line]

    @staticmethod
    def default() -> list[list[str]]:
        return []


def _psql(database: str, statement: str | StringCommand) -> StringCommand:
    return StringCommand(PSQL, "-d", shlex.quote(database), "-c", QuoteString(statement))


def _role_state(role: str) -> tuple[bool, str, bool, set[str]]:
    rows = host.get_fact(
        PsqlRows,
        database="postgres",
        query=(  # role has passed identifier(): no quote can reach the SQL
            "SELECT coalesce(r.rolpassword, ''), r.rolcanlogin, array_to_string(ARRAY("  # noqa: S608
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            f"WHERE m.member = r.oid), ',') FROM pg_authid r WHERE r.rolname = '{role}'"
        ),
        _sudo=True,
        _sudo_user="postgres",
    )
    if not rows:
        return False, "", False, set()
    stored, can_login, groups = (rows[0] + ["", "", ""])[:3]
    return True, stored, can_login == "t", set(filter(None, groups.split(",")))


@operation()
def login_role(
    role: str, password: str, member_of: list[str], script_dir: str
) -> Generator[StringCommand | FileUploadCommand]:
    """A LOGIN role whose password verifies against ``password`` and that is in ``member_of``.

    The SCRAM verifier never reaches a command line (where sudo would log it to the journal and
    /proc/*/cmdline would show it): it goes up as a file in ``script_dir``, a root-only
    directory, and psql, run by root as postgres, reads it from stdin; the file is removed
    however psql ends. Run this operation as root, not with _sudo_user."""
    name = identifier(role)
    exists, stored, can_login, groups = _role_state(role)
    verb = "CREATE" if not exists else "ALTER"
    if not exists or not can_login or not verifies(stored, password):
        script = f"{script_dir}/role-{role}.sql"
        statement = f"{verb} ROLE {name} LOGIN PASSWORD '{scram_verifier(password)}';\n"
        yield FileUploadCommand(StringIO(statement), script)
        yield StringCommand(
            f"trap 'rm -f {script}' EXIT; chmod 600 {script} &&",
            f"runuser -u postgres -- {PSQL} -d postgres < {script}",
        )
    for group in sorted(set(member_of) - groups):
        yield StringCommand(
            "runuser -u postgres --", _psql("postgres", f"GRANT {identifier(group)} TO {name}")
        )


@operation()
def sql_unless(database: str, satisfied: str, statement: str) -> Generator[StringCommand]:
    """Runs ``statement`` unless the query ``satisfied`` returns true ('t')."""
    rows = host.get_fact(
        PsqlRows, database=database, query=satisfied, _sudo=True, _sudo_user="postgres"
    )
    if rows != [["t"]]:
        yield _psql(database, statement)


@operation()
def yoyo_apply(
    migration_ids: list[str], database: str, command: str, env_file: str, env_text: str
) -> Generator[str | StringCommand | FileUploadCommand]:
    """Runs ``command`` (a `yoyo apply`) while any of ``migration_ids`` is not applied. The
    schema owner's password reaches the host only for that run: ``env_text`` is written to
    ``env_file`` (in a root-only directory) and removed when the command ends, however it
    ends."""
    rows = host.get_fact(
        PsqlRows,
        database=database,
        query="SELECT migration_id FROM _yoyo_migration",
        _sudo=True,
        _sudo_user="postgres",
    )
    if set(migration_ids) - {row[0] for row in rows}:
        yield FileUploadCommand(StringIO(env_text), env_file)
        yield StringCommand(
            f"trap 'rm -f {shlex.quote(env_file)}' EXIT; chmod 600 {shlex.quote(env_file)} &&",
            command,
        )

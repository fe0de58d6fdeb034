"""NocoDB's settings that only its API can change, run on the host by the deploy:

    python -m vedb.provision.nocodb status|configure ENV_FILE

`status` prints what is in place as JSON (sign-up closed? the schemas the base reads);
`configure` closes sign-up (it is open by default and no variable closes it) and adds the base
"vedb": one source per schema, through a connection as the read-only login, so nothing NocoDB
does can change the app's data. It completes a half-made base, and gives the connection the
current password after a rotation. Both sign in as the
super admin from ENV_FILE (the service's own root-only env file); they never print a secret.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

BASE = "vedb"
SCHEMAS = ("learning", "gamification", "social", "analytics")
SYNC_TIMEOUT_S = 300  # per source: a bound for a busy host, not a pause (a few seconds idle)
# NocoDB runs one source creation per base at a time, and its job outlives the moment the
# source lists its tables; the next POST is then refused with this message (seen on a busy
# first deploy). Only this refusal is retried, with a backoff bounded by SYNC_TIMEOUT_S.
BUSY = "Another source creation is in progress"
BACKOFF_S = (1.0, 2.0, 4.0, 8.0)
# S310 below: the URL is always http://127.0.0.1 (the service on this host), never user input.


class NocoDBError(RuntimeError):
    """NocoDB answered with an error; the message has the status and the start of the body."""

    def __init__(self, message: str, status: int = 0, body: str = "") -> None:
        super().__init__(message)
        self.status, self.body = status, body


class NocoDB:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.url = f"http://127.0.0.1:{env['PORT']}"
        signed_in = self.call(
            "POST",
            "/api/v1/auth/user/signin",
            {"email": env["NC_ADMIN_EMAIL"], "password": env["NC_ADMIN_PASSWORD"]},
            auth=False,
        )
        self.token = str(signed_in["token"])

    def call(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["xc-auth"] = self.token
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            body = exc.read()[:300]
            message = f"NocoDB {method} {path}: {exc.code} {body!r}"
            raise NocoDBError(message, exc.code, body.decode(errors="replace")) from None

    def invite_only(self) -> bool:
        return bool(self.call("GET", "/api/v1/app-settings").get("invite_only_signup"))

    def base(self) -> dict[str, Any] | None:
        bases = self.call("GET", "/api/v2/meta/bases")["list"]
        return next((b for b in bases if b["title"] == BASE), None)

    def sources(self, base_id: str) -> dict[str, str]:
        """The base's sources that list tables: alias (a schema name) -> its first table's id."""
        found = {}
        for source in self.call("GET", f"/api/v2/meta/bases/{base_id}")["sources"]:
            if source.get("alias") in SCHEMAS:
                path = f"/api/v2/meta/bases/{base_id}/{source['id']}/tables"
                if tables := self.call("GET", path)["list"]:
                    found[source["alias"]] = str(tables[0]["id"])
        return found

    def reads(self, sources: dict[str, str]) -> bool:
        """One row through the base's connection: False once its stored password is stale
        (NocoDB keeps it in its metadata; a restart after a rotation makes it fail)."""
        if not sources:
            return False
        try:
            self.call("GET", f"/api/v2/tables/{next(iter(sources.values()))}/records?limit=1")
        except NocoDBError:
            return False
        return True

    def status(self) -> dict[str, Any]:
        base = self.base()
        sources = self.sources(base["id"]) if base else {}
        return {
            "invite_only": self.invite_only(),
            "schemas": sorted(sources),
            "reads": self.reads(sources),
        }

    def _integration(self) -> str:
        """The connection as the read-only login, made once; the sources share it."""
        env = self.env
        title = f"{BASE} as {env['VEDB_SOURCE_LOGIN']} (read-only)"
        connection = {
            "host": "127.0.0.1",
            "port": int(env["VEDB_SOURCE_PORT"]),
            "user": env["VEDB_SOURCE_LOGIN"],
            "password": env["VEDB_SOURCE_PASSWORD"],
            "database": env["VEDB_SOURCE_DATABASE"],
        }
        body = {
            "title": title,
            "type": "database",
            "sub_type": "pg",
            "config": {"client": "pg", "connection": connection},
        }
        listed = self.call("GET", "/api/v2/meta/integrations")["list"]
        if found := next((i for i in listed if i["title"] == title), None):
            # The password may have been rotated since: NocoDB gets the current one.
            self.call("PATCH", f"/api/v2/meta/integrations/{found['id']}", body)
            return str(found["id"])
        return str(self.call("POST", "/api/v2/meta/integrations", body)["id"])

    def configure(self) -> None:
        if not self.invite_only():
            self.call("POST", "/api/v1/app-settings", {"invite_only_signup": True})
        base = self.base() or self.call("POST", "/api/v2/meta/bases", {"title": BASE})
        integration = self._integration()
        present = self.sources(base["id"])
        for schema in (s for s in SCHEMAS if s not in present):
            # The schema goes on the source: NocoDB drops searchPath from an integration.
            source = {
                "alias": schema,
                "type": "pg",
                "fk_integration_id": integration,
                "config": {
                    "client": "pg",
                    "connection": {"database": self.env["VEDB_SOURCE_DATABASE"]},
                    "searchPath": [schema],
                },
                "inflection_column": "none",
                "inflection_table": "none",
                "is_schema_readonly": True,
            }
            self._add_source(base["id"], source)
            self._wait_synced(base["id"], schema)  # NocoDB adds one source to a base at a time

    def _add_source(self, base_id: str, source: dict[str, Any]) -> None:
        """POST the source, retrying while NocoDB is still busy with the previous one."""
        deadline = time.monotonic() + SYNC_TIMEOUT_S
        for attempt in range(10_000):  # bounded by the deadline; the count only stops a runaway
            try:
                self.call("POST", f"/api/v2/meta/bases/{base_id}/sources", source)
                return
            except NocoDBError as exc:
                if exc.status != 400 or BUSY not in exc.body:
                    raise
                if time.monotonic() > deadline:
                    raise NocoDBError(
                        f"NocoDB was still busy with an earlier source after {SYNC_TIMEOUT_S} s, "
                        f"{attempt + 1} attempts to add schema {source['alias']}: {exc}"
                    ) from None
            time.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])

    def _wait_synced(self, base_id: str, schema: str) -> None:
        """A source is read in a background job: wait until it lists its tables."""
        deadline = time.monotonic() + SYNC_TIMEOUT_S
        while schema not in self.sources(base_id):
            if time.monotonic() > deadline:
                raise NocoDBError(f"NocoDB did not read schema {schema} within {SYNC_TIMEOUT_S} s")
            time.sleep(1)


def read_env(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            env[name.strip()] = value.strip().strip('"')
    return env


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("status", "configure"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        nocodb = NocoDB(read_env(Path(argv[1])))
        if argv[0] == "configure":
            nocodb.configure()
        print(json.dumps(nocodb.status()))
    except NocoDBError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

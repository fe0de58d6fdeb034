"""NocoDB's settings that only its API can change, run on the host by the deploy:

    python -m vedb.provision.nocodb status|configure ENV_FILE

`status` prints what is in place as JSON; `configure` closes sign-up (it is open by default and
no variable closes it) and adds the base "vedb": one source per schema, through a connection
as the read-only login, so nothing NocoDB does can change the app's data. Both sign in as the
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
SYNC_TIMEOUT_S = 120
# S310 below: the URL is always http://127.0.0.1 (the service on this host), never user input.


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
            raise SystemExit(f"NocoDB {method} {path}: {exc.code} {exc.read()[:300]!r}") from None

    def invite_only(self) -> bool:
        return bool(self.call("GET", "/api/v1/app-settings").get("invite_only_signup"))

    def base(self) -> dict[str, Any] | None:
        bases = self.call("GET", "/api/v2/meta/bases")["list"]
        return next((b for b in bases if b["title"] == BASE), None)

    def tables(self, base_id: str, source_id: str) -> list[Any]:
        return list(self.call("GET", f"/api/v2/meta/bases/{base_id}/{source_id}/tables")["list"])

    def add_base(self) -> None:
        env = self.env
        connection = {
            "host": "127.0.0.1",
            "port": int(env["VEDB_SOURCE_PORT"]),
            "user": env["VEDB_SOURCE_LOGIN"],
            "password": env["VEDB_SOURCE_PASSWORD"],
            "database": env["VEDB_SOURCE_DATABASE"],
        }
        integration = self.call(
            "POST",
            "/api/v2/meta/integrations",
            {
                "title": f"{BASE} as {connection['user']} (read-only)",
                "type": "database",
                "sub_type": "pg",
                "config": {"client": "pg", "connection": connection},
            },
        )
        base_id = self.call("POST", "/api/v2/meta/bases", {"title": BASE})["id"]
        for schema in SCHEMAS:
            # The schema goes on the source: NocoDB drops searchPath from an integration.
            self.call(
                "POST",
                f"/api/v2/meta/bases/{base_id}/sources",
                {
                    "alias": schema,
                    "type": "pg",
                    "fk_integration_id": integration["id"],
                    "config": {
                        "client": "pg",
                        "connection": {"database": connection["database"]},
                        "searchPath": [schema],
                    },
                    "inflection_column": "none",
                    "inflection_table": "none",
                    "is_schema_readonly": True,
                },
            )
        self._wait_synced(base_id)

    def _wait_synced(self, base_id: str) -> None:
        """Each source is read in a background job: wait until every one lists its tables."""
        deadline = time.monotonic() + SYNC_TIMEOUT_S
        while time.monotonic() < deadline:
            sources = self.call("GET", f"/api/v2/meta/bases/{base_id}")["sources"]
            ours = [s for s in sources if s.get("alias") in SCHEMAS]
            if len(ours) == len(SCHEMAS) and all(self.tables(base_id, s["id"]) for s in ours):
                return
            time.sleep(1)
        raise SystemExit(f"NocoDB did not read the {BASE} schemas within {SYNC_TIMEOUT_S} s")


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
    nocodb = NocoDB(read_env(Path(argv[1])))
    if argv[0] == "configure":
        if not nocodb.invite_only():
            nocodb.call("POST", "/api/v1/app-settings", {"invite_only_signup": True})
        if nocodb.base() is None:
            nocodb.add_base()
    print(json.dumps({"invite_only": nocodb.invite_only(), "base": nocodb.base() is not None}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

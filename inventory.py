"""pyinfra inventory: groups staging and production (each host's data), and the roles: db,
cache, api, monitor (by default the first api host), and for a cluster etcd and backup.

Hosts never live in the repository: they come from VEDB_INVENTORY_FILE (an untracked TOML
file) or VEDB_DEPLOY_HOSTS; see vedb/provision/hosts.py and the README.
"""

from vedb.provision.hosts import InventoryError as _InventoryError
from vedb.provision.hosts import inventory_groups as _inventory_groups

try:
    _groups = _inventory_groups()
except _InventoryError as _error:
    raise SystemExit(f"inventory.py: {_error}") from None

staging = _groups["staging"]
production = _groups["production"]
db = _groups["db"]
cache = _groups["cache"]
api = _groups["api"]
etcd = _groups["etcd"]
backup = _groups["backup"]
monitor = _groups["monitor"]

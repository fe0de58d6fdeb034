"""Provisioning support for the pyinfra deploy: secrets, inventory, facts, operations, templates.

`inventory.py`, `deploy.py` and `tasks/` at the repository root use it; everything that can be
computed without a host lives here, typed and unit-tested.
"""

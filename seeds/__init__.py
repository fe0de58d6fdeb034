"""Deterministic, realistic data factories for every domain, and the size profiles.

`vedb.seed.tables` turns the factories' arrays into tables; nothing here imports `vedb` beyond
its vocabulary (`vedb.domain`).
"""

from seeds.profiles import PROFILES, Profile, get_profile

__all__ = ["PROFILES", "Profile", "get_profile"]

"""Deterministic, realistic data factories for every domain, and the size profiles."""

from seeds.dataset import Dataset, generate
from seeds.profiles import PROFILES, Profile, get_profile

__all__ = ["PROFILES", "Dataset", "Profile", "generate", "get_profile"]

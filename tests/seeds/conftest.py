"""Seed tests use the session's seeded databases from tests/conftest.py."""

from tests.conftest import ANCHOR

__all__ = ["ANCHOR"]

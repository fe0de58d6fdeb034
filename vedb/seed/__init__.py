"""Seeding: the factories' columns as tables (tables), binary COPY encoding (pgcopy), the load
in one transaction (load), its progress display (progress) and `vedb seed` (command).

The dependency runs one way: this package imports the factories in `seeds/`, which import
nothing of `vedb` but its vocabulary (`vedb.domain`).
"""

"""Backups with pgBackRest on a deployed database host, and restores verified by fingerprints.

The deploy (tasks/backup.py) archives every WAL segment and schedules full and differential
backups; `vedb backup` and `vedb restore` run on the host, or from an operator's machine
through SSH with `--host`.
"""

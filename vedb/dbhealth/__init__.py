"""`vedb health`: PgHero's checks for this database, as findings with a severity.

checks.py runs them against a live server; report.py shapes them for a terminal, for
`--json` and for the API's dashboard.
"""

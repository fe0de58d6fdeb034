"""`vedb docs`: the schema's ERDs and the analytics API reference, generated, and checked.

schema.py reads a migrated database's catalogue into Mermaid ERDs and column tables, one file
per domain; api_reference.py renders the query headers and the API's OpenAPI; generate.py
writes them to docs/ or diffs them against it (`--check`).
"""

"""Shared data machinery: statements, dialect differences, database faults, crud, lists and
conflicts (template-owned: `fastapi-domains update` may change this package)."""

"""Finds the domains: every package under `src/` with a `router.py` is one.

Adding or removing `src/<domain>/` therefore never means editing `main.py` or
`alembic/env.py`; both ask this module instead.
"""

import importlib
from pathlib import Path
from types import ModuleType

from fastapi import APIRouter

SRC = Path(__file__).resolve().parents[1]


def domain_names() -> list[str]:
    return sorted(
        path.parent.name
        for path in SRC.glob("*/router.py")
        if (path.parent / "__init__.py").exists() and not path.parent.name.startswith(("_", "."))
    )


def import_domain_modules(module: str) -> list[ModuleType]:
    """Import `src.<domain>.<module>` for every domain that has one."""
    return [
        importlib.import_module(f"src.{name}.{module}")
        for name in domain_names()
        if (SRC / name / f"{module}.py").exists()
    ]


def domain_tags() -> list[dict[str, str]]:
    """One OpenAPI tag per domain, described by the first line of its package's docstring."""
    tags = []
    for name in domain_names():
        summary = (importlib.import_module(f"src.{name}").__doc__ or "").strip().split("\n", 1)[0]
        tags.append({"name": name, "description": summary} if summary else {"name": name})
    return tags


def domain_routers() -> list[APIRouter]:
    # Every table first: a router declares its DELETE's 409 only if another table references its own.
    import_domain_modules("models")
    return [module.router for module in import_domain_modules("router")]

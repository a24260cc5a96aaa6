"""Domain-driven structure: every domain is a folder of the same modules, mirrored by its tests,
and reaches another domain only through that domain's modules, imported under an alias."""

import ast
from collections.abc import Iterator
from pathlib import Path

from src.web import discovery
from tests.contract import scan

PRINCIPLE = "Domain-Driven Structure"
MODULES = ("router", "schemas", "models", "dependencies", "config", "constants", "exceptions", "service", "utils")


def test_every_domain_has_the_seed_modules() -> None:
    missing = [
        f"src/{domain}/{module}.py: missing (every domain has {', '.join(MODULES)})"
        for domain in discovery.domain_names()
        for module in MODULES
        if not (scan.SRC / domain / f"{module}.py").is_file()
    ]
    scan.fail_on(PRINCIPLE, "each src/<domain>/ has the seed's modules", missing)


def test_every_domain_has_a_mirrored_test_package() -> None:
    missing = [
        f"tests/{domain}/__init__.py: missing (tests/ mirrors src/)"
        for domain in discovery.domain_names()
        if not (scan.TESTS / domain / "__init__.py").is_file()
    ]
    scan.fail_on(PRINCIPLE, "each src/<domain>/ has its tests/<domain>/ package", missing)


def test_domains_import_each_other_as_aliased_modules() -> None:
    domains = set(discovery.domain_names())
    violations = [
        violation
        for domain in domains
        for path in scan.domain_files(domain)
        for violation in _cross_domain_imports(path, domains - {domain})
    ]
    scan.fail_on(PRINCIPLE, "another domain is imported as its modules, under an alias", violations)


def _cross_domain_imports(path: Path, others: set[str]) -> Iterator[str]:
    for node in ast.walk(scan.syntax_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            other = _domain_of(node.module, others)
            if other and node.module != f"src.{other}":
                module = node.module.split(".")[2]
                yield (
                    f"{scan.where(path, node)}: `from {node.module} import ...`; import the module instead: "
                    f"`from src.{other} import {module} as {other}_{module}`"
                )
            elif other:
                yield from (
                    f"{scan.where(path, node)}: `from src.{other} import {alias.name}` needs an alias "
                    f"(`as {other}_{alias.name}`)"
                    for alias in node.names
                    if alias.asname is None
                )
        elif isinstance(node, ast.Import):
            yield from (
                f"{scan.where(path, node)}: `import {alias.name}` needs an alias"
                for alias in node.names
                if _domain_of(alias.name, others) and alias.asname is None
            )


def _domain_of(module: str, domains: set[str]) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "src" and parts[1] in domains else None

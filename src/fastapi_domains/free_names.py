"""Where a domain goes: its answers file, its folders, its module name and its table must be
free in the service (for a new domain, and for a domain's new name)."""

import re
from pathlib import Path

from fastapi_domains.errors import CliError
from fastapi_domains.project import DOMAIN_ANSWERS_DIR, Project

_TABLENAME = re.compile(r"""__tablename__\s*=\s*["']([^"']+)["']""")


def check_free(project: Project, domain: str, entity: str, *, keeping: str = "") -> None:
    """The domain, its folders and its table must not exist yet (but the table `keeping`: a
    renamed domain's own, which it may keep). A folder that holds no files but bytecode
    (`__pycache__/`, which a server's reload leaves after `git clean`) is no domain."""
    root = project.root
    answers_file = f"{DOMAIN_ANSWERS_DIR}/domain-{domain}.yml"
    if (root / answers_file).exists():
        raise CliError(f"the domain {domain!r} exists already ({answers_file})")
    for folder in (Path("src") / domain, Path("tests") / domain):
        held = held_files(root / folder)
        if held:
            more = f" and {len(held) - 3} more" if len(held) > 3 else ""
            raise CliError(
                f"{folder.as_posix()}/ is in the way of the domain {domain!r}: it holds {', '.join(held[:3])}{more} "
                "(no domain's answers name it); move it away or choose another name"
            )
        if (root / folder).exists() and not (root / folder).is_dir():
            raise CliError(f"{folder.as_posix()} is a file in the way of the domain {domain!r}; move it away")
    # `src.<domain>` and `tests.<domain>` become packages: no module may hold the name already.
    modules = {path.stem for path in (root / "src").glob("*") if path.suffix == ".py" or held_files(path)}
    modules |= {path.stem for path in (root / "tests").glob("*.py")}
    if domain in modules:
        raise CliError(f"the service already has a module named {domain!r}; choose another domain name")
    # The service's own tables (src/models.py: idempotency_key) and every domain's.
    tables = {
        match.group(1)
        for models in [*(root / "src").glob("models.py"), *(root / "src").glob("*/models.py")]
        for match in _TABLENAME.finditer(models.read_text())
    }
    if entity in tables - {keeping}:
        raise CliError(f"the table {entity!r} exists already; choose another name or pass --entity")


def held_files(folder: Path) -> list[str]:
    """The files under `folder` (relative to it, sorted), bytecode and its caches left out."""
    if not folder.is_dir():
        return []
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}
    )

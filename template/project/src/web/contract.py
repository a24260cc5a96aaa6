"""The API's contract: `openapi.json` at the service's root, the app's OpenAPI document as the
code makes it, committed so that a review shows every change a client will see.

`uv run python -m src.web.contract` writes it (`fastapi-domains openapi` runs this), `--check`
exits 1 naming the first place where the code and the file differ; tests/contract fails on the
same drift. The document is built from the settings' declared defaults (never `.env`), with sorted
keys and one line per operation and per schema, so a change is a readable diff of a few lines.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from src.config import Environment, Settings
from src.main import create_app

PATH = Path(__file__).resolve().parents[2] / "openapi.json"
# The settings the document shows: their declared values, whatever the environment says.
DOCUMENTED_SETTINGS = ("APP_NAME", "APP_DESCRIPTION", "APP_VERSION", "API_PREFIX")
# Objects down to this depth get a line per key (`paths` > path > method); deeper ones sit on one line.
OPEN_DEPTH = 3
REWRITE = "`fastapi-domains openapi` (or `uv run python -m src.web.contract`) rewrites it"


def document() -> dict[str, Any]:
    """The app's OpenAPI document, with the documented settings at their declared values."""
    declared = {name: Settings.model_fields[name].default for name in DOCUMENTED_SETTINGS}
    settings = Settings(_env_file=None, ENVIRONMENT=Environment.TESTING, **declared)  # type: ignore[call-arg]
    return create_app(settings).openapi()


def dumps(value: Any, depth: int = 0) -> str:
    """`value` as JSON with sorted keys: objects open down to OPEN_DEPTH, the rest on one line."""
    if not isinstance(value, dict) or not value or depth >= OPEN_DEPTH:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    indent = " " * (depth + 1)
    items = [f"{indent}{json.dumps(key)}: {dumps(value[key], depth + 1)}" for key in sorted(value)]
    return "{\n" + ",\n".join(items) + "\n" + " " * depth + "}"


def text() -> str:
    return dumps(document()) + "\n"


def first_difference(committed: Any, current: Any, place: str = "") -> str | None:
    """Where `committed` and `current` first differ (`paths./items.get.summary`), or None."""
    if isinstance(committed, dict) and isinstance(current, dict):
        for key in sorted(committed.keys() | current.keys()):
            if key not in committed or key not in current:
                return f"{place}.{key}".lstrip(".")
            if (found := first_difference(committed[key], current[key], f"{place}.{key}")) is not None:
                return found
        return None
    if isinstance(committed, list) and isinstance(current, list) and len(committed) == len(current):
        for index, (old, new) in enumerate(zip(committed, current, strict=True)):
            if (found := first_difference(old, new, f"{place}[{index}]")) is not None:
                return found
        return None
    return None if committed == current else place.lstrip(".") or "(the whole document)"


def drift(path: Path = PATH) -> str | None:
    """One line saying how `path` differs from the app's document, or None when it is the same."""
    if not path.is_file():
        return f"{path.name} is missing: {REWRITE}"
    expected = text()
    committed = path.read_text()
    if committed == expected:
        return None
    try:
        place = first_difference(json.loads(committed), json.loads(expected))
    except ValueError:
        return f"{path.name} is not valid JSON: {REWRITE}"
    where = f"differs from the app at {place}" if place else "is not formatted as written"
    return f"{path.name} {where}: {REWRITE}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m src.web.contract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if openapi.json differs from the app's document")
    args = parser.parse_args(argv)
    if args.check:
        problem = drift()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        return 0
    # Whole or not at all: the new document replaces the file in one step.
    written = PATH.with_name(f".{PATH.name}.new")
    written.write_text(text())
    written.replace(PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())

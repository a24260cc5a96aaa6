"""`fastapi-domains openapi`: write the service's `openapi.json` from its code, without starting a
server; `--check` exits 1 naming the first place where the code and the committed file differ."""

import argparse
from pathlib import Path

from fastapi_domains import contract
from fastapi_domains.errors import CliError
from fastapi_domains.project import load_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "openapi",
        help="write openapi.json, the service's API contract, from its code (--check: fail on drift)",
        description="Write openapi.json at the service's root from its code (sorted keys, one line per operation "
        "and per schema), without starting a server. With --check, write nothing and exit 1 naming the first "
        "place where the code and the committed file differ.",
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on any difference")
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    root = load_project(args.project).root
    if args.check:
        problem = contract.drift(root)
        if problem:
            raise CliError(problem)
        print(f"{contract.FILE} is the app's OpenAPI document")
        return 0
    contract.write(root)
    print(f"Wrote {root / contract.FILE}")
    return 0

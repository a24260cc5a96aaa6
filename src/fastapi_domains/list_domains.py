"""`fastapi-domains domains`: the service's domains, their fields and template version."""

import argparse
from pathlib import Path

import yaml

from fastapi_domains.errors import CliError
from fastapi_domains.fields import Field
from fastapi_domains.project import load_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "domains",
        help="list the service's domains with their fields and template version",
        description="List the domains added to a service (from its .copier/domain-*.yml answers).",
    )
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.set_defaults(handler=handle)


def describe(answers_file: Path) -> list[str]:
    try:
        answers = yaml.safe_load(answers_file.read_text()) or {}
        fields = [Field(**field) for field in answers.get("fields") or []]
        name, entity = answers["domain_name"], answers["entity_name"]
    except (yaml.YAMLError, TypeError, KeyError) as error:
        raise CliError(f"{answers_file} is not a domain's answers file: {error}") from error
    version = answers.get("_commit") or "unversioned (plain folder)"
    return [
        f"{name}  (entity {entity}, template {version})",
        *(f"  {field.spec()}" for field in fields),
    ]


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    files = project.domain_answer_files()
    if not files:
        print("No domains yet: add one with `fastapi-domains domain NAME --field FIELD:TYPE`.")
        return 0
    for answers_file in files:
        print("\n".join(describe(answers_file)))
    return 0

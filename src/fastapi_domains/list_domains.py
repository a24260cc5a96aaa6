"""`fastapi-domains domains`: the service's domains, their fields and template version, or
(`--diagram`) a Mermaid ER diagram of them and their references."""

import argparse
from pathlib import Path

import yaml

from fastapi_domains import access, external_domain
from fastapi_domains.errors import CliError
from fastapi_domains.fields import REF, Field
from fastapi_domains.project import load_project


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "domains",
        help="list the service's domains with their fields and template version",
        description="List the domains added to a service (from its .copier/domain-*.yml answers).",
    )
    parser.add_argument("--project", type=Path, default=Path(), metavar="DIR", help="the service (default: .)")
    parser.add_argument(
        "--diagram",
        action="store_true",
        help="print a Mermaid ER diagram of the domains and their references (paste it in a ```mermaid block)",
    )
    parser.set_defaults(handler=handle)


# Mermaid attribute types are single words; these read like the columns' SQL types.
_DIAGRAM_TYPES = {"str": "string", "text": "text", "int": "int", "float": "float", "decimal": "decimal"}
_DIAGRAM_TYPES |= {"bool": "bool", "date": "date", "datetime": "timestamptz", "uuid": "uuid", "json": "json"}
_DIAGRAM_TYPES |= {"email": "email", "url": "url", "enum": "enum"}


def load(answers_file: Path) -> tuple[dict, list[Field]]:
    try:
        answers = yaml.safe_load(answers_file.read_text()) or {}
        fields = [Field.from_answer(field) for field in answers.get("fields") or []]
    except (yaml.YAMLError, TypeError, AttributeError) as error:
        raise CliError(f"{answers_file} is not a domain's answers file: {error}") from error
    if access.is_auth(answers):  # The template's users and tokens: no entity, no fields of its own.
        expected = {"domain_name"}
    else:
        kind_answer = "base_url" if external_domain.is_external(answers) else "table_name"
        expected = {"domain_name", "entity_name", kind_answer}
    missing = sorted(expected - set(answers))
    if missing:
        raise CliError(f"{answers_file} is not a domain's answers file: no {', '.join(missing)}")
    return answers, fields


def describe(answers_file: Path) -> list[str]:
    answers, fields = load(answers_file)
    name = answers["domain_name"]
    version = answers.get("_commit") or "unversioned (plain folder)"
    if access.is_auth(answers):
        return [f"{name}  (users and tokens: register, login, refresh; table {access.USER_TABLE}, template {version})"]
    entity = answers["entity_name"]
    if external_domain.is_external(answers):
        return [f"{name}  (external API {answers['base_url']}, entity {entity}, template {version})"]
    level = access.level(answers)
    guarded = "" if level == access.PUBLIC else f", access {level}"
    return [
        f"{name}  (entity {entity}{guarded}, template {version})",
        *(f"  {field.spec()}" for field in fields),
    ]


def diagram(answers_files: list[Path], pk_type: str) -> str:
    """`erDiagram` with one entity per table and one relationship per reference."""
    # A domain wrapping an external API has no table to draw; the auth domain's users are drawn
    # only as the owners of owner-scoped domains' rows.
    domains = [
        (answers, fields)
        for answers, fields in map(load, answers_files)
        if not external_domain.is_external(answers) and not access.is_auth(answers)
    ]
    owned = [answers for answers, _ in domains if access.level(answers) == access.OWNER]
    tables = {answers["domain_name"]: answers["table_name"] for answers, _ in domains}
    key_type = "uuid" if pk_type == "uuid" else "bigint"
    lines = ["erDiagram"]
    if owned:
        lines += [f"    {access.USER_TABLE} {{", f"        {key_type} id PK", "        email email UK", "    }"]
    for answers, fields in domains:
        lines.append(f"    {answers['table_name']} {{")
        lines.append(f"        {key_type} id PK")
        for field in fields:
            type_ = key_type if field.type == REF else _DIAGRAM_TYPES[field.type]
            key = " FK" if field.type == REF else " UK" if field.unique else ""
            lines.append(f"        {type_} {field.name}{key}")
        if access.level(answers) == access.OWNER:
            lines.append(f"        {key_type} {access.OWNER_COLUMN} FK")
        lines += ["        timestamptz created_at", "        timestamptz updated_at", "    }"]
    for answers, fields in domains:
        for field in fields:
            if field.type == REF and field.ref in tables:
                # One parent to many children; an optional reference lets a child have none.
                parent = "|o" if field.optional else "||"
                lines.append(f'    {tables[field.ref]} {parent}--o{{ {answers["table_name"]} : "{field.name}"')
    for answers in owned:
        lines.append(f'    {access.USER_TABLE} ||--o{{ {answers["table_name"]} : "{access.OWNER_COLUMN}"')
    return "\n".join(lines)


def handle(args: argparse.Namespace) -> int:
    project = load_project(args.project)
    files = project.domain_answer_files()
    if args.diagram:
        print(diagram(files, project.answers.get("pk_type", "int")))
        return 0
    if not files:
        print("No domains yet: add one with `fastapi-domains domain NAME --field FIELD:TYPE`.")
        return 0
    for answers_file in files:
        print("\n".join(describe(answers_file)))
    return 0

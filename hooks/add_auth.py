"""Add the auth domain to a service whose answers say `auth: jwt` and that has none yet.

Run at copy (from `post_copy.py`, before the example domain) and after every project update (a
Copier migration step), so `copier update --trust --data auth=jwt` switches auth on in a living
service. The domain is rendered through the `auth` sub-template from the project's own
`_src_path` at its `_commit`, with its migration chained onto the service's single head, and
keeps `.copier/domain-auth.yml` so later updates reach it like any other domain.
"""

import os
import sys
from pathlib import Path

import copier
import yaml

# The CLI's own helpers, from this same template checkout: revisions are derived once.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fastapi_domains import domain_answers, migrations
from fastapi_domains.errors import CliError

ANSWERS_FILE = Path(".copier") / "domain-auth.yml"


def resolve_source(source: str, *, warn: bool = False) -> str:
    """The template source as Copier stored it; a relative path is relative to where it was typed
    (the shell's PWD tells)."""
    if "://" in source or source.startswith(("gh:", "gl:", "git@")) or Path(source).is_absolute():
        return source
    if warn:
        print(
            f"fastapi-domains: the template path {source!r} is relative; `copier update` will only work from "
            f"the same folder. Generate with an absolute path or a git URL to avoid this.",
            file=sys.stderr,
        )
    return str((Path(os.environ.get("PWD", ".")) / source).resolve())


def add_auth(answers: dict, source: str) -> None:
    """Render the auth domain into the current folder (the service)."""
    data = {
        "template_kind": "auth",
        "domain_name": "auth",
        "database": answers["database"],
        "pk_type": answers["pk_type"],
    }
    revision = domain_answers.new_revision(migrations.single_head(Path()))
    data |= revision | {"migration_file": domain_answers.auth_migration_file(revision)}
    copier.run_copy(source, ".", data=data, vcs_ref=answers.get("_commit"), defaults=True, unsafe=True, quiet=True)


def main() -> None:
    answers = yaml.safe_load(Path(".copier-answers.yml").read_text())
    if answers.get("auth") != "jwt" or ANSWERS_FILE.exists():
        return
    try:
        add_auth(answers, resolve_source(answers["_src_path"]))
    except CliError as error:
        sys.exit(f"fastapi-domains: cannot add the auth domain: {error}")
    if not ANSWERS_FILE.exists():
        return
    print(
        "fastapi-domains: added the auth domain (src/auth, tests/auth and its migration); run `uv sync`, "
        "`uv run alembic upgrade head`, then `uv run python -m src.auth create-superuser EMAIL`.",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

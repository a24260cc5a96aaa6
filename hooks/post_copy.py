"""Copy-time task of the template (run by Copier's `_tasks`, only on copy).

For a new project: write the migrations of the service's own tables (see `idempotency_key.py`,
and `jobs_table.py` with background jobs), add the auth domain when asked for (see
`add_auth.py`), then the example domain through the domain sub-template, from the project's
own `_src_path` at its `_commit`, so each can be updated like any other domain; then write
`openapi.json` from the service's code and make the service's first commit, since `copier
update` needs a clean, committed tree. A domain copy needs nothing here.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import copier
import yaml

# The CLI's own answer builder, from this same template checkout: names are derived once.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import add_auth
import idempotency_key
import jobs_table

from fastapi_domains import contract, domain_answers, migrations

EXAMPLE_FIELDS = [
    {"name": "name", "type": "str", "max_length": 200},
    {"name": "description", "type": "text", "optional": True},
    {"name": "price", "type": "decimal"},
]


def add_example_domain(answers: dict) -> None:
    data = domain_answers.build(
        "items",
        domain_answers.parse_fields(EXAMPLE_FIELDS),
        # Given, not derived: Copier's Python, which runs this hook, has no inflect.
        entity="item",
        label="an item",
        database=answers["database"],
        pk_type=answers["pk_type"],
        down_revision=migrations.single_head(Path()),
    )
    copier.run_copy(
        add_auth.resolve_source(answers["_src_path"], warn=True),
        ".",
        data=data,
        vcs_ref=answers.get("_commit"),
        defaults=True,
        unsafe=True,
        quiet=True,
    )


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)  # noqa: S603, S607


def first_commit(answers: dict) -> None:
    if shutil.which("git") is None:
        print("fastapi-domains: git not found; run `git init && git add -A && git commit` before `copier update`.")
        return
    if git("rev-parse", "--is-inside-work-tree").returncode == 0:
        return  # Part of an existing repository: committing is the user's call.
    git("-c", "init.defaultBranch=main", "init", "--quiet")
    git("add", "--all")
    identity = []
    if not git("config", "user.email").stdout.strip():
        # No identity configured: sign the first commit as the project's author.
        identity = ["-c", f"user.name={answers['author_name']}", "-c", f"user.email={answers['author_email']}"]
    result = git(*identity, "commit", "--quiet", "--no-verify", "-m", "Generate service with fastapi-domains")
    if result.returncode != 0:
        print(f"fastapi-domains: the first commit failed; commit by hand.\n{result.stderr}", file=sys.stderr)


def main(kind: str) -> None:
    if kind != "project":
        return
    answers = yaml.safe_load(Path(".copier-answers.yml").read_text())
    # The service's own table first: every domain's migration chains onto it.
    idempotency_key.write_migration(Path())
    if answers.get("jobs", "none") != "none":
        jobs_table.write_migration(Path())
    if answers.get("auth") == "jwt":
        add_auth.add_auth(answers, add_auth.resolve_source(answers["_src_path"], warn=True))
    if answers.get("example_domain"):
        add_example_domain(answers)
    # The API's contract, in the first commit: every later change to it shows in review.
    problem = contract.rewrite(Path().resolve())
    if problem:
        print(f"fastapi-domains: {contract.FILE} was not written ({problem}); run `fastapi-domains openapi`.")
    first_commit(answers)


if __name__ == "__main__":
    main(sys.argv[1])

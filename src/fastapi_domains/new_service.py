"""`fastapi-domains new DEST`: generate a service from the template this CLI was installed from.

The template is where pip or uv installed the package from (PEP 610's `direct_url.json`): a git
URL, or a clone on this machine, recorded as an absolute path so that `copier update` finds it
again. It is rendered at its newest release tag, else at the installed commit (a git URL) or the
clone's HEAD. The service is rendered into a staging folder beside DEST and moved in whole, so a
refused answer leaves nothing behind.
"""

import argparse
import json
import shlex
import shutil
import subprocess
import tempfile
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from fastapi_domains import interrupts, questions
from fastapi_domains.errors import CliError
from fastapi_domains.releases import newest_release

DISTRIBUTION = "fastapi-domains"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new",
        help="generate a new service from the template this CLI was installed from",
        description="Generate a service with `copier copy` from the template this CLI was installed from "
        "(its newest release tag, or the installed commit), asking the template's questions.",
    )
    parser.add_argument(
        "destination", type=Path, metavar="DEST", help="folder of the new service (must not exist, or be empty)"
    )
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="answer one question, e.g. --data project_name=Shop --data database=postgresql; repeat for each",
    )
    parser.add_argument("--defaults", action="store_true", help="take every other answer's default; never prompt")
    parser.add_argument(
        "--template",
        metavar="SOURCE",
        help="another template: a git URL or a clone's absolute path (default: where this CLI was installed from)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    destination = args.destination.resolve()
    check_destination(destination)
    data = questions.parse_data(args.data)
    source, ref = chosen_template(args.template) if args.template else installed_template()
    questions.check_keys(data, source, ref)
    destination.parent.mkdir(parents=True, exist_ok=True)
    # Copier is loaded only now, once every check has passed: a refusal answers without it.
    with interrupts.deferred():
        import copier.errors  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix=f".{destination.name}-", dir=destination.parent) as scratch:
        staging = Path(scratch) / destination.name
        try:
            copier.run_copy(source, staging, data=data, defaults=args.defaults, vcs_ref=ref, unsafe=True, quiet=True)
        except ValueError as error:  # Copier's refusal of an answer: a validator or a choice.
            raise CliError(f"{error}; nothing was written") from error
        except copier.errors.CopierError as error:  # A failing copy task, a template Copier cannot read...
            raise CliError(f"{str(error).splitlines()[0].rstrip('.')}; nothing was written") from error
        interrupts.point_of_no_return()
        move_in(staging, destination)
    print(f"Generated {destination} from {source} at {ref}. Next:")
    for command in next_commands(destination, args.destination):
        print(f"  {command}")
    return 0


def check_destination(destination: Path) -> None:
    """DEST must not exist, or be an empty folder (`mkdir shop && cd shop && fastapi-domains new .`)."""
    if destination.exists() and not destination.is_dir():
        raise CliError(f"{destination} exists and is not a folder; choose a new folder")
    if destination.is_dir() and any(destination.iterdir()):
        raise CliError(f"{destination} exists and is not empty; choose a new folder")


def move_in(staging: Path, destination: Path) -> None:
    """The rendered service into DEST; an empty DEST is kept (it may be the shell's current folder)
    and filled, or, on a failure, emptied again."""
    if not destination.exists():
        shutil.move(staging, destination)
        return
    moved: list[Path] = []
    try:
        for child in sorted(staging.iterdir()):
            moved.append(Path(shutil.move(child, destination / child.name)))
    except OSError as error:
        for path in moved:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        raise CliError(f"writing into {destination} failed, nothing was kept: {error}") from error


def installed_template() -> tuple[str, str]:
    """The template's location as Copier reaches it, and the version to render."""
    try:
        recorded = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        recorded = None
    if not recorded:
        raise CliError(
            "this fastapi-domains was not installed from a clone or a git URL, so its template is unknown; "
            "install it with `uv tool install <clone or git URL>`, or run `copier copy --trust <template> DEST`"
        )
    origin = json.loads(recorded)
    if "vcs_info" in origin:
        url = origin["url"]
        source = url if url.endswith(".git") or url.startswith("git+") else f"git+{url}"
        return source, newest_release(source) or origin["vcs_info"]["commit_id"]
    folder = Path(unquote(urlparse(origin["url"]).path))
    if not (folder / "copier.yml").is_file():
        raise CliError(f"{folder}, where fastapi-domains was installed from, holds no template (no copier.yml)")
    status = subprocess.run(  # noqa: S603 - a fixed command on the install folder
        ["git", "-C", str(folder), "status", "--porcelain"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        raise CliError(
            f"{folder}, where fastapi-domains was installed from, is not a git checkout: a service made from it "
            "could never be updated; install from a clone or a git URL"
        )
    if status.stdout.strip():
        # The service records the commit it was made from; uncommitted changes belong to none.
        raise CliError(f"the template at {folder} has uncommitted changes; commit them, then run again")
    return str(folder), newest_release(str(folder)) or "HEAD"


def chosen_template(source: str) -> tuple[str, str]:
    """A template given on the command line: a relative path is made absolute, for later updates."""
    folder = Path(source).expanduser()
    if folder.exists():
        source = str(folder.resolve())
    return source, newest_release(source) or "HEAD"


def next_commands(service: Path, typed: Path | None = None) -> list[str]:
    """What to run next, as the README's quick start says; `cd` to DEST as it was typed (none when
    DEST is the current folder)."""
    answers = (service / ".copier-answers.yml").read_text()
    steps = [] if service == Path.cwd() else [f"cd {shlex.quote(str(typed or service))}"]
    steps += ["uv sync", "cp .env.example .env"]
    if "database: postgresql" in answers:
        steps.append("# PostgreSQL must be running; the next step creates the development database")
    steps += ["uv run alembic upgrade head", "uv run pytest"]
    if "auth: jwt" in answers:
        steps.append("uv run python -m src.auth create-superuser admin@example.com   # asks for a password")
    if "jobs: redis" in answers or "jobs: rabbitmq" in answers:
        steps.append("uv run python -m src.core.jobs worker &   # background jobs (the broker must be running)")
    return [*steps, "uv run uvicorn src.main:app --reload"]

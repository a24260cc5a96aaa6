"""`fastapi-domains update --data KEY=VALUE` (answers changed without Copier on PATH: the command
the CLI's own refusals print, run as printed), its refusals (one line, exit 1, nothing changed),
and its commits on a machine where git knows no one, or where a commit fails."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args

NOTES = domain_args("notes", "title:str")


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed service without auth, made from the template snapshot (which has no release tags)."""
    return copy_service(template, tmp_path_factory.mktemp("update") / "acme", "example_domain=false")


@pytest.fixture
def copy(service: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(service, tmp_path / "acme", symlinks=True))


def answers(service: Path) -> dict:
    return yaml.safe_load((service / ".copier-answers.yml").read_text())


def state(service: Path) -> tuple[dict[str, bytes], str, str]:
    """The files outside .git, the commit checked out and git's status."""
    files = {
        str(path.relative_to(service)): path.read_bytes()
        for path in sorted(service.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(service).parts
    }
    head = support.git(service, "rev-parse", "HEAD").stdout
    return files, head, support.git(service, "status", "--porcelain").stdout


def nobody(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine where git knows no one: an empty global config, no identity variables."""
    config = tmp_path / "empty-gitconfig"
    config.write_text("")
    identity = ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL")
    env = {key: value for key, value in os.environ.items() if key not in identity}
    return {**env, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}


def run_as_printed(command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A command line the CLI printed, run by a shell; `fastapi-domains` is this checkout's."""
    cli_path = Path(sys.executable).parent
    env = {**(env or os.environ), "PATH": f"{cli_path}{os.pathsep}{(env or os.environ)['PATH']}"}
    assert shutil.which("fastapi-domains", path=env["PATH"]), "the fastapi-domains command is not installed"
    return subprocess.run(command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False)  # noqa: S602


def test_the_printed_command_switches_auth_on(copy: Path) -> None:
    """`--access` without auth names `fastapi-domains update --data auth=jwt`, which works as printed."""
    refused = cli("domain", *NOTES, "--access", "writes", "--no-input", cwd=copy, check=False)
    assert refused.returncode == 1
    (command,) = re.findall(r"`(fastapi-domains update[^`]*)`", refused.stderr)
    assert command == "fastapi-domains update --data auth=jwt"
    done = run_as_printed(command, cwd=copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "  the service's answers: auth=jwt\n" in done.stdout
    assert answers(copy)["auth"] == "jwt"
    assert (copy / "src" / "auth" / "router.py").is_file()
    assert (copy / ".copier" / "domain-auth.yml").is_file()
    assert support.git(copy, "status", "--porcelain").stdout == ""
    # The update's commit, then the contract's (the auth routes are new in openapi.json).
    subjects = support.git(copy, "log", "-2", "--format=%s").stdout.splitlines()
    assert subjects[0] == "Rewrite openapi.json, the API's contract, after the update", subjects
    assert subjects[1].endswith(" with auth=jwt"), subjects
    cli("domain", *NOTES, "--access", "writes", "--no-input", cwd=copy)
    assert yaml.safe_load((copy / ".copier" / "domain-notes.yml").read_text())["access"] == "writes"


REFUSALS = {
    "misspelt key": (("--data", "authh=jwt"), "--data 'authh' is not a question of the template (did you mean 'auth'?"),
    "domain question": (("--data", "fields=[]"), "--data 'fields' is not a question of the template (its questions: "),
    "set by the CLI": (("--data", "template_kind=domain"), "--data 'template_kind' is not a question of the template"),
    "not KEY=VALUE": (("--data", "auth"), "--data 'auth' must be KEY=VALUE"),
    "not a choice": (("--data", "auth=ldap"), "Invalid choice for 'auth': 'ldap' is not in ['none', 'jwt']"),
    "refused by a validator": (("--data", "with_ci=maybe"), "with_ci must be true or false"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_data_is_refused_and_changes_nothing(service: Path, args: tuple[str, ...], message: str) -> None:
    before = state(service)
    result = cli("update", *args, cwd=service, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert state(service) == before


def test_without_a_git_identity_each_step_is_committed_as_the_services_author(copy: Path, tmp_path: Path) -> None:
    env = nobody(tmp_path)
    unknown = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], cwd=copy, env=env, capture_output=True, check=False)
    assert unknown.returncode != 0, "this machine's git still knows an identity; the test would prove nothing"
    result = run_as_printed("fastapi-domains update --data with_ci=false", cwd=copy, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "git does not know who you are: each step is committed as the service's author, " in result.stdout
    author = f"{answers(copy)['author_name']} <{answers(copy)['author_email']}>"
    assert support.git(copy, "log", "-1", "--format=%an <%ae>|%cn <%ce>").stdout.strip() == f"{author}|{author}"
    assert support.git(copy, "status", "--porcelain").stdout == ""
    assert not (copy / ".github").exists()


def test_a_commit_that_fails_says_how_to_finish_or_discard_the_step(copy: Path) -> None:
    """A commit git refuses (here: signing with a program that does not exist) leaves the step's
    changes, and the message gives the commands that finish it and those that discard it."""
    support.git(copy, "config", "commit.gpgsign", "true")
    support.git(copy, "config", "gpg.program", str(copy / "no-such-gpg"))
    before = state(copy)
    result = cli("update", "--data", "with_ci=false", cwd=copy, check=False)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "fastapi-domains: error: could not commit the update (Update project from template " in result.stderr
    finish, discard = re.findall(r"`([^`]+)`", result.stderr.split("finish the step with ", 1)[1])
    assert discard == "git reset --hard && git clean -fd"
    assert run_as_printed(discard, cwd=copy).returncode == 0
    assert state(copy) == before

    cli("update", "--data", "with_ci=false", cwd=copy, check=False)
    support.git(copy, "config", "commit.gpgsign", "false")
    assert run_as_printed(finish, cwd=copy).returncode == 0
    assert support.git(copy, "status", "--porcelain").stdout == ""
    assert not (copy / ".github").exists()
    assert shlex.split(finish)[-1].endswith(" with with_ci=false")
    again = cli("update", "--data", "with_ci=false", cwd=copy)
    assert "project: " in again.stdout and "(already current)" in again.stdout
    assert support.git(copy, "status", "--porcelain").stdout == ""


def test_a_conflict_where_git_knows_no_one_prints_a_commit_that_works(copy: Path, tmp_path: Path) -> None:
    """The team pinned a line `--data with_metrics=false` removes: the step stops at the conflict,
    and the commit it prints to go on says who commits, as the update's own commits do."""
    pyproject = copy / "pyproject.toml"
    pinned = pyproject.read_text().replace('"prometheus-client>=0.21",', '"prometheus-client>=0.22",  # Acme pins it')
    assert "# Acme pins it" in pinned, "the metrics dependency is no longer written this way"
    pyproject.write_text(pinned)
    support.commit_all(copy, "Pin prometheus-client")
    env = nobody(tmp_path)
    result = run_as_printed("fastapi-domains update --data with_metrics=false", cwd=copy, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "  pyproject.toml\n" in result.stderr
    (commit,) = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("git add -A && ")]
    assert "git -c 'user.name=" in commit
    conflict = re.compile(r"<<<<<<< before updating\n.*?=======\n(.*?)>>>>>>> after updating\n", re.DOTALL)
    pyproject.write_text(conflict.sub(r"\1", pyproject.read_text()))
    done = run_as_printed(commit, cwd=copy, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    author = f"{answers(copy)['author_name']} <{answers(copy)['author_email']}>"
    assert support.git(copy, "log", "-1", "--format=%an <%ae>").stdout.strip() == author
    assert support.git(copy, "status", "--porcelain").stdout == ""
    assert "prometheus" not in pyproject.read_text()

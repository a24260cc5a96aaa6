"""Every release updates to the newest: a service made at the oldest release named in CHANGELOG.md,
with two domains (one referencing the other) and its team's edits, is updated release by release
and, separately, in one jump; both end with the same files and a green service.

Tags do not travel with the repository (only branch main does), so each release's template is
rebuilt from git history: a release `## vX.Y.Z` is cut at the last commit of main whose
CHANGELOG.md has that heading on top, the parent of the commit that put the next `## Unreleased`
above it. The releases and this working tree (the newest, tagged as the next minor version) are
committed one after another into a temporary template repository and tagged there, as the update
tests tag theirs.
"""

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path

import pytest
from packaging.version import Version

from tests import support

TOP_HEADING = re.compile(r"^## (Unreleased|v\d+\.\d+\.\d+)\s*$", re.M)
RELEASE_HEADING = re.compile(r"^## (v\d+\.\d+\.\d+)\s*$", re.M)
CHANGELOG = "CHANGELOG.md"

# The team's work at the oldest release: two domains through that release's own CLI, then edits.
DOMAINS = {
    "customers": ["name:str", "email:str:unique"],
    "orders": ["customer_id:ref:customers", "amount:decimal", "note:text:optional"],
}
TEAM_DOCSTRING = '"""Acme Shop\'s application, as its team runs it."""\n'
TEAM_README = "\n## Acme notes\n\nOn call: team blue.\n"
TEAM_MODULE = "src/customers/reports.py"
TEAM_REPORTS = '''"""Acme's own reports on customers, written by its team."""


def greeting(name: str) -> str:
    return f"Dear {name},"
'''
TEAM_TEST = "tests/customers/test_reports.py"
TEAM_REPORTS_TEST = """from src.customers.reports import greeting


def test_greeting() -> None:
    assert greeting("Ada") == "Dear Ada,"
"""
TEAM_ENV = "# Acme's local settings stay out of git.\n"


def git_output(*args: str) -> str:
    return support.git(support.REPO, *args).stdout.strip()


def top_heading(commit: str) -> str | None:
    """The first release heading (or `Unreleased`) of CHANGELOG.md at `commit`."""
    found = TOP_HEADING.search(git_output("show", f"{commit}:{CHANGELOG}"))
    return found.group(1) if found else None


def release_commits() -> list[tuple[str, str]]:
    """Each release before the newest, oldest first, with the commit it was cut at."""
    changes = git_output("log", "--first-parent", "--reverse", "--format=%H", "--", CHANGELOG).split()
    cut: dict[str, str] = {}
    previous = None
    for commit in changes:
        heading = top_heading(commit)
        if previous not in (None, "Unreleased", heading) and previous not in cut:
            cut[previous] = git_output("rev-parse", f"{commit}^1")
        previous = heading
    named = RELEASE_HEADING.findall((support.REPO / CHANGELOG).read_text())
    newest = top_heading_of_working_tree()
    older = sorted((tag for tag in named if tag != newest), key=Version)
    missing = [tag for tag in older if tag not in cut]
    assert not missing, f"no commit of main has {missing} on top of {CHANGELOG}: where were they cut?"
    return [(tag, cut[tag]) for tag in older]


def top_heading_of_working_tree() -> str:
    found = TOP_HEADING.search((support.REPO / CHANGELOG).read_text())
    assert found, f"{CHANGELOG} names no release and no Unreleased section"
    return found.group(1)


def newest_tag(releases: list[tuple[str, str]]) -> str:
    """The working tree's version: its own heading, or the minor version after the newest release."""
    heading = top_heading_of_working_tree()
    if heading != "Unreleased":
        return heading
    newest = Version(releases[-1][0].removeprefix("v")) if releases else Version("0.0.0")
    return f"v{newest.major}.{newest.minor + 1}.0"


def history_missing() -> str | None:
    """Why this checkout cannot tell its releases apart, or None."""
    if not (support.REPO / ".git").exists():
        return "not a git checkout"
    if git_output("rev-parse", "--is-shallow-repository") == "true":
        return "a shallow clone (run `git fetch --unshallow`)"
    return None


def clear(repository: Path) -> None:
    """Remove every file of `repository` but its .git folder."""
    for entry in repository.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def extract(commit: str, destination: Path) -> None:
    """The files of this repository at `commit`, written into `destination`."""
    archive = subprocess.run(["git", "archive", commit], cwd=support.REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(destination, filter="data")


def copy_working_tree(destination: Path) -> None:
    """This working tree as git would ship it, its changes not yet committed included."""
    for name in support.tracked_files(support.REPO):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(support.REPO / name, target)


MISSING_HISTORY = history_missing()
if MISSING_HISTORY:
    pytest.skip(
        f"the release chain needs main's history of {CHANGELOG}; this is {MISSING_HISTORY}", allow_module_level=True
    )


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> tuple[Path, list[str], Path]:
    """The template repository with every release tagged, oldest first and the working tree last;
    its tags; and the oldest release's own source tree (for its CLI)."""
    releases = release_commits()
    if not releases:
        pytest.skip(f"{CHANGELOG} names no release before the working tree's: nothing to update from")
    root = tmp_path_factory.mktemp("chain")
    template = root / "fastapi-domains"
    template.mkdir()
    tags = []
    for tag, commit in releases:
        clear(template)
        extract(commit, template)
        support.commit_all(template, f"Release {tag}")
        support.git(template, "tag", tag)
        tags.append(tag)
    clear(template)
    copy_working_tree(template)
    support.commit_all(template, "This working tree")
    tags.append(newest_tag(releases))
    support.git(template, "tag", tags[-1])
    oldest_source = root / "oldest"
    oldest_source.mkdir()
    extract(releases[0][1], oldest_source)
    return template, tags, oldest_source


def oldest_cli(source: Path, project: Path, *args: str) -> None:
    """The oldest release's `fastapi-domains`, as its users ran it (its source on the path)."""
    env = {"PYTHONPATH": os.pathsep.join([str(source / "src"), os.environ.get("PYTHONPATH", "")])}
    support.run(sys.executable, "-m", "fastapi_domains.cli", *args, cwd=project, env=env)


def fastapi_domains(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Today's installed command, as a user types it."""
    return support.run(Path(sys.executable).parent / "fastapi-domains", *args, cwd=cwd)


@pytest.fixture(scope="module")
def oldest_service(chain: tuple[Path, list[str], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service made at the oldest release, grown with two domains by that release's CLI, with
    its team's edits committed."""
    template, tags, source = chain
    service = support.render(template, tmp_path_factory.mktemp("oldest") / "acme", vcs_ref=tags[0])
    for name, specs in DOMAINS.items():
        oldest_cli(source, service, "domain", name, *(f"--field={spec}" for spec in specs), "--no-input")
    support.commit_all(service, "Customers and their orders")
    main = service / "src/main.py"
    lines = main.read_text().splitlines(keepends=True)
    assert re.fullmatch(r'""".*"""\n', lines[0]), f"{main} no longer starts with a one-line docstring"
    main.write_text(TEAM_DOCSTRING + "".join(lines[1:]))
    with (service / "README.md").open("a") as readme:
        readme.write(TEAM_README)
    (service / TEAM_MODULE).write_text(TEAM_REPORTS)
    (service / TEAM_TEST).write_text(TEAM_REPORTS_TEST)
    (service / ".env").write_text(TEAM_ENV)
    support.commit_all(service, "Acme edits")
    return service


@pytest.fixture(scope="module")
def updated(
    oldest_service: Path, chain: tuple[Path, list[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    """Two copies of the oldest service: one updated release by release (`--vcs-ref` each tag in
    turn), one by `fastapi-domains update` with no version (to the newest tag). The paths share
    nothing, so they run side by side."""
    _, tags, _ = chain
    steps = [[("update", "--vcs-ref", tag) for tag in tags[1:]], [("update",)]]
    copies = [tmp_path_factory.mktemp(name) / "acme" for name in ("steps", "jump")]

    def follow(commands: list[tuple[str, ...]], copy: Path) -> Path:
        shutil.copytree(oldest_service, copy, symlinks=True)
        for command in commands:
            fastapi_domains(*command, cwd=copy)
        return copy

    with ThreadPoolExecutor(max_workers=2) as pool:
        step_by_step, one_jump = pool.map(follow, steps, copies)
    return step_by_step, one_jump


@pytest.fixture(scope="module")
def one_jump(updated: tuple[Path, Path]) -> Path:
    return updated[1]


def written_migrations(service: Path, before: Path) -> list[str]:
    """The migrations the update wrote (its hooks' revision ids are new on each run)."""
    old = {path.name for path in (before / "alembic/versions").glob("*.py")}
    return sorted(path.name for path in (service / "alembic/versions").glob("*.py") if path.name not in old)


def comparable_files(service: Path, before: Path) -> dict[str, bytes]:
    """Every file git holds of the service; in the migrations the update wrote, their revision ids
    (random, and in their names) masked."""
    files = {name: (service / name).read_bytes() for name in support.tracked_files(service)}
    for index, name in enumerate(written_migrations(service, before)):
        revision = re.fullmatch(r"\d{8}_([0-9a-f]+)_.*\.py", name)
        assert revision, f"{name}: a migration name without its revision id"
        placeholder = f"written-{index}".encode()
        for key, content in list(files.items()):
            files[key] = content.replace(revision.group(1).encode(), placeholder)
        files[f"alembic/versions/{name.replace(revision.group(1), placeholder.decode())}"] = files.pop(
            f"alembic/versions/{name}"
        )
    return files


def test_both_paths_reach_the_newest_release_with_the_same_files(
    oldest_service: Path, updated: tuple[Path, Path], chain: tuple[Path, list[str], Path]
) -> None:
    _, tags, _ = chain
    step_by_step, one_jump = updated
    for service in (step_by_step, one_jump):
        assert support.git(service, "status", "--porcelain").stdout == ""
        assert not sorted(service.rglob("*.rej"))
        answers = [service / ".copier-answers.yml", *sorted((service / ".copier").glob("domain-*.yml"))]
        assert len(answers) == 4  # the project, the example items, customers and orders
        for path in answers:
            assert f"_commit: {tags[-1]}\n" in path.read_text(), path
    # Each release was a step of its own, committed by the update.
    log = support.git(step_by_step, "log", "--format=%s").stdout.splitlines()
    for before, after in pairwise(tags):
        assert f"Update project from template {before} → {after}" in log, log
    steps, jump = comparable_files(step_by_step, oldest_service), comparable_files(one_jump, oldest_service)
    assert sorted(steps) == sorted(jump)
    assert [name for name in steps if steps[name] != jump[name]] == []


def test_the_teams_work_survives(one_jump: Path) -> None:
    assert (one_jump / "src/main.py").read_text().startswith(TEAM_DOCSTRING)
    assert (one_jump / "README.md").read_text().endswith(TEAM_README)
    assert (one_jump / TEAM_MODULE).read_text() == TEAM_REPORTS
    assert (one_jump / TEAM_TEST).read_text() == TEAM_REPORTS_TEST
    assert (one_jump / ".env").read_text() == TEAM_ENV
    assert "customer_id" in (one_jump / "src/orders/models.py").read_text()


def test_the_updated_service_passes_its_checks(one_jump: Path, service_env: support.ServiceEnv) -> None:
    """Both paths hold the same files (above): one service's suite, ruff and migrations speak for both."""
    service_env.checks(one_jump)

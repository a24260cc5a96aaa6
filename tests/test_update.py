"""Updates across releases, for real: a temporary git copy of this template is tagged v0.1.0; a
service made from it gets two domains and its team's edits; then the template copy changes (a
file the team also edited, new files, a migration file, an answer renamed by a `_migrations`
step) and is tagged v0.2.0. The service is updated with `copier update` and with
`fastapi-domains update`, cleanly and with same-line conflicts."""

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import copier
import pytest
import yaml

from fastapi_domains import domain_answers, fields
from fastapi_domains.migrations import single_head
from tests import support

OLD, NEW = "v0.1.0", "v0.2.0"
DESCRIPTION = "Sells things to Acme's customers"
DOMAINS = {
    "customers": ["name:str", "email:str:unique"],
    "orders": ["amount:decimal", "note:text:optional"],
}
DOMAIN_FILES = ("src/{}", "tests/{}", ".copier/domain-{}.yml")

# The release's edits, made in the temporary template copy only: (file, old text, new text).
MAIN_PY = "template/project/src/main.py"
SERVICE_PY = "template/domain/src/{{domain_name}}/service.py.jinja"
APP_LINE = "app = create_app()\n"
APP_LINE_V2 = "app = create_app()  # Served as src.main:app.\n"
BUILT_ONCE = "# Built once: statement construction costs as much as a small query.\n"
BUILT_ONCE_V2 = "# Built once, at import: statement construction costs as much as a small query.\n"
MIGRATION_TEMPLATE = "template/domain/alembic/versions/{{ migration_file }}.jinja"
RENAME_MIGRATION = """_migrations:
  - version: "0.2.0"
    when: "{{ _stage == 'before' }}"
    command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/rename_answer.py",
              "{{ _copier_conf.answers_file }}", "project", "description", "summary"]
"""
FAILING_MIGRATION = """  - version: "0.2.0"
    command: "exit 3"
"""

# The team's edits in the service, on other lines than the release's.
TEAM_MAIN_DOCSTRING = '"""Acme Shop\'s application, as its team runs it."""\n'
TEAM_SERVICE_DOCSTRING = '"""Customer data access, with Acme\'s rules."""\n'
TEAM_README = "\n## Acme notes\n\nOn call: team blue.\n"
TEAM_MIGRATION_LINE = "# Reviewed by the Acme team.\n"
TEAM_ENV = "# Acme's local settings stay out of git.\n"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path} no longer holds {old!r} exactly once; update this test's edit"
    path.write_text(text.replace(old, new))


def replace_first_line(path: Path, new: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    assert re.fullmatch(r'""".*"""\n', lines[0]), f"{path} no longer starts with a one-line docstring"
    path.write_text(new + "".join(lines[1:]))


def release_v2(template: Path) -> None:
    """The next release: edits, new files, an untouchable migration edit and a renamed answer."""
    edit(template / MAIN_PY, APP_LINE, APP_LINE_V2)
    edit(template / SERVICE_PY, BUILT_ONCE, BUILT_ONCE_V2)
    (template / "template/project/CHANGES.md").write_text("# Changes\n\nThis service follows template 0.2.0.\n")
    (template / "template/domain/src/{{domain_name}}/README.md.jinja").write_text("# The {{ domain_name }} domain\n")
    (migration,) = template.glob(MIGRATION_TEMPLATE)
    migration.write_text("# Written by template 0.2.0.\n" + migration.read_text())
    # The answer `description` becomes `summary`; the migration step carries the user's value over.
    edit(template / "copier.yml", "\ndescription:\n", "\nsummary:\n")
    edit(template / "copier.yml", "_migrations:\n", RENAME_MIGRATION)
    for path in (template / "template/project").rglob("*.jinja"):
        text = path.read_text()
        path.write_text(re.sub(r"(\{\{\s*)description\b", r"\1summary", text))
        assert not re.search(r"\{[{%][^}]*\bdescription\b", path.read_text()), f"{path}: rename this use too"
    support.commit_all(template, "Release 0.2.0")
    support.git(template, "tag", NEW)
    # A broken branch off the release: its migration step fails after the files are updated.
    support.git(template, "checkout", "-q", "-b", "broken")
    edit(template / "copier.yml", RENAME_MIGRATION, RENAME_MIGRATION + FAILING_MIGRATION)
    support.commit_all(template, "A migration step that fails")
    support.git(template, "checkout", "-q", "main")
    # Work after the release: the newest tag and HEAD now differ.
    (template / "template/project/CHANGES.md").write_text("# Changes\n\nUnreleased work follows 0.2.0.\n")
    support.commit_all(template, "Work after 0.2.0")


def add_domain(template: Path, service: Path, name: str, down_revision: str) -> str:
    """What the `domain` subcommand does: render the domain kind at the service's release."""
    data = domain_answers.build(
        name, fields.parse_fields(DOMAINS[name]), database="sqlite", pk_type="int", down_revision=down_revision
    )
    copier.run_copy(str(template), str(service), vcs_ref=OLD, data=data, defaults=True, unsafe=True, quiet=True)
    support.commit_all(service, f"Add domain {name}")
    return str(data["revision_id"])


def domain_paths(service: Path) -> list[Path]:
    paths = [service / pattern.format(name) for name in DOMAINS for pattern in DOMAIN_FILES]
    paths += sorted((service / "alembic" / "versions").glob("*.py"))
    return [file for path in paths for file in ([path] if path.is_file() else sorted(path.rglob("*.py")))]


def snapshot(service: Path, paths: list[Path]) -> dict[str, bytes]:
    return {str(path.relative_to(service)): path.read_bytes() for path in paths}


def all_files(service: Path) -> dict[str, bytes]:
    return snapshot(service, [service / name for name in support.tracked_files(service)])


def files_with_markers(service: Path) -> list[str]:
    return sorted(
        name for name, content in all_files(service).items() if re.search(rb"^(<<<<<<<|>>>>>>>) ", content, re.M)
    )


def rejects(service: Path) -> list[Path]:
    return sorted(service.rglob("*.rej"))


def log(service: Path) -> list[str]:
    return support.git(service, "log", "--format=%s").stdout.splitlines()


def fastapi_domains(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """The installed command, as a user types it."""
    executable = Path(sys.executable).parent / "fastapi-domains"
    return support.run(executable, *args, cwd=cwd, check=False)


def copy_of(service: Path, destination: Path) -> Path:
    shutil.copytree(service, destination, symlinks=True)
    return destination


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory, git_identity: None) -> Path:
    """This template tagged v0.1.0, then changed and tagged v0.2.0 (in a temporary copy)."""
    template = support.snapshot_template(tmp_path_factory.mktemp("releases") / "fastapi-domains", tag=OLD)
    release_v2(template)
    return template


@pytest.fixture(scope="module")
def service(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service made at v0.1.0: example domain dropped, two domains added, the team's edits committed."""
    template = releases
    service = support.render(template, tmp_path_factory.mktemp("v1") / "acme", vcs_ref=OLD, description=DESCRIPTION)
    support.git(
        service,
        "rm",
        "-r",
        "-q",
        "src/items",
        "tests/items",
        ".copier/domain-items.yml",
        *[str(path.relative_to(service)) for path in (service / "alembic/versions").glob("*_create_item.py")],
    )
    support.commit_all(service, "Drop the example domain")
    # The customers' migration follows the service's own (the idempotency_key table).
    head = add_domain(template, service, "customers", down_revision=single_head(service))
    add_domain(template, service, "orders", down_revision=head)
    replace_first_line(service / "src/main.py", TEAM_MAIN_DOCSTRING)
    replace_first_line(service / "src/customers/service.py", TEAM_SERVICE_DOCSTRING)
    with (service / "README.md").open("a") as readme:
        readme.write(TEAM_README)
    (migration,) = (service / "alembic/versions").glob("*_create_customer.py")
    migration.write_text(TEAM_MIGRATION_LINE + migration.read_text())
    (service / ".env").write_text(TEAM_ENV)
    support.commit_all(service, "Acme edits")
    assert support.git(service, "status", "--porcelain").stdout == ""
    return service


@pytest.fixture(scope="module")
def updated(service: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The service after `fastapi-domains update` (to the newest tag)."""
    copy = copy_of(service, tmp_path_factory.mktemp("cli") / "acme")
    return copy, fastapi_domains("update", cwd=copy)


@pytest.fixture(scope="module")
def updated_by_copier(service: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service after plain `copier update`, project then each domain, committed by hand;
    domain files are checked byte-identical right after the project step."""
    copy = copy_of(service, tmp_path_factory.mktemp("copier") / "acme")
    domains_before = snapshot(copy, domain_paths(copy))
    support.copier_cli("update", "--trust", "--defaults", cwd=copy)
    assert snapshot(copy, domain_paths(copy)) == domains_before
    assert not rejects(copy)
    support.commit_all(copy, "Update project")
    for name in DOMAINS:
        support.copier_cli("update", "--trust", "--defaults", "-a", f".copier/domain-{name}.yml", cwd=copy)
        support.commit_all(copy, f"Update domain {name}")
    # Copier leaves openapi.json alone: the contract is the code's, rewritten from it.
    support.run(sys.executable, "-m", "fastapi_domains.cli", "openapi", cwd=copy)
    support.commit_all(copy, "Rewrite openapi.json")
    return copy


def test_update_commits_each_step_and_summarises(updated: tuple[Path, subprocess.CompletedProcess]) -> None:
    copy, result = updated
    assert result.returncode == 0, result.stderr
    steps = ["project", *(f"domain {name}" for name in DOMAINS)]
    # The API's contract as the updated code makes it, in a commit of its own after the steps.
    assert log(copy)[0] == "Rewrite openapi.json, the API's contract, after the update"
    assert log(copy)[1:4] == [f"Update {step} from template {OLD} → {NEW}" for step in reversed(steps)]
    assert log(copy)[4] == "Acme edits"
    for step in steps:
        assert f"{step}: {OLD} → {NEW}" in result.stdout
    assert support.git(copy, "status", "--porcelain").stdout == ""


def test_project_step_leaves_domains_untouched(updated: tuple[Path, subprocess.CompletedProcess]) -> None:
    copy, _ = updated
    project_commit = support.git(copy, "log", "--format=%H", "--grep", "^Update project from").stdout.split()
    (sha,) = project_commit
    touched = support.git(copy, "show", "--name-only", "--format=", sha).stdout.split()
    assert touched
    domain_prefixes = tuple(pattern.format(name) for name in DOMAINS for pattern in DOMAIN_FILES)
    assert not [name for name in touched if name.startswith((*domain_prefixes, ".copier/", "alembic/versions/"))]


def test_template_changes_arrive(updated: tuple[Path, subprocess.CompletedProcess]) -> None:
    copy, _ = updated
    assert (copy / "src/main.py").read_text().endswith(APP_LINE_V2)
    assert (copy / "CHANGES.md").is_file()
    for name in DOMAINS:
        assert BUILT_ONCE_V2 in (copy / "src" / name / "service.py").read_text()
        assert (copy / "src" / name / "README.md").read_text() == f"# The {name} domain\n"


def test_user_edits_and_owned_files_survive(updated: tuple[Path, subprocess.CompletedProcess], service: Path) -> None:
    copy, _ = updated
    assert (copy / "src/main.py").read_text().startswith(TEAM_MAIN_DOCSTRING)
    assert (copy / "src/customers/service.py").read_text().startswith(TEAM_SERVICE_DOCSTRING)
    assert (copy / "README.md").read_text().endswith(TEAM_README)
    assert (copy / ".env").read_text() == TEAM_ENV
    # Migrations belong to the service: the release's edit to the migration template never lands.
    migrations = sorted((service / "alembic/versions").glob("*.py"))
    assert len(migrations) == 3
    assert snapshot(copy, [copy / path.relative_to(service) for path in migrations]) == snapshot(service, migrations)
    assert not (copy / "src/items").exists(), "the copy-time task re-ran and re-added the example domain"
    assert log(copy).count("Generate service with fastapi-domains") == 1


def test_no_rejects_and_no_conflict_markers(updated: tuple[Path, subprocess.CompletedProcess]) -> None:
    copy, _ = updated
    assert not rejects(copy)
    assert files_with_markers(copy) == []


def test_answers_carry_the_new_release_and_the_renamed_answer(
    updated: tuple[Path, subprocess.CompletedProcess],
) -> None:
    copy, _ = updated
    project = yaml.safe_load((copy / ".copier-answers.yml").read_text())
    assert project["_commit"] == NEW
    assert project["summary"] == DESCRIPTION
    assert "description" not in project
    assert tomllib.loads((copy / "pyproject.toml").read_text())["project"]["description"] == DESCRIPTION
    for name in DOMAINS:
        answers = yaml.safe_load((copy / f".copier/domain-{name}.yml").read_text())
        assert answers["_commit"] == NEW
        assert answers["template_kind"] == "domain"
        assert "summary" not in answers


def test_copier_update_gives_the_same_service(
    updated: tuple[Path, subprocess.CompletedProcess], updated_by_copier: Path
) -> None:
    copy, _ = updated
    assert not rejects(updated_by_copier)
    assert all_files(updated_by_copier) == all_files(copy)


def test_updated_service_passes_its_checks(
    updated: tuple[Path, subprocess.CompletedProcess], service_env: support.ServiceEnv
) -> None:
    copy, _ = updated
    service_env.checks(copy)


def test_same_line_edits_stop_at_each_conflict_and_resume(service: Path, tmp_path: Path) -> None:
    copy = copy_of(service, tmp_path / "acme")
    edit(copy / "src/main.py", APP_LINE, "app = create_app(settings)\n")
    edit(copy / "src/customers/service.py", BUILT_ONCE, "# Built once per process.\n")
    support.commit_all(copy, "Acme edits the release's lines")
    head = log(copy)

    first = fastapi_domains("update", cwd=copy)
    assert first.returncode != 0
    assert "the update of the project" in first.stderr
    assert re.findall(r"^  (\S+)$", first.stderr, re.M) == ["src/main.py"]
    assert files_with_markers(copy) == ["src/main.py"]
    assert not rejects(copy)
    assert log(copy) == head, "a conflicted step must not be committed"

    resolve(copy / "src/main.py", "app = create_app(settings)  # Served as src.main:app.\n")
    support.commit_all(copy, "Resolve the project update")
    second = support.run(*resume_command(first.stderr), cwd=copy, check=False)
    assert second.returncode != 0
    assert "the update of the domain customers" in second.stderr
    assert re.findall(r"^  (\S+)$", second.stderr, re.M) == ["src/customers/service.py"]
    assert files_with_markers(copy) == ["src/customers/service.py"]
    assert log(copy)[0] == "Resolve the project update", "nothing was left to commit in the project step"

    resolve(copy / "src/customers/service.py", "# Built once per process, at import.\n")
    support.commit_all(copy, "Resolve the customers update")
    third = support.run(*resume_command(second.stderr), cwd=copy, check=False)
    assert third.returncode == 0, third.stderr
    assert f"project: {NEW} (already current)" in third.stdout
    assert f"domain orders: {OLD} → {NEW}" in third.stdout
    assert f"Update domain orders from template {OLD} → {NEW}" in log(copy)[:2]
    assert files_with_markers(copy) == []


def resolve(path: Path, resolution: str) -> None:
    """Replace each conflict block of `path` by `resolution`, as the user would."""
    text = path.read_text()
    resolved = re.sub(r"^<<<<<<< before updating\n.*?^>>>>>>> after updating\n", resolution, text, flags=re.M | re.S)
    assert resolved != text
    path.write_text(resolved)


def resume_command(stderr: str) -> list[str]:
    (line,) = [line for line in stderr.splitlines() if line.strip().startswith("fastapi-domains update")]
    _, *args = line.split()
    return [str(Path(sys.executable).parent / "fastapi-domains"), *args]


def test_dirty_tree_is_refused_with_one_line(service: Path, tmp_path: Path) -> None:
    copy = copy_of(service, tmp_path / "acme")
    (copy / "notes.txt").write_text("work in progress\n")
    head = log(copy)
    result = fastapi_domains("update", "--project", copy, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "uncommitted changes" in result.stderr
    assert "Traceback" not in result.stderr
    assert log(copy) == head
    assert support.git(copy, "status", "--porcelain").stdout == "?? notes.txt\n"


def test_folder_that_is_not_a_service_is_refused(tmp_path: Path) -> None:
    result = fastapi_domains("update", "--project", tmp_path, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("fastapi-domains: error: ")
    assert result.stderr.count("\n") == 1


def test_service_newer_than_the_newest_tag_is_told_to_follow_head(releases: Path, tmp_path: Path) -> None:
    service = support.render(releases, tmp_path / "acme", vcs_ref="HEAD")
    head = log(service)
    refused = fastapi_domains("update", cwd=service)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "Downgrades are not supported" in refused.stderr
    assert "--vcs-ref HEAD" in refused.stderr
    assert log(service) == head
    followed = fastapi_domains("update", "--vcs-ref", "HEAD", cwd=service)
    assert followed.returncode == 0, followed.stderr
    commit = yaml.safe_load((service / ".copier-answers.yml").read_text())["_commit"]
    assert commit.startswith(f"{NEW}-1-g")
    assert f"project: {commit} (already current)" in followed.stdout
    assert f"domain items: {commit} (already current)" in followed.stdout
    assert log(service) == head


def test_failed_step_says_how_to_discard_it(service: Path, tmp_path: Path) -> None:
    copy = copy_of(service, tmp_path / "acme")
    head = log(copy)
    result = fastapi_domains("update", "--vcs-ref", "broken", cwd=copy)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("fastapi-domains: error: the update of the project failed: ")
    assert "git reset --hard && git clean -fd" in result.stderr
    assert log(copy) == head
    assert support.git(copy, "status", "--porcelain").stdout != ""
    support.run("sh", "-c", "git reset --hard && git clean -fd", cwd=copy)
    assert support.git(copy, "status", "--porcelain").stdout == ""
    assert all_files(copy) == all_files(service)


def assert_update_refused(copy: Path, *messages: str) -> None:
    """One line on stderr, exit 1, and the service as it was: no commit, no file changed."""
    head, files = log(copy), all_files(copy)
    result = fastapi_domains("update", cwd=copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1, result.stderr
    for message in messages:
        assert message in result.stderr
    assert log(copy) == head
    assert all_files(copy) == files
    assert support.git(copy, "status", "--porcelain").stdout == ""


def changed(key: str, value: object = None) -> Callable[[str], str]:
    """An edit of an answers file: `key` set to `value`, or removed when `value` is None."""

    def change(text: str) -> str:
        answers = yaml.safe_load(text)
        if value is None:
            del answers[key]
        else:
            answers[key] = value
        return yaml.safe_dump(answers)

    return change


BROKEN_ANSWERS: dict[str, tuple[Callable[[str], str], str]] = {
    "empty": (lambda _: "", "is empty, not a mapping of answers"),
    "invalid YAML": (lambda text: text + "fields: [name\n", "is not valid YAML: "),
    "not a mapping": (lambda _: "- name:str\n", "holds a list, not a mapping of answers"),
    "no fields": (changed("fields"), "lacks the answer fields,"),
    "empty fields": (changed("fields", []), "has no fields to render: its answer fields is []"),
    "no _commit": (changed("_commit"), "lacks _src_path or _commit"),
}


@pytest.mark.parametrize(("breaks", "problem"), BROKEN_ANSWERS.values(), ids=BROKEN_ANSWERS.keys())
def test_broken_domain_answers_are_refused_before_any_step(
    service: Path, tmp_path: Path, breaks: Callable[[str], str], problem: str
) -> None:
    copy = copy_of(service, tmp_path / "acme")
    # The last domain: the project and the first domain would be updated and committed before it.
    answers_file = copy / ".copier/domain-orders.yml"
    answers_file.write_text(breaks(answers_file.read_text()))
    support.commit_all(copy, "Break the orders answers")
    assert_update_refused(copy, f"{answers_file} {problem}")


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` and all it holds unwritable, even for root: the immutable attribute (root ignores modes)."""
    lock, unlock = (
        (["chattr", "-R", "+i"], ["chattr", "-R", "-i"])
        if os.geteuid() == 0
        else (["chmod", "-R", "a-w"], ["chmod", "-R", "u+w"])
    )
    if shutil.which(lock[0]) is None or support.run(*lock, path, cwd=path.parent, check=False).returncode != 0:
        pytest.skip(f"{lock[0]} cannot make {path} read-only here (chattr +i needs ext4-like file systems)")
    try:
        yield
    finally:
        support.run(*unlock, path, cwd=path.parent)


@pytest.mark.parametrize("folder", [".", ".git"], ids=["project", "git folder"])
def test_read_only_service_is_refused(service: Path, tmp_path: Path, folder: str) -> None:
    copy = copy_of(service, tmp_path / "acme")
    with read_only(copy / folder):
        assert_update_refused(copy, f"{(copy / folder).resolve()} is read-only")


def test_read_only_file_stops_the_first_step_with_one_line(service: Path, tmp_path: Path) -> None:
    """Copier fails mid-step (after its migration step rewrote the answers): one line, nothing
    committed, and how to discard what the step left."""
    copy = copy_of(service, tmp_path / "acme")
    head = log(copy)
    with read_only(copy / "src" / "main.py"):
        result = fastapi_domains("update", cwd=copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("fastapi-domains: error: the update of the project failed: ")
    assert f"'{copy / 'src' / 'main.py'}'" in result.stderr
    assert "git reset --hard && git clean -fd" in result.stderr
    assert log(copy) == head


def test_service_from_a_git_url_grows_and_updates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`copier copy git+file:///...` records that URL (as any pip-style git URL Copier takes): the
    CLI adds a domain from it and updates the service through it, and the domain keeps it."""
    monkeypatch.setenv("COPIER_CACHE_DIR", str(tmp_path / "copier-cache"))  # Copier mirrors git URLs there.
    template = support.snapshot_template(tmp_path / "template")
    url = f"git+file://{template}"
    service = tmp_path / "acme"
    support.copier_cli(*support.COPY_ARGS, url, service, cwd=tmp_path)
    added = fastapi_domains("domain", "customers", "--field", "name:str", "--no-input", cwd=service)
    assert added.returncode == 0, added.stderr
    assert added.stderr == ""
    support.commit_all(service, "Add customers")
    edit(template / MAIN_PY, APP_LINE, APP_LINE_V2)
    edit(template / SERVICE_PY, BUILT_ONCE, BUILT_ONCE_V2)
    support.commit_all(template, "Next commit")

    updated = fastapi_domains("update", "--vcs-ref", "HEAD", cwd=service)
    assert updated.returncode == 0, updated.stderr
    assert (service / "src/main.py").read_text().endswith(APP_LINE_V2)
    assert BUILT_ONCE_V2 in (service / "src/customers/service.py").read_text()
    head = support.git(template, "rev-parse", "--short", "HEAD").stdout.strip()
    for answers_file in (".copier-answers.yml", ".copier/domain-items.yml", ".copier/domain-customers.yml"):
        answers = yaml.safe_load((service / answers_file).read_text())
        assert (answers["_src_path"], answers["_commit"]) == (url, head), answers_file
    assert support.git(service, "status", "--porcelain").stdout == ""

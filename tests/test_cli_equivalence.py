"""The CLI's renders are Copier's: each command of tests/test_cli_field_*.py, run on a service
with hand edits (committed and not), leaves exactly the tree plain Copier leaves.

`field add` and `field remove` render the domain twice from the template exported at its version
and carry the edits over per file (src/fastapi_domains/working_copy.py); the reference is `copier
update -a .copier/domain-X.yml --vcs-ref <its _commit> --data fields=... --data changes=...` on a
copy of the same tree, committed (Copier updates only a clean tree), with the answers the CLI
derived. `domain` and `remove` render from the exported template too; their references are `copier
copy` of the domain with the same answers, and the domain's files gone with the drop migration
`copier copy` renders. The trees must be equal file for file, byte for byte (git's folder aside),
but for the migration each field change writes, which no update renders; and `copier update` of
each domain at its version must then change nothing. On a PostgreSQL service with uuid keys (its
answers take the most template branches); no database is needed, only the files."""

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from fastapi_domains.migrations import single_head
from tests import support
from tests.test_cli_domain import cli, copy_service, domain_args
from tests.test_update import replace_first_line

CUSTOMERS = domain_args("customers", "name:str", "email:str:unique")
ORDER_ITEMS = domain_args("order_items", "customer_id:ref:customers", "title:str", "note:text:optional")
MIGRATION = re.compile(r"^alembic/versions/\S+\.py$")


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root but git's own and the API's contract, `openapi.json`: the CLI
    rewrites it with each change, Copier leaves it to `fastapi-domains openapi` (its own tests
    are in tests/test_api_contract.py)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts and path.name != "openapi.json"
    }


def answers(root: Path, domain: str) -> dict:
    return yaml.safe_load((root / ".copier" / f"domain-{domain}.yml").read_text())


def append(path: Path, text: str) -> None:
    with path.open("a") as file:
        file.write(text)


def same_line_edit(root: Path) -> None:
    """The team's line where the next column goes, after the model's last one."""
    models = root / "src" / "customers" / "models.py"
    end = "\n\n\ncustomer_table"
    assert models.read_text().count(end) == 1, "the model's columns no longer end before its table alias"
    models.write_text(models.read_text().replace(end, "\n    # Acme: later." + end))


def delete_a_test_module(root: Path) -> None:
    (root / "tests" / "customers" / "test_service.py").unlink()


# (name, an edit made first, not committed, the command)
FIELD_CHANGES: list[tuple[str, Callable[[Path], None] | None, tuple[str, ...]]] = [
    ("add optional", None, ("field", "add", "customers", "phone:str:optional")),
    ("add required", None, ("field", "add", "customers", "tier:int", "--default", "1")),
    ("add a reference", None, ("field", "add", "order_items", "coupon_id:ref:customers:optional")),
    ("add several", None, ("field", "add", "customers", "nick:str", "bio:text", "level:int", "--default", "1")),
    ("remove", None, ("field", "remove", "order_items", "note", "--yes")),
    ("a deleted module", delete_a_test_module, ("field", "add", "customers", "vip:bool", "--default", "true")),
    ("a conflict", same_line_edit, ("field", "add", "customers", "code:uuid:optional")),
]


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Path:
    """customers and order_items, committed with a hand edit, then more edits left uncommitted."""
    root = copy_service(template, tmp_path / "shop", "example_domain=false", "database=postgresql", "pk_type=uuid")
    for domain in (CUSTOMERS, ORDER_ITEMS):
        cli("domain", *domain, "--no-input", cwd=root)
    replace_first_line(root / "src/customers/models.py", '"""Acme\'s customers: the table, reviewed."""\n')
    support.commit_all(root, "Two domains, a reviewed model")
    replace_first_line(root / "src/customers/service.py", '"""Customer data access, with Acme\'s rules."""\n')
    append(root / "src/customers/schemas.py", "\n\n# Acme: more schemas follow.\n")
    append(root / "tests/customers/test_router.py", "\n\n# Acme: the checkout tests follow.\n")
    return root


def copier_update(root: Path, domain: str, changed: dict) -> None:
    """What the CLI stands for: Copier's update of the domain at its version, with its new answers."""
    support.commit_all(root, "The working tree, as Copier needs it clean")
    data = [part for key in ("fields", "changes") for part in ("--data", f"{key}={json.dumps(changed[key])}")]
    commit = answers(root, domain)["_commit"]
    answers_file = f".copier/domain-{domain}.yml"
    support.copier_cli("update", "--trust", "--defaults", "--vcs-ref", commit, "-a", answers_file, *data, cwd=root)


def test_field_changes_leave_the_tree_copier_update_leaves(service: Path, tmp_path: Path) -> None:
    for step, (name, edit, command) in enumerate(FIELD_CHANGES):
        if edit:
            edit(service)
        reference = Path(shutil.copytree(service, tmp_path / f"copier-{step}", symlinks=True))
        before = tree(service)
        result = cli(*command, cwd=service, check=False)
        assert result.returncode == (1 if name == "a conflict" else 0), result.stderr
        assert "Traceback" not in result.stderr
        domain = command[2]
        copier_update(reference, domain, answers(service, domain))
        written = {path for path in set(tree(service)) - set(before) if MIGRATION.match(path)}
        assert len(written) == 1, f"{name}: one new migration"
        ours = {path: content for path, content in tree(service).items() if path not in written}
        theirs = tree(reference)
        assert sorted(set(ours) ^ set(theirs)) == [], f"{name}: files only one side has"
        differing = sorted(path for path in ours if ours[path] != theirs[path])
        assert differing == [], f"{name}: files that differ from Copier's"
        if name == "a conflict":
            assert "<<<<<<< before updating\n    # Acme: later.\n" in (service / "src/customers/models.py").read_text()
            assert "src/customers/models.py" in result.stderr
        if name == "a deleted module":
            assert not (service / "tests/customers/test_service.py").exists()
    assert (service / "src/customers/service.py").read_text().startswith('"""Customer data access, with Acme')
    assert (service / "src/customers/models.py").read_text().startswith('"""Acme\'s customers: the table, reviewed.')


def test_domain_and_remove_render_what_copier_copy_renders(service: Path, tmp_path: Path) -> None:
    commit, source = answers(service, "customers")["_commit"], answers(service, "customers")["_src_path"]
    reference = Path(shutil.copytree(service, tmp_path / "copier", symlinks=True))
    cli("domain", "tags", "--field", "label:str:unique", "--field", "customer_id:ref:customers", cwd=service)
    tags = {key: value for key, value in answers(service, "tags").items() if not key.startswith("_")}
    copier_copy(source, commit, tags, reference)
    assert tree(service) == tree(reference)

    head = single_head(service)
    cli("remove", "tags", "--yes", cwd=service)
    (migration,) = set(tree(service)) - set(tree(reference))
    date, revision = re.fullmatch(r"alembic/versions/(\d{8})_([0-9a-f]{12})_drop_table_tag\.py", migration).groups()
    drop = {"change": "drop_table", "revision_id": revision, "down_revision": head}
    drop["migration_date"] = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    drop["migration_file"] = Path(migration).name  # derived by the CLI, substituted by the template
    dropped = {**tags, "changes": [*tags["changes"], drop]}
    staged = copier_copy(source, commit, dropped, tmp_path / "drop", "src", "tests")
    for folder in ("src/tags", "tests/tags"):
        shutil.rmtree(reference / folder)
    (reference / ".copier/domain-tags.yml").unlink()
    shutil.copy(staged / migration, reference / migration)
    assert tree(service) == tree(reference)


def copier_copy(source: str, commit: str, data: dict, destination: Path, *excluded: str) -> Path:
    """`copier copy` of a domain at `commit`, with `data` as its answers."""
    data_file = destination.parent / f"{destination.name}-data.yml"
    data_file.write_text(yaml.safe_dump(data))
    exclude = [part for name in excluded for part in ("--exclude", name)]
    support.copier_cli(
        "copy", "--trust", "--defaults", "--vcs-ref", commit, "--data-file", data_file, *exclude, source, destination,
        cwd=destination.parent,
    )  # fmt: skip
    data_file.unlink()
    return destination

"""`fastapi-domains field add|remove|rename|change` and `remove`: every refusal (one line on stderr, exit code 1,
no traceback, the service untouched), `--dry-run` (the files and the migration, nothing written),
a same-line edit that stops at a conflict, a template version too old to change a domain, and
what Copier's update does with a file its last render had and its new one lacks."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

from fastapi_domains.migrations import single_head
from tests import support
from tests.test_cli_domain import LONG, cli, copy_service, domain_args, tree

CUSTOMERS = domain_args("customers", "name:str", "email:str:unique")
ORDER_ITEMS = domain_args("order_items", "customer_id:ref:customers", "title:str", "note:text:optional")
TAGS = domain_args("tags", "label:str")


@pytest.fixture(scope="module")
def service(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """customers, order_items (a reference to customers) and tags (one field), committed."""
    service = copy_service(template, tmp_path_factory.mktemp("refusals") / "acme", "example_domain=false")
    for domain in (CUSTOMERS, ORDER_ITEMS, TAGS):
        cli("domain", *domain, "--no-input", cwd=service)
    support.commit_all(service, "Three domains")
    return service


@pytest.fixture
def copy_of_service(service: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(service, tmp_path / "acme", symlinks=True))


def assert_refused(service: Path, args: tuple[str, ...], *messages: str) -> None:
    before = tree(service)
    result = cli(*args, "--project", service, cwd=service.parent, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("fastapi-domains: error: ") and result.stderr.count("\n") == 1, result.stderr
    for message in messages:
        assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(service) == before


def add(*args: str) -> tuple[str, ...]:
    return ("field", "add", *args)


def change(*args: str) -> tuple[str, ...]:
    return ("field", "change", *args)


REFUSALS = {
    # field add: the grammar and checks of `domain`...
    "unknown domain": (add("nope", "phone:str:optional"), "the service has no domain 'nope' (its domains: customers, "),
    "unknown type": (add("customers", "phone:string"), "unknown type 'string'"),
    "bad field name": (add("customers", "Phone:str:optional"), "must be lowercase snake_case"),
    "keyword field": (add("customers", "class:str:optional"), "'class' is a Python keyword"),
    "reserved field": (add("customers", "id:int:optional"), "field name 'id' is reserved"),
    "shadowing field": (add("customers", "total:int:optional"), "would shadow a name"),
    "field too long": (add("customers", f"{LONG}x:str:optional"), "the limit is 30"),
    "datetime not _at": (add("customers", "seen:datetime:optional"), "must end in '_at'"),
    "unique json": (add("customers", "data:json:unique"), "a json field cannot be unique"),
    "unique text": (add("customers", "bio:text:unique"), "a text field cannot be unique", "use str:unique"),
    "enum with one value": (add("customers", "rating:enum:good:optional"), "quoted so the shell does not read |"),
    "repeated modifier": (add("customers", "code:str:optional:optional"), "a modifier is repeated"),
    "same field twice": (add("customers", "a:str:optional", "a:text:optional"), "'a' is given more than once"),
    "ref to a missing domain": (add("customers", "shop_id:ref:shops:optional"), "references the domain 'shops'"),
    "ref without _id": (add("order_items", "tag:ref:tags:optional"), "must end in '_id'"),
    "unique ref": (add("order_items", "tag_id:ref:tags:unique"), "only 'optional'"),
    # ...and those of a domain that exists.
    "existing field": (add("customers", "email:str:optional"), "the domain customers has a field 'email' already"),
    "self reference": (add("customers", "parent_id:ref:customers:optional"), "a domain cannot reference itself"),
    "nested key taken": (add("order_items", "customer:str:optional"), "'customer' clashes with the row 'customer_id'"),
    "nesting over a field": (add("customers", "name_id:ref:tags:optional"), "'name' clashes with the row 'name_id'"),
    "required without default": (
        add("customers", "tier:int"),
        "field 'tier' is required and the table may have rows: give --default VALUE to fill them, "
        "or add it as tier:int:optional",
    ),
    "default of optional fields": (add("customers", "tier:int:optional", "--default", "1"), "are all optional"),
    "default not an int": (add("customers", "tier:int", "--default", "one"), "'one' is not a whole number"),
    "default out of range": (add("customers", "tier:int", "--default", "2147483648"), "from -2147483648 to"),
    "default not finite": (add("customers", "ratio:float", "--default", "nan"), "is not a finite number"),
    "default decimal places": (add("customers", "price:decimal", "--default", "1.005"), "2 after the point"),
    "default not a bool": (add("customers", "vip:bool", "--default", "yes"), "'yes' is not true or false"),
    "default not a date": (add("customers", "birth_date:date", "--default", "2024-02-30"), "a date as YYYY-MM-DD"),
    "default naive datetime": (add("customers", "seen_at:datetime", "--default", "2024-01-31T09:30"), "its offset"),
    "default not a uuid": (add("customers", "code:uuid", "--default", "12"), "'12' is not a UUID"),
    "default not a choice": (add("customers", "status:enum:draft|paid", "--default", "sent"), "one of draft, paid"),
    "default json scalar": (add("customers", "data:json", "--default", "5"), "a JSON object or array"),
    "default empty text": (add("customers", "nick:str", "--default", ""), "a text of 1 to 255 characters"),
    "default too long": (add("customers", "bio:text", "--default", "x" * 98), "too long to write into the migration"),
    "default not a key": (add("order_items", "tag_id:ref:tags", "--default", "0"), "the id of an existing row"),
    # field remove
    "remove from unknown domain": (("field", "remove", "nope", "name"), "the service has no domain 'nope'"),
    "remove unknown field": (
        ("field", "remove", "customers", "phone"),
        "the domain customers has no field 'phone' (its fields: name, email)",
    ),
    "remove the key": (
        ("field", "remove", "customers", "id"),
        "'id' is a column every table has, not a field: it cannot be removed; other domains' references point "
        "to it: order_items.customer_id",
    ),
    "remove a timestamp": (("field", "remove", "tags", "created_at"), "'created_at' is a column every table has"),
    "remove the only field": (
        ("field", "remove", "tags", "label"),
        "'label' is the only field of tags, and a domain needs one; remove the domain instead: "
        "fastapi-domains remove tags",
    ),
    "field remove without --yes": (
        ("field", "remove", "customers", "email"),
        "field remove drops the column customer.email and every value in it; confirm with --yes (there is no "
        "terminal to ask on)",
    ),
    # field rename
    "rename in unknown domain": (("field", "rename", "nope", "name", "full_name"), "the service has no domain 'nope'"),
    "rename unknown field": (
        ("field", "rename", "customers", "phone", "mobile"),
        "the domain customers has no field 'phone' (its fields: name, email)",
    ),
    "rename the key": (
        ("field", "rename", "customers", "id", "key"),
        "'id' is a column every table has, not a field: it cannot be renamed",
    ),
    "rename a timestamp": (("field", "rename", "tags", "updated_at", "changed_at"), "'updated_at' is a column every"),
    "rename to a taken name": (
        ("field", "rename", "customers", "name", "email"),
        "the domain customers has a field 'email' already",
    ),
    "rename to a reserved name": (("field", "rename", "customers", "name", "created_at"), "'created_at' is reserved"),
    "rename to a shadowing name": (("field", "rename", "customers", "name", "total"), "would shadow a name"),
    "rename to a keyword": (("field", "rename", "customers", "name", "class"), "'class' is a Python keyword"),
    "rename to a bad name": (("field", "rename", "customers", "name", "Name"), "must be lowercase snake_case"),
    "rename to a long name": (("field", "rename", "customers", "name", f"{LONG}x"), "the limit is 30"),
    "rename to the same name": (("field", "rename", "customers", "name", "name"), "has that name already"),
    "rename a ref without _id": (("field", "rename", "order_items", "customer_id", "buyer"), "must end in '_id'"),
    "rename onto a nested key": (
        ("field", "rename", "order_items", "title", "customer"),
        "'customer' clashes with the row 'customer_id'",
    ),
    "rename a ref over a field": (
        ("field", "rename", "order_items", "customer_id", "title_id"),
        "'title' clashes with the row 'title_id'",
    ),
    # field change
    "change in unknown domain": (change("nope", "name:str:unique"), "the service has no domain 'nope'"),
    "change unknown field": (change("customers", "phone:str"), "the domain customers has no field 'phone'"),
    "change the key": (change("customers", "id:int"), "'id' is a column every table has, not a field: it cannot be"),
    "change to the same spec": (change("customers", "name:str"), "the field 'name' of customers is name:str already"),
    "change to an unknown type": (change("customers", "name:string"), "unknown type 'string'"),
    "change to unique text": (change("order_items", "note:text:unique"), "a text field cannot be unique"),
    "change a reference's domain": (change("order_items", "customer_id:ref:tags"), "a reference keeps its type and"),
    "change a reference's type": (change("order_items", "customer_id:int"), "a reference keeps its type and domain"),
    "change without a safe conversion": (
        change("customers", "name:int"),
        "name:str -> name:int has no safe conversion: give --using SQL",
    ),
    "change --using the same type": (
        change("customers", "name:str:unique", "--using", "upper(name)"),
        "--using converts values to a new type; 'name' keeps its type str",
    ),
    "change --using on two lines": (
        change("customers", "name:text", "--using", "name\n|| 'x'"),
        "--using must be one line of SQL of 1 to 90 characters",
    ),
    "change --using without --yes": (
        change("customers", "name:int", "--using", "CAST(name AS INTEGER)"),
        "field change converts every value of customer.name with 'CAST(name AS INTEGER)'; confirm with --yes",
    ),
    "change --default not made required": (
        change("customers", "name:str:unique", "--default", "x"),
        "--default fills the rows where a field made required is null; name:str -> name:str:unique does not",
    ),
    "change --default not a value": (change("order_items", "note:text", "--default", ""), "a text of 1 to 10000"),
    # remove
    "remove unknown domain": (("remove", "nope"), "the service has no domain 'nope'"),
    "remove without --yes": (
        ("remove", "tags"),
        "remove drops the table tag and every row in it; confirm with --yes (there is no terminal to ask on)",
    ),
    "remove a referenced domain": (
        ("remove", "customers"),
        "the domain customers is referenced by order_items.customer_id: remove those fields",
    ),
}


@pytest.mark.parametrize(
    ("args", "messages"), [(args, messages) for args, *messages in REFUSALS.values()], ids=REFUSALS.keys()
)
def test_bad_input_is_refused_and_writes_nothing(service: Path, args: tuple[str, ...], messages: list[str]) -> None:
    assert_refused(service, args, *messages)


# With --yes, as a script runs them: the refusals below come before or after the confirmation.
COMMANDS = {
    "field add": add("customers", "phone:str:optional"),
    "field remove": ("field", "remove", "order_items", "note", "--yes"),
    "field rename": ("field", "rename", "customers", "name", "full_name"),
    "field change": ("field", "change", "customers", "name:str:unique"),
    "remove": ("remove", "order_items", "--yes"),
    "rename": ("rename", "customers", "clients", "--yes"),
}


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_folder_that_is_not_a_service_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    assert_refused(tmp_path, args, "is not a service generated by fastapi-domains (no .copier-answers.yml)")


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_two_migration_heads_are_refused(copy_of_service: Path, args: tuple[str, ...]) -> None:
    (copy_of_service / "alembic" / "versions" / "20250101_feedbeef0000_other_root.py").write_text(
        'revision = "feedbeef0000"\ndown_revision = None\n'
    )
    assert_refused(copy_of_service, args, "the migrations have 2 heads")


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_answers_missing_an_answer_are_refused(copy_of_service: Path, args: tuple[str, ...]) -> None:
    """Copier would render a lost answer's default: another table, another migration."""
    for answers_file in (copy_of_service / ".copier").glob("domain-*.yml"):
        answers = yaml.safe_load(answers_file.read_text())
        del answers["table_name"]
        answers_file.write_text(yaml.safe_dump(answers))
    assert_refused(copy_of_service, args, "lacks the answer table_name")


@pytest.mark.parametrize("command", ["field add", "field remove", "field rename", "field change", "rename"])
def test_fields_of_a_service_outside_git_are_refused(copy_of_service: Path, command: str) -> None:
    """Copier merges edits with git; `remove` deletes files and needs none."""
    shutil.rmtree(copy_of_service / ".git")
    assert_refused(copy_of_service, COMMANDS[command], "is not in a git repository; run `git init")


def test_a_template_version_too_old_to_change_a_domain_is_refused(copy_of_service: Path, tmp_path: Path) -> None:
    """A domain rendered at a release without `changes`: its migration cannot be rendered there."""
    old = support.snapshot_template(tmp_path / "old-template")
    copier_yml = old / "copier.yml"
    copier_yml.write_text(copier_yml.read_text().split("\nchanges:\n")[0] + "\n")
    for migration in (old / "template" / "domain" / "alembic" / "versions").glob("{% if changes*"):
        migration.unlink()
    support.commit_all(old, "A release before domains could change")
    for answers_file in (copy_of_service / ".copier").glob("domain-*.yml"):
        answers = yaml.safe_load(answers_file.read_text())
        answers_file.write_text(yaml.safe_dump({**answers, "_src_path": str(old), "_commit": "HEAD"}))
    support.commit_all(copy_of_service, "Domains from the old release")
    for args in COMMANDS.values():
        assert_refused(
            copy_of_service,
            args,
            "the domain ",
            "'s template version (HEAD) cannot change a domain; update the service to a newer template first",
        )


# ------------------------------------------------------------------------------------ dry runs


@pytest.mark.parametrize("args", COMMANDS.values(), ids=COMMANDS.keys())
def test_dry_run_prints_the_files_and_the_migration_and_writes_nothing(service: Path, args: tuple[str, ...]) -> None:
    before = tree(service)
    result = cli(*args, "--dry-run", cwd=service)
    assert tree(service) == before
    assert result.stderr == ""
    assert (
        result.stdout.startswith("Dry run: ") and "would change these files (nothing was written):\n" in result.stdout
    )
    (migration,) = re.findall(r"^  A (alembic/versions/\S+\.py)$", result.stdout, re.M)
    migration_text = result.stdout.split(f"The migration it would write, {migration}:\n")[1]
    assert migration_text.startswith('"""') and "def downgrade() -> None:" in migration_text
    assert f'down_revision: str | Sequence[str] | None = "{single_head(service)}"\n' in migration_text
    listed = re.findall(r"^  ([AMD]) (\S+)$", result.stdout, re.M)
    if args[0] == "remove":
        assert ("D", "src/order_items/router.py") in listed and ("D", ".copier/domain-order_items.yml") in listed
    elif args[0] == "rename":
        assert ("D", "src/customers/router.py") in listed and ("A", "src/clients/router.py") in listed
        assert ("A", ".copier/domain-clients.yml") in listed and ("M", "src/order_items/schemas.py") in listed
    else:
        assert ("M", f".copier/domain-{args[2]}.yml") in listed and ("M", f"src/{args[2]}/models.py") in listed


# ------------------------------------------------------------------------------------ conflicts


def test_a_same_line_edit_stops_at_a_conflict_with_the_change_written(copy_of_service: Path) -> None:
    """The team's line where the new column goes: a conflict, reported as `update` reports one;
    everything else is written, so resolving it finishes the change."""
    models = copy_of_service / "src" / "customers" / "models.py"
    text = models.read_text()
    end = "\n\n\ncustomer_table"
    assert text.count(end) == 1, "the model's columns no longer end before its table alias"
    models.write_text(text.replace(end, "\n    # Acme: later." + end))
    result = cli("field", "add", "customers", "phone:str:optional", cwd=copy_of_service, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("fastapi-domains: adding phone to the domain customers (at its template version ")
    assert re.findall(r"^  (\S+)$", result.stderr, re.M) == ["src/customers/models.py"]
    assert "Resolve them (look for '<<<<<<< before updating'; delete any .rej file)" in result.stderr
    assert "  uv run alembic upgrade head\n" in result.stderr
    merged = models.read_text()
    assert "<<<<<<< before updating\n    # Acme: later.\n=======\n    phone: " in merged
    answers = yaml.safe_load((copy_of_service / ".copier" / "domain-customers.yml").read_text())
    assert [field["name"] for field in answers["fields"]] == ["name", "email", "phone"]
    assert len(list((copy_of_service / "alembic" / "versions").glob("*_add_customer_phone.py"))) == 1


# ------------------------------------------------------------------------------------ Copier


def test_copier_update_deletes_a_file_only_its_last_render_had_unless_excluded(tmp_path: Path) -> None:
    """Why copier.yml keeps migrations out of every update: a domain renders only its latest
    change's migration, and Copier's update deletes a file its last render had and its new one
    lacks, even one in `_skip_if_exists`. A file excluded on update is never touched."""
    template = tmp_path / "template"
    (template / "files").mkdir(parents=True)
    (template / "files" / "{{ _copier_conf.answers_file }}.jinja").write_text("{{ _copier_answers | to_nice_yaml }}")
    for latest in (1, 2):
        (template / "files" / f"{{% if latest == {latest} %}}m_{latest}.txt{{% endif %}}.jinja").write_text("m\n")
    question = "latest: {type: int, default: 1}\n_subdirectory: files\n"
    rules = {
        "skipped if it exists": '_skip_if_exists: ["m_*.txt"]\n',
        "excluded on update": "_exclude: [\"{% if _copier_operation == 'update' %}m_*.txt{% endif %}\"]\n",
    }
    kept = {}
    for name, rule in rules.items():
        (template / "copier.yml").write_text(question + rule)
        support.commit_all(template, name)
        project = tmp_path / name.replace(" ", "-")
        support.copier_cli("copy", "--defaults", "--vcs-ref", "HEAD", template, project, cwd=tmp_path)
        support.commit_all(project, "Copy with latest=1")
        support.copier_cli("update", "--defaults", "--vcs-ref", "HEAD", "--data", "latest=2", cwd=project)
        kept[name] = sorted(path.name for path in project.glob("m_*.txt"))
    assert kept == {"skipped if it exists": ["m_2.txt"], "excluded on update": ["m_1.txt"]}

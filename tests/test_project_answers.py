"""Answers a user can get wrong, and the ways a copy can be started."""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests import support

BAD_ANSWERS = [
    ("project_name=", "project_name must not be empty"),
    ("project_name=!!!", "project_slug must be lowercase snake_case"),
    ("project_slug=Bad-Slug", "project_slug must be lowercase snake_case"),
    # Dashed for Kubernetes, `shop__x_` would be `shop--x-`: no RFC 1123 label.
    ("project_slug=shop__x_", "project_slug must be lowercase snake_case"),
    ("project_slug=shop_", "none at the end (got 'shop_')"),
    # `<slug>_test` is a PostgreSQL database and `<slug>-migrate` a Kubernetes Job: 63 at most.
    (f"project_slug={'a' * 56}", "project_slug is 56 characters long; the limit is 55"),
    ("database=mysql", "'mysql' is not in"),
    ("python_version=3.9", "'3.9' is not in"),
    ("pk_type=serial", "'serial' is not in"),
    ("api_prefix=api/v1/", "api_prefix must be empty or like /api/v1"),
    ("author_email=nobody", "author_email must look like"),
    ("cors_origins=https://app.example.com/path", "cors_origins must be comma-separated origins"),
    ("cors_origins=app.example.com", "not: app.example.com"),
    ("license=GPL-3.0", "'GPL-3.0' is not in"),
    ("copyright_year=99", "copyright_year must be a four-digit year"),
    ("with_docker=maybe", "with_docker must be true or false"),
    ("with_ci=2", "with_ci must be true or false"),
]


@pytest.mark.parametrize(("answer", "message"), BAD_ANSWERS, ids=[answer for answer, _ in BAD_ANSWERS])
def test_bad_answer_is_refused_and_writes_nothing(template: Path, tmp_path: Path, answer: str, message: str) -> None:
    destination = tmp_path / "service"
    result = support.copier_cli(*support.COPY_ARGS, "--data", answer, template, destination, cwd=tmp_path, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert not destination.exists()


def test_copy_from_a_plain_folder_without_git_on_path(template: Path, tmp_path: Path) -> None:
    """No git anywhere: the copy still succeeds, the example domain is added, and the hook
    says what to do instead of committing."""
    plain = tmp_path / "plain-template"
    shutil.copytree(template, plain, ignore=shutil.ignore_patterns(".git"))
    no_git_path = str(Path(sys.executable).parent)
    assert shutil.which("git", path=no_git_path) is None
    # No --vcs-ref: a plain folder has no versions.
    copy_args = [arg for arg in support.COPY_ARGS if arg not in ("--vcs-ref", "HEAD")]
    command = [sys.executable, "-m", "copier", *copy_args, plain, tmp_path / "service"]
    result = support.run(*command, cwd=tmp_path, env={"PATH": no_git_path})
    service = tmp_path / "service"
    assert "git not found" in result.stdout + result.stderr
    assert not (service / ".git").exists()
    assert (service / "src" / "items" / "router.py").is_file()
    assert yaml.safe_load((service / ".copier" / "domain-items.yml").read_text())["_src_path"] == str(plain)


def test_relative_template_path_is_resolved_and_warned_about(template: Path, tmp_path: Path) -> None:
    relative = os.path.relpath(template, tmp_path)
    command = [sys.executable, "-m", "copier", *support.COPY_ARGS, relative, "service"]
    # A shell sets PWD to where the user stands; the relative path is relative to it.
    result = support.run(*command, cwd=tmp_path, env={"PWD": str(tmp_path)})
    assert "is relative" in result.stderr
    answers = yaml.safe_load((tmp_path / "service" / ".copier" / "domain-items.yml").read_text())
    assert answers["_src_path"] == str(template)


def test_copy_inside_an_existing_repository_does_not_commit(template: Path, tmp_path: Path) -> None:
    support.commit_all(tmp_path, "monorepo")
    support.render(template, tmp_path / "services" / "acme")
    assert not (tmp_path / "services" / "acme" / ".git").exists()
    assert support.git(tmp_path, "rev-list", "--count", "HEAD").stdout.strip() == "1"
    assert "services/" in support.git(tmp_path, "status", "--porcelain").stdout


RFC_1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def test_the_longest_slug_fits_every_name_it_makes(
    template: Path, tmp_path: Path, service_env: support.ServiceEnv
) -> None:
    """A 55-character slug: its databases fit PostgreSQL's 63 bytes (Alembic creates and migrates
    the development one), its Kubernetes names are RFC 1123 labels, its code is ruff clean, and a
    long project name gets a default slug that fits too."""
    slug = "s" + "_x" * 27
    assert len(slug) == 55
    service = support.render(template, tmp_path / "longest", project_slug=slug, database="postgresql")
    env_example = (service / ".env.example").read_text()
    databases = re.findall(r"^(?:TEST_)?DATABASE_URL=.*/(\w+)$", env_example, re.MULTILINE)
    assert databases == [slug, f"{slug}_test"]
    assert all(len(name.encode()) <= 63 for name in databases)
    names = []
    for manifest in (service / "deploy" / "k8s").glob("*.yaml"):
        for document in yaml.safe_load_all(manifest.read_text()):
            names.append(document["metadata"]["name"])
            names += list(document["metadata"].get("labels", {}).values())
    assert f"{slug.replace('_', '-')}-migrate" in names
    assert [name for name in names if not RFC_1123_LABEL.match(name)] == []
    # Its long URLs are laid out as the formatter would, and lint finds nothing.
    support.run(service_env.tool("ruff"), "check", "--no-cache", ".", cwd=service)
    support.run(service_env.tool("ruff"), "format", "--check", "--no-cache", ".", cwd=service)
    try:
        support.run(service_env.tool("python"), "-m", "alembic", "upgrade", "head", cwd=service)
        support.run(service_env.tool("python"), "-m", "alembic", "downgrade", "base", cwd=service)
    finally:
        support.drop_pg_database(slug)

    long_name = "The International Business Machines Corporation of Greater Acme Holdings"
    named = support.render(template, tmp_path / "named", project_name=long_name)
    default = yaml.safe_load((named / ".copier-answers.yml").read_text())["project_slug"]
    assert default == "the_international_business_machines_corporation_of_grea"

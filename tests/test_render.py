"""Rendering from the exported template (src/fastapi_domains/render.py) is rendering with Copier:
on a small template of two kinds, the files and the answers file (its `_commit` and `_src_path`
included) equal `copier copy --vcs-ref` of the same version, whether the answers file is written
as Copier's own recipe writes it or in a layout the CLI cannot patch (Copier then renders it). Only
the files a kind reads are exported."""

from pathlib import Path

import pytest

from fastapi_domains import render
from tests import support

COPIER_YML = """\
_subdirectory: "kinds/{{ template_kind }}"
_answers_file: ".answers-{{ template_kind }}.yml"
template_kind:
  type: str
  default: a
name:
  type: str
  default: world
"""
ANSWERS = {
    "Copier's recipe": "# Changes here will be overwritten by Copier\n{{ _copier_answers|to_nice_yaml -}}\n",
    "another layout": "{{ _copier_answers|to_json }}\n",
}


def tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.fixture(params=ANSWERS.keys())
def template(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Two kinds sharing a macro file, tagged v1.0.0, with a commit after the tag."""
    template = tmp_path / "template"
    (template / "kinds" / "a" / "src").mkdir(parents=True)
    (template / "kinds" / "b").mkdir(parents=True)
    (template / "copier.yml").write_text(COPIER_YML)
    (template / "kinds" / "macros.jinja").write_text("{% macro greet(name) %}Hello, {{ name }}!{% endmacro %}\n")
    (template / "kinds" / "a" / "src" / "{{ name }}.txt.jinja").write_text(
        "{% import 'kinds/macros.jinja' as m %}{{ m.greet(name) }}\n"
    )
    (template / "kinds" / "a" / "{{ _copier_conf.answers_file }}.jinja").write_text(ANSWERS[request.param])
    (template / "kinds" / "b" / "other.txt").write_text("another kind\n")
    support.commit_all(template, "A template")
    support.git(template, "tag", "v1.0.0")
    (template / "kinds" / "a" / "src" / "later.txt").write_text("after the tag\n")
    support.commit_all(template, "After the tag")
    return template


@pytest.mark.parametrize("version", ["v1.0.0", "HEAD~0"])
def test_a_render_from_the_export_is_copier_copy_of_that_version(template: Path, tmp_path: Path, version: str) -> None:
    data = {"template_kind": "a", "name": "ada"}
    commit = support.git(template, "describe", "--tags", "--always", version).stdout.strip()
    reference = tmp_path / "copier"
    support.copier_cli("copy", "--defaults", "--vcs-ref", commit, "--data", "template_kind=a", "--data", "name=ada",
                       template, reference, cwd=tmp_path)  # fmt: skip
    with render.template_at(str(template), commit, "a") as exported:
        assert exported.exported is not None and exported.commit == commit
        assert set(tree(exported.exported)) == {
            "copier.yml",
            "kinds/a/src/{{ name }}.txt.jinja",
            "kinds/a/{{ _copier_conf.answers_file }}.jinja",
            *(["kinds/a/src/later.txt"] if version == "HEAD~0" else []),
            "kinds/macros.jinja",
        }
        render.render(exported, tmp_path / "cli", data, answers_file=".answers-a.yml")
    assert tree(tmp_path / "cli") == tree(reference)
    assert (tmp_path / "cli" / "src" / "ada.txt").read_text() == "Hello, ada!\n"

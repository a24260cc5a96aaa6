"""Rendering with Copier's API at a template version, without a clone per render.

Given a git template and a version, Copier clones the template and checks the version out for
every render: a second of git work and a full checkout each time. For a template on this machine,
the files a render of one kind reads (copier.yml, the kind's folder and the files beside it, such
as the macros its files import) are exported once at that version (`git archive`), every render
of the command reads them, and the answers file then records the template's location and version
(`_src_path`, `_commit`) exactly as Copier records them: the location asked for, and `git describe
--tags --always` of the version. A template Copier clones from a URL, a plain folder, and `HEAD`
(whose uncommitted changes Copier includes) are rendered by Copier as it does it itself.

This module imports Copier: the commands load it only once their checks have passed.
"""

import io
import posixpath
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import copier
import jinja2
import yaml

from fastapi_domains import working_copy

# Copier compiles each template string anew whenever it renders it: every question's default and
# condition, every path, `_answers_file` once per file. A command renders a domain two to four times,
# compiling the same hundred-odd strings a thousand times. The code Jinja compiles depends only on
# the source and the environment's syntax and extensions, so each is compiled once per process.
_compile = jinja2.Environment.compile
_compiled: dict[tuple, object] = {}


def _compile_once(
    environment: jinja2.Environment,
    source: str | jinja2.nodes.Template,
    name: str | None = None,
    filename: str | None = None,
    raw: bool = False,
    defer_init: bool = False,
) -> object:
    if not isinstance(source, str):  # a parsed template: Jinja's own path
        return _compile(environment, source, name, filename, raw, defer_init)
    settings = (type(environment), environment.lexer, tuple(environment.extensions), environment.optimized)
    behaviour = (environment.autoescape, environment.finalize, environment.is_async)
    key = (settings, behaviour, source, name, filename, raw, defer_init)
    if key not in _compiled:
        _compiled[key] = _compile(environment, source, name, filename, raw, defer_init)
    return _compiled[key]


jinja2.Environment.compile = _compile_once

# The answers Copier writes first, about the template rather than the project.
ORIGIN = ("_commit", "_src_path")
# libyaml's safe loader when PyYAML has it: it reads copier.yml ten times faster than the Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Template:
    """A template at one version, as a render reads it."""

    source: str  # the template's location as Copier reaches it
    vcs_ref: str | None  # the version to render (None: the folder as it is)
    src_path: str  # `_src_path` as the answers file records it
    # The exported files at `vcs_ref`, and `_commit` as Copier records it; None: Copier reads the source.
    exported: Path | None = None
    commit: str | None = None


@contextmanager
def template_at(source: str, vcs_ref: str | None, kind: str, src_path: str | None = None) -> Iterator[Template]:
    """The template at `vcs_ref`, exported for a render of `kind` when git can; `src_path` is the
    location the answers record (default: `source`)."""
    native = Template(source, vcs_ref, src_path or source)
    if not vcs_ref or vcs_ref == "HEAD" or vcs_ref.startswith("-") or not Path(source).is_dir():
        yield native
        return
    with tempfile.TemporaryDirectory(prefix="fastapi-domains-template-") as scratch:
        commit = export(Path(source), vcs_ref, kind, Path(scratch))
        yield Template(source, vcs_ref, native.src_path, Path(scratch), commit) if commit else native


def export(repository: Path, vcs_ref: str, kind: str, destination: Path) -> str | None:
    """Write the files a render of `kind` reads at `vcs_ref` into `destination`, and return the
    version as Copier records it; None when git cannot (Copier then says why, in its own words)."""
    described = _git(repository, "describe", "--tags", "--always", vcs_ref)
    archive = _git(repository, "archive", "--format=tar", vcs_ref) if described.returncode == 0 else described
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        members = [member for member in tar.getmembers() if member.isfile() or member.issym()]
        subdirectory = _subdirectory(tar, members, kind)
        for member in members:
            if not _read_by_kind(member.name, subdirectory) or not _inside(member.name):
                continue
            target = destination / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if member.issym():
                target.symlink_to(member.linkname)
                continue
            content = tar.extractfile(member)
            target.write_bytes(content.read() if content else b"")
            target.chmod(member.mode & 0o777)
    return described.stdout.decode().strip()


def _subdirectory(tar: tarfile.TarFile, members: list[tarfile.TarInfo], kind: str) -> str:
    """The folder copier.yml renders for `kind` (`template/domain`), or "" to export everything
    when it cannot be told."""
    config = next((member for member in members if member.name in ("copier.yml", "copier.yaml")), None)
    try:
        content = tar.extractfile(config) if config else None
        settings = yaml.load(content.read(), Loader=SAFE_LOADER) if content else None  # noqa: S506 - a safe loader
        folder = jinja2.Template(str(settings.get("_subdirectory") or "")).render(template_kind=kind).strip("/")
    except (yaml.YAMLError, jinja2.TemplateError, AttributeError):
        return ""
    return folder if any(member.name.startswith(f"{folder}/") for member in members) else ""


def _read_by_kind(name: str, subdirectory: str) -> bool:
    """A file of the kind's folder, or one beside it or beside any folder above it (copier.yml,
    the macros the templates import); never another kind's files or the repository's code."""
    above = [""] + [subdirectory[:index] for index, char in enumerate(subdirectory) if char == "/"]
    return not subdirectory or name.startswith(f"{subdirectory}/") or posixpath.dirname(name) in above


def _inside(name: str) -> bool:
    return not posixpath.isabs(name) and ".." not in name.split("/")


def render(
    template: Template, destination: Path, data: dict[str, object], *, answers_file: str, exclude: Sequence[str] = ()
) -> None:
    """Copier's `copy` of the template into `destination` with `data` and default answers, its
    tasks skipped (a domain has none; the project's run at `new` only); `answers_file` then
    records the template as Copier would have, had it cloned the template itself."""
    location, vcs_ref = (str(template.exported), None) if template.exported else (template.source, template.vcs_ref)
    # `answers_file` named as `copier update -a` names it: Copier then need not render the template's
    # `_answers_file` for each path it writes (the same path, for every kind of the CLI).
    options = {"answers_file": answers_file, "exclude": exclude, "defaults": True, "unsafe": True, "quiet": True}
    copier.run_copy(location, destination, data=data, vcs_ref=vcs_ref, skip_tasks=True, **options)
    recorded = destination / answers_file
    if recorded.is_file() and not record_origin(recorded, template):
        # An answers file in another layout than Copier's own: Copier renders it, cloning.
        copier.run_copy(template.source, destination, data=data, vcs_ref=template.vcs_ref, skip_tasks=True,
                        overwrite=True, **options)  # fmt: skip


def record_origin(answers_file: Path, template: Template) -> bool:
    """Make the rendered answers name the template as Copier records it: `_commit` (the exported
    version) and `_src_path`; False when the file does not hold them as Copier writes them."""
    text = answers_file.read_text()
    answers = yaml.safe_load(text)
    if not isinstance(answers, dict):
        return False
    written = {key: answers[key] for key in ORIGIN if key in answers}
    wanted = {"_commit": template.commit or written.get("_commit"), "_src_path": template.src_path}
    wanted = {key: value for key, value in wanted.items() if value is not None}
    if wanted == written:
        return True
    # The block starts a line (the header comment precedes it), once.
    before, after = f"\n{nice_yaml(written)}", f"\n{nice_yaml(wanted)}"
    if f"\n{text}".count(before) != 1:
        return False
    fixed = f"\n{text}".replace(before, after)[1:]
    if yaml.safe_load(fixed) != {**answers, **wanted}:
        return False
    answers_file.write_text(fixed)
    return True


def nice_yaml(mapping: dict[str, object]) -> str:
    """`mapping` as Copier's `to_nice_yaml` filter writes an answers file."""
    return yaml.dump(mapping, indent=4, allow_unicode=True, default_flow_style=False)


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=repository, capture_output=True, check=False, env=working_copy.git_env())  # noqa: S603, S607

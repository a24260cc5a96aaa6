"""Where a service's template lives, as Copier can reach it when the CLI renders a domain.

Copier records the location it was given as `_src_path`: a folder (maybe relative) or a git URL
(`gh:`, `git@`, `git+file://`, `git+https://`, `https://...git`, ...). Which of the two a location
is, is Copier's call: it is asked, with the function it reads `_src_path` with itself, so a source
Copier accepts is never refused here.
"""

import shutil
import sys
from pathlib import Path

from fastapi_domains import interrupts
from fastapi_domains.errors import CliError
from fastapi_domains.project import ANSWERS_FILE, Project


def warn(message: str) -> None:
    print(f"fastapi-domains: warning: {message}", file=sys.stderr)


def template_source(project: Project) -> str:
    """The template's location as Copier can reach it; warns when the domain cannot be updated."""
    source = project.src_path
    if not source:
        raise CliError(f"{project.root}/{ANSWERS_FILE} has no _src_path: the template's location is unknown")
    if project.commit and shutil.which("git") is None:
        # Copier would render the folder as it is now, maybe another version than the service's,
        # and record no `_commit`, so the domain could never be updated: refuse instead.
        raise CliError(
            f"git is not installed: the domain must be rendered from {source} at the service's template "
            f"version {project.commit}, and only git can check that version out; install git and run again"
        )
    folder = local_folder(project, source)
    if folder is None:
        # Copier clones a git URL itself; a version was recorded, so it read the source as one.
        if project.commit and is_git_url(source):
            return source
        raise CliError(f"the template source {source} does not exist (from the service's {ANSWERS_FILE})")
    if not Path(source).expanduser().is_absolute():
        warn(
            f"the template source {source!r} is a relative path; `copier update` of this domain works only "
            "from the folder it is relative to (generate services from an absolute path or a git URL)"
        )
    if not project.commit:
        warn(
            f"the template source {source} is a plain folder, not a git repository: this domain cannot be "
            "updated with `copier update` (generate services from a git URL or a git checkout)"
        )
    return str(folder.resolve())


def local_folder(project: Project, source: str) -> Path | None:
    """`source` as a path on this machine, if it is one: a relative one from the service, or from here."""
    path = Path(source).expanduser()
    candidates = [path] if path.is_absolute() else [project.root / path, Path.cwd() / path]
    return next((candidate for candidate in candidates if candidate.exists()), None)


def is_git_url(source: str) -> bool:
    """Whether Copier reads `source` as a git repository (a URL here: a folder was looked for first)."""
    # Copier is loaded only for a source that is no folder on this machine: the render that follows
    # needs it anyway. `get_repo` is internal to Copier, which has no public way to read a template
    # location (hence copier>=9.7, where it lives under this name).
    with interrupts.deferred():
        from copier._vcs import get_repo  # noqa: PLC0415

    return bool(get_repo(source))

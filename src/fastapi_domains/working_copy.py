"""The service's working tree as a re-render changes it: what Copier's update would write into it,
computed from two renders of the domain, and written all or nothing.

`copier update` renders the domain as it was last rendered (the old answers) and as it now is
(the new answers), then carries the user's edits over: a diff of the old render against the
project, applied onto the new render, and for any file where a hunk does not fit, a three-way
`git merge-file` with inline conflict markers. The same is done here, for the files that need it
only, against the working tree as it is (tracked files, edited or not, and untracked ones), so
uncommitted edits take part and nothing is committed: the result is what `copier update -a` run
on that tree would leave, without a scratch repository or a render per step.
"""

import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from fastapi_domains.errors import CliError

# The labels Copier gives the sides of an inline conflict: the user's, the last render's, the new one's.
LABELS = ("before updating", "last update", "after updating")
CONFLICT_MARKERS = frozenset({b"<<<<<<< before updating", b">>>>>>> after updating"})
# The diff Copier's update takes of the user's edits (its options, and git's defaults pinned).
_DIFF = ("diff", "--no-index", "--no-color", "--no-ext-diff", "--no-textconv", "--diff-algorithm=myers")
_DIFF += ("--src-prefix=a/", "--dst-prefix=b/", "--unified=3", "--inter-hunk-context=-1", "--")

_REPOSITORY_VARIABLES = frozenset({"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"})


@dataclass(frozen=True)
class Result:
    """What a re-render does to the service: each file written or deleted (None) and the conflicts."""

    files: dict[str, bytes | None]
    conflicts: list[str]


def rendered(folder: Path) -> dict[str, bytes]:
    """Every file of a render, by its path in the service."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def require_git(root: Path) -> None:
    """The service is in a git repository, as Copier's updates need (and its history keeps the
    edits a change merges)."""
    try:
        inside = _git(root, "rev-parse", "--is-inside-work-tree")
    except FileNotFoundError as error:
        raise CliError("git is not installed; Copier updates only work in a git repository") from error
    if inside.returncode != 0:
        raise CliError(f"{root} is not in a git repository; run `git init && git add -A && git commit` there first")


def merge(
    root: Path,
    old: dict[str, bytes],
    new: dict[str, bytes],
    taken: Iterable[str] = (),
    moved: Mapping[str, str] | None = None,
) -> Result:
    """What Copier's update writes into `root` when the render goes from `old` to `new`; the files
    in `taken` come from the new render whatever the tree holds (the answers file, which Copier
    writes rather than merges). `moved` maps a file's path in both renders to the path the tree
    holds it at now (a renamed domain's files): its edits are read from there, and that path goes."""
    moved = moved or {}
    files: dict[str, bytes | None] = dict.fromkeys(moved.values())
    edited: dict[str, tuple[bytes, bytes, bytes]] = {}
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        source = root / moved.get(name, name)
        current = source.read_bytes() if source.is_file() else None
        if after is None:  # Only the last render had it: Copier deletes it, edited or not.
            result = None
        elif name in taken:
            result = after
        elif current is None:  # A file the user deleted stays deleted; one new to the render is created.
            result = after if before is None else None
        elif current in (before, after) or before == after:  # One side changed it: that side's.
            result = after if current == before else current
        else:  # Both changed it (or both added it): the user's edits go onto the new render.
            edited[name] = (before or b"", current, after)
            continue
        if result != current or name in moved:
            files[name] = result
    merged, conflicts = carry_edits(edited)
    files.update((name, content) for name, content in merged.items() if content != edited[name][1] or name in moved)
    return Result(files, conflicts)


def carry_edits(edited: dict[str, tuple[bytes, bytes, bytes]]) -> tuple[dict[str, bytes], list[str]]:
    """Each file's edits (last render → working tree) carried onto its new render, as Copier does:
    `git apply` of the diff, and for a file where a hunk does not fit, `git merge-file` of the
    three versions instead, conflicts marked inline. Returns the merged files and the conflicted."""
    if not edited:
        return {}, []
    with tempfile.TemporaryDirectory(prefix="fastapi-domains-merge-") as scratch:
        folders = [Path(scratch) / side for side in ("old", "current", "new")]
        for name, versions in edited.items():
            for folder, content in zip(folders, versions, strict=True):
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(content)
        _, current, new = folders
        diff = _git(Path(scratch), *_DIFF, "old", "current", outside=Path(scratch))
        applied = _git(new, "apply", "--reject", "-p2", "-", stdin=diff.stdout, outside=Path(scratch))
        merged, conflicts = {}, []
        for name in edited:
            rejects = new / f"{name}.rej"
            if applied.returncode not in (0, 1) or rejects.exists():
                rejects.unlink(missing_ok=True)
                labels = [part for label in LABELS for part in ("-L", label)]
                merge_file = ("merge-file", *labels, "--", f"current/{name}", f"old/{name}", f"new/{name}")
                _git(Path(scratch), *merge_file, outside=Path(scratch))
                merged[name] = (current / name).read_bytes()
                if any(line.rstrip() in CONFLICT_MARKERS for line in merged[name].splitlines()):
                    conflicts.append(name)
            else:
                merged[name] = (new / name).read_bytes()
    return merged, conflicts


def _git(
    folder: Path, *args: str, stdin: bytes | None = None, outside: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """git in `folder`; with `outside`, git looks for no repository at or above that folder."""
    env = git_env() | ({"GIT_CEILING_DIRECTORIES": str(outside)} if outside else {})
    return subprocess.run(["git", *args], cwd=folder, input=stdin, capture_output=True, check=False, env=env)  # noqa: S603, S607


def git_env() -> dict[str, str]:
    """The environment for git, without the repository a caller's environment may name (a git hook
    sets GIT_DIR): git finds the repository of the folder it runs in."""
    return {key: value for key, value in os.environ.items() if key not in _REPOSITORY_VARIABLES}


def apply(root: Path, files: dict[str, bytes | None]) -> None:
    """Write (or delete, for None) every file under `root`, or, on a failure, restore all of them.
    Folders a deletion leaves empty go too, as Copier's update removes them."""
    saved = {name: (root / name).read_bytes() if (root / name).is_file() else None for name in files}
    try:
        for name, content in files.items():
            write(root / name, content)
    except OSError as error:
        for name, content in saved.items():
            with suppress(OSError):
                write(root / name, content)
        raise CliError(f"writing {name} failed, every file was restored: {error.strerror or error}") from error
    for name in (name for name, content in files.items() if content is None):
        for folder in (root / name).parents:
            if folder == root or not folder.is_relative_to(root):
                break
            with suppress(OSError):  # Gone already with a file deleted before, or not empty.
                folder.rmdir()


def write(path: Path, content: bytes | None) -> None:
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

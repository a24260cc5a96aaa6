"""A throwaway git repository holding a service's working tree, for Copier to update.

Copier updates only a clean git tree, but a domain's fields change while its user is at work:
the service's files as they are now (tracked ones, edited or not, and untracked ones git does not
ignore) are committed into a temporary repository, Copier updates that one, and only the files
it changed are copied back. Uncommitted edits are thus part of Copier's three-way merge, and
nothing is committed in the user's repository.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from fastapi_domains.errors import CliError
from fastapi_domains.update import conflicted_files, git, one_line

# The snapshot's commit is ours alone: it needs no user identity, signature or hook.
_COMMIT = ("-c", "user.name=fastapi-domains", "-c", "user.email=fastapi-domains@localhost")
_COMMIT += ("-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "--allow-empty", "-m", "working tree")


@dataclass(frozen=True)
class Result:
    """What a run in the working copy did: each file written or deleted (None) and the conflicts."""

    files: dict[str, bytes | None]
    conflicts: list[str]


@contextmanager
def working_copy(root: Path) -> Iterator[Path]:
    """A git repository whose one commit is `root`'s working tree; removed afterwards."""
    listing = git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    if listing.returncode != 0:
        raise CliError(f"{root} is not in a git repository; run `git init && git add -A && git commit` there first")
    with tempfile.TemporaryDirectory(prefix="fastapi-domains-") as scratch:
        copy = Path(scratch) / root.name
        copy.mkdir()
        for name in filter(None, listing.stdout.split("\0")):
            source = root / name
            if source.is_file() or source.is_symlink():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name, follow_symlinks=False)
        # --force: a tracked file the service's .gitignore matches is part of the tree all the same.
        for args in (("init", "--quiet"), ("add", "--all", "--force"), _COMMIT):
            done = git(copy, *args)
            if done.returncode != 0:
                raise CliError(f"could not snapshot the working tree: git {args[-1]}: {one_line(done.stderr)}")
        yield copy


def result(copy: Path) -> Result:
    """The files the run changed in `copy`, with their new contents, and those left in conflict."""
    conflicts = conflicted_files(copy)
    # Staging everything records conflicted files as they are, markers included.
    git(copy, "add", "--all")
    changed = git(copy, "diff", "--cached", "--name-only", "--no-renames", "-z", "HEAD").stdout
    files = {}
    for name in filter(None, changed.split("\0")):
        path = copy / name
        files[name] = path.read_bytes() if path.is_file() else None
    return Result(files, conflicts)


def apply(root: Path, files: dict[str, bytes | None]) -> None:
    """Write (or delete, for None) every file under `root`, or, on a failure, restore all of them."""
    saved = {name: (root / name).read_bytes() if (root / name).is_file() else None for name in files}
    try:
        for name, content in files.items():
            write(root / name, content)
    except OSError as error:
        for name, content in saved.items():
            with suppress(OSError):
                write(root / name, content)
        raise CliError(f"writing {name} failed, every file was restored: {error.strerror or error}") from error


def write(path: Path, content: bytes | None) -> None:
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

"""The template's versions, as git tells them: its release tags, read once (Copier, left to pick a
version itself, warns once per step when there is none), and the commits versions name."""

import subprocess

from packaging.version import InvalidVersion, Version


def newest_release(source: str) -> str | None:
    """The newest release tag (PEP 440, no pre-releases) of the git repository at `source`, or
    None when it has none (or is not a git repository)."""
    listing = subprocess.run(  # noqa: S603 - a fixed git command; `--` ends its options
        ["git", "ls-remote", "--tags", "--refs", "--", source],  # noqa: S607 - git from PATH, as Copier runs it
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    releases = []
    for line in listing.splitlines():
        tag = line.partition("\t")[2].removeprefix("refs/tags/")
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            releases.append((version, tag))
    return max(releases)[1] if releases else None


def resolve_commits(repository: str, revisions: list[str]) -> list[str | None]:
    """The commit each revision (a tag, a branch, `v0.2.0-1-gabc1234` as Copier records versions)
    names in the local git repository `repository`, in one git call; None for one it does not."""
    # --batch-check reads each line as a revision, never as an option.
    listing = subprocess.run(
        ["git", "cat-file", "--batch-check=%(objectname) %(objecttype)"],  # noqa: S607 - git from PATH
        cwd=repository,
        input="".join(f"{revision}^{{commit}}\n" for revision in revisions),
        capture_output=True,
        text=True,
        check=False,
    )
    found = listing.stdout.splitlines() if listing.returncode == 0 else []
    if len(found) != len(revisions):
        return [None] * len(revisions)
    return [line.split()[0] if line.endswith(" commit") else None for line in found]


def template_is_dirty(repository: str) -> bool:
    """Whether the template's working tree has changes (Copier renders them along with HEAD)."""
    status = subprocess.run(
        ["git", "status", "--porcelain"],  # noqa: S607 - git from PATH
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
    )
    return status.returncode != 0 or bool(status.stdout.strip())

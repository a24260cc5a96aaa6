"""The template's release tags, read once: Copier, left to pick a version itself, warns once per
step when there is none."""

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

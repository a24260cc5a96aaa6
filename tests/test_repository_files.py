"""The repository's own files: no merge left its conflict markers behind (a user renders every
template file, and reads the changelog and README)."""

import re

from tests import support

MARKER = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)


def test_no_file_holds_conflict_markers() -> None:
    marked = []
    for name in support.tracked_files(support.REPO):
        try:
            text = (support.REPO / name).read_text()
        except UnicodeDecodeError:
            continue
        if MARKER.search(text):
            marked.append(name)
    assert marked == []

"""Migration step of the template: rename one answer in an answers file.

A release that renames a question lists this in `_migrations` (stage "before"), so Copier reads
the user's old answer under its new name instead of falling back to the default:

    ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/rename_answer.py",
     "{{ _copier_conf.answers_file }}", "project", "old_name", "new_name"]

Migrations run for every answers file a service has (the project's and each domain's), so the
step names the template kind it is for and leaves answers files of the other kind alone.
"""

import sys
from itertools import takewhile
from pathlib import Path

import yaml


def rename(answers_file: Path, kind: str, old: str, new: str) -> bool:
    """Rename `old` to `new` if this file is of `kind` and still has `old`; True if it changed."""
    if not answers_file.is_file():
        return False
    text = answers_file.read_text()
    answers = yaml.safe_load(text) or {}
    if answers.get("template_kind") != kind or old not in answers:
        return False
    value = answers.pop(old)
    # An answer already stored under the new name was given on purpose: it wins.
    answers.setdefault(new, value)
    header = "".join(takewhile(lambda line: line.startswith("#"), text.splitlines(keepends=True)))
    answers_file.write_text(header + yaml.safe_dump(answers, sort_keys=False, allow_unicode=True))
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print("usage: rename_answer.py ANSWERS_FILE KIND OLD NEW", file=sys.stderr)
        return 2
    answers_file, kind, old, new = argv
    rename(Path(answers_file), kind, old, new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

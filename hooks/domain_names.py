"""Migration step of the template (stage "before"): give a domain's answers file the names and
examples a later release's templates substitute, derived by the CLI's own names module, so that
there is still one definition of each.

A domain made before those answers existed has only its entity names, fields and migration: this
adds `entity_label`, `entity_text`, `domain_class`, `domain_label`, `env_prefix` and `migration_file` (the name its
create migration has), and each field's `example`
(and a reference's `nested` key); the auth domain's answers get their `migration_file` too.
Answers it already has are kept as they are; other kinds of answers files (the project's, an
external domain's) are left alone.
"""

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from fastapi_domains import domain_answers


def complete(answers: dict) -> dict:
    """`answers` with every derived answer it lacks."""
    entity = str(answers["entity_name"])
    names = domain_answers.derived_names(str(answers["domain_name"]), entity)
    # The label `fastapi-domains domain` derives when not given one (`--label`).
    names["entity_label"] = domain_answers.default_label(entity)
    names["migration_file"] = domain_answers.create_migration_file(answers, str(answers["table_name"]))
    pk_type = str(answers.get("pk_type", "int"))
    fields = [domain_answers.described(field, None, pk_type) | field for field in answers.get("fields") or []]
    return {**names, **answers, "fields": fields}


def main(answers_file: str) -> int:
    path = Path(answers_file)
    if not path.is_file():
        return 0
    text = path.read_text()
    answers = yaml.safe_load(text) or {}
    if not isinstance(answers, dict) or answers.get("template_kind") not in ("domain", "auth"):
        return 0
    if answers["template_kind"] == "auth":
        completed = {"migration_file": domain_answers.auth_migration_file(answers), **answers}
    else:
        completed = complete(answers)
    if completed != answers:
        header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        path.write_text(header + yaml.safe_dump(completed, sort_keys=True, allow_unicode=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

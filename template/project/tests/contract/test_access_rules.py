"""Access follows references: a domain's reads nest the rows its reference fields point to, and
its writes make rows point to them (which keeps those rows from being deleted), so a domain
references only domains at most as strict as itself, in the order public < writes <
authenticated < owner, and never an `owner` domain, whose rows are private to their users.

`fastapi-domains domain` and `field add` refuse such a reference; this test catches one made
later, e.g. by answering a domain's `access` again with `copier update`. It reads the domains'
answers (`.copier/domain-*.yml`), where each domain's access and references are recorded."""

from pathlib import Path
from typing import Any

import yaml

from tests.contract import scan

# From the least strict to the strictest. `writes` lets anyone read, as `public` does, but only
# signed-in users write: through a public domain, anyone could pin its rows with a reference.
STRICTNESS = ("public", "writes", "authenticated", "owner")
ANSWERS = scan.ROOT / ".copier"


def test_references_never_reach_a_stricter_domain() -> None:
    domains = _domains()
    violations = [
        violation for name, answers in domains.items() for violation in _stricter_references(name, answers, domains)
    ]
    scan.fail_on(
        "Access rules",
        f"a domain references only domains at most as strict as itself ({' < '.join(STRICTNESS)}), never an owner one",
        violations,
    )


def _domains() -> dict[str, dict[str, Any]]:
    """Each domain with a table, by name: its answers as the CLI recorded them."""
    domains = {}
    for path in sorted(ANSWERS.glob("domain-*.yml")):
        answers = yaml.safe_load(path.read_text())
        if isinstance(answers, dict) and answers.get("template_kind") == "domain":
            domains[str(answers["domain_name"])] = answers
    return domains


def _level(answers: dict[str, Any]) -> str:
    # Domains made before access rules existed are public.
    return str(answers.get("access") or "public")


def _stricter_references(name: str, answers: dict[str, Any], domains: dict[str, dict[str, Any]]) -> list[str]:
    level, found = _level(answers), []
    place = Path(".copier", f"domain-{name}.yml").as_posix()
    for field in answers.get("fields") or []:
        reference = field.get("ref")
        target = reference.get("domain") if isinstance(reference, dict) else reference
        if field.get("type") != "ref" or target == name or target not in domains:
            continue
        target_level = _level(domains[target])
        if target_level == "owner":
            found.append(
                f"{place}: {name}.{field['name']} references {target}, whose rows are private to their owners "
                "(access owner): a reference could reach another user's row; remove the field"
            )
        elif level in STRICTNESS and STRICTNESS.index(level) < STRICTNESS.index(target_level):
            found.append(
                f"{place}: {name}.{field['name']} references {target} (access {target_level}) from {name} (access "
                f"{level}): callers {target} refuses would reach its rows through {name}; make {name} at least as "
                f"strict ({target_level}) or remove the field"
            )
    return found

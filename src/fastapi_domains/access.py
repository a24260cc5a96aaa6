"""Who may call a domain's routes (`fastapi-domains domain NAME --access ...`), and the auth
domain that makes it possible: the users and tokens the template renders, once, as its `auth`
kind when the service's answers say `auth: jwt` (`.copier/domain-auth.yml`).

A domain's access is an answer of its own; `owner` adds an `owner_id` column referencing the
auth domain's users, so no field may take that name and no reference may reach such a domain's
rows (another user's row would be one id away).

Access follows references: a domain's reads nest the rows its `ref` fields point to, and its
writes make rows point to them (which keeps those rows from being deleted), so a domain may
reference another only if its own rule is at least as strict, in the order public < writes <
authenticated < owner. `writes` sits above `public` although both let anyone read: through a
public domain anyone could write a row that points at (and so pins) a row of a `writes` domain,
which that domain lets only signed-in users do. `authenticated` sits above `writes`: its rows are
read only with a token, and a `writes` domain's reads need none. An `owner` domain may reference
any other but `owner` ones (its reads need a token; its rows are its users' own).
"""

from pathlib import Path

from fastapi_domains.errors import CliError
from fastapi_domains.project import DOMAIN_ANSWERS_DIR, Project

PUBLIC = "public"
WRITES = "writes"
AUTHENTICATED = "authenticated"
OWNER = "owner"
LEVELS = (PUBLIC, AUTHENTICATED, WRITES, OWNER)
# From the least strict to the strictest: whom a domain's reads and writes let in (see above).
STRICTNESS = (PUBLIC, WRITES, AUTHENTICATED, OWNER)
# The column an owner-scoped domain adds, and the table it references.
OWNER_COLUMN = "owner_id"
USER_TABLE = "user"

AUTH_KIND = "auth"
AUTH_DOMAIN = "auth"
# What the auth domain's answers file holds (see domain_answers.RECORDED).
AUTH_RECORDED = (
    "template_kind",
    "domain_name",
    "database",
    "pk_type",
    "revision_id",
    "down_revision",
    "migration_date",
)
NOT_A_DOMAIN_TO_CHANGE = (
    "the domain 'auth' is the service's users and tokens, rendered by the template's auth kind: its tables "
    "and fields are the template's, never changed by `field add`, `field remove` or `remove`"
)


def is_auth(answers: dict) -> bool:
    return answers.get("template_kind") == AUTH_KIND


def level(answers: dict) -> str:
    """A domain's access; domains made before access rules existed are public."""
    return str(answers.get("access") or PUBLIC)


def check(project: Project, access: str) -> str:
    """`--access`, if the service can enforce it: anything but public needs the auth domain."""
    if access not in LEVELS:
        raise CliError(f"--access {access!r} is not an access level: choose one of {', '.join(LEVELS)}")
    if access == PUBLIC:
        return access
    if project.answers.get("auth") != "jwt":
        raise CliError(
            f"--access {access} needs signed-in users, and this service has no auth (its answers say auth: "
            f"{project.answers.get('auth', 'none')}); switch it on first (`fastapi-domains update --data auth=jwt`)"
        )
    if not auth_answers_file(project.root).is_file():
        raise CliError(
            f"--access {access} needs the auth domain, and this service has none ({auth_answers_file(Path())} is "
            "missing although its answers say auth: jwt); add it with `fastapi-domains update --data auth=jwt`"
        )
    return access


def may_reference(level: str, target_level: str) -> bool:
    """Whether a domain with access `level` may reference one with `target_level` (see above)."""
    return target_level != OWNER and STRICTNESS.index(level) >= STRICTNESS.index(target_level)


def check_reference(field: str, domain: str, level: str, target: str, target_level: str, *, adding: bool) -> None:
    """A reference from `domain` (access `level`) to `target` must not let anyone reach rows `target`
    refuses them; `adding` says the domain is being added (so its --access can still be chosen)."""
    if target_level == OWNER:
        raise CliError(
            f"field {field!r} references the domain {target!r}, whose rows are private to their owners (access "
            "owner): a reference could reach another user's row"
        )
    if may_reference(level, target_level):
        return
    fix = f"give --access {target_level} or stricter, or leave the field out" if adding else "leave the field out"
    raise CliError(
        f"field {field!r} of {domain} references the domain {target!r}, whose access ({target_level}) is stricter "
        f"than {domain}'s ({level}): callers {target} refuses would reach its rows through {domain}; a domain "
        f"references only domains at most as strict as itself ({' < '.join(STRICTNESS)}): {fix}"
    )


def auth_answers_file(root: Path) -> Path:
    return root / DOMAIN_ANSWERS_DIR / f"domain-{AUTH_DOMAIN}.yml"

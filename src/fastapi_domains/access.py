"""Who may call a domain's routes (`fastapi-domains domain NAME --access ...`), and the auth
domain that makes it possible: the users and tokens the template renders, once, as its `auth`
kind when the service's answers say `auth: jwt` (`.copier/domain-auth.yml`).

A domain's access is an answer of its own; `owner` adds an `owner_id` column referencing the
auth domain's users, so no field may take that name and no reference may reach such a domain's
rows (another user's row would be one id away).
"""

from pathlib import Path

from fastapi_domains.errors import CliError
from fastapi_domains.project import DOMAIN_ANSWERS_DIR, Project

PUBLIC = "public"
OWNER = "owner"
LEVELS = (PUBLIC, "authenticated", "writes", OWNER)
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
            f"{project.answers.get('auth', 'none')}); switch it on first (`copier update --trust --data auth=jwt`)"
        )
    if not auth_answers_file(project.root).is_file():
        raise CliError(
            f"--access {access} needs the auth domain, and this service has none ({auth_answers_file(Path())} is "
            "missing although its answers say auth: jwt); add it with `copier update --trust --data auth=jwt`"
        )
    return access


def auth_answers_file(root: Path) -> Path:
    return root / DOMAIN_ANSWERS_DIR / f"domain-{AUTH_DOMAIN}.yml"

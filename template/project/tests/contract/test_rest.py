"""RESTful design: paths name resources (plural collections, no verbs: the method is the verb),
and each method answers with its status: a create 201, a read or change 200, a delete 204."""

import inspect
import re

from fastapi import FastAPI, status
from fastapi.routing import APIRoute

from src.web import discovery
from tests.contract import scan

PRINCIPLE = "RESTful Design"
STATUSES = {
    "GET": {status.HTTP_200_OK},
    "POST": {status.HTTP_201_CREATED, status.HTTP_202_ACCEPTED},
    "PUT": {status.HTTP_200_OK, status.HTTP_204_NO_CONTENT},
    "PATCH": {status.HTTP_200_OK, status.HTTP_204_NO_CONTENT},
    "DELETE": {status.HTTP_204_NO_CONTENT, status.HTTP_202_ACCEPTED},
}
# Words that say what a request does, which is the method's job.
VERBS = frozenset(
    {
        *("get", "fetch", "find", "read", "list", "create", "add", "new", "make", "insert", "save"),
        *("update", "edit", "modify", "change", "set", "put", "post", "patch"),
        *("delete", "remove", "destroy", "do", "run", "execute", "send"),
    }
)
# The auth domain's routes are actions on a session (login, refresh, logout, ...), shaped by the
# OAuth2 password flow (its token endpoint is a POST answering 200), not resources.
SESSION_ACTIONS = "src.auth."


def resource_routes(app: FastAPI) -> list[APIRoute]:
    return [
        route
        for route in scan.domain_routes(app)
        if not inspect.unwrap(route.endpoint).__module__.startswith(SESSION_ACTIONS)
    ]


def test_methods_answer_with_their_status(app: FastAPI) -> None:
    violations = [
        f"{scan.describe(route)}: answers {route.status_code}; a {method} answers "
        f"{' or '.join(str(code) for code in sorted(STATUSES[method]))}"
        for route in resource_routes(app)
        for method in route.methods
        if method in STATUSES and route.status_code not in STATUSES[method]
    ]
    scan.fail_on(PRINCIPLE, "create 201, read and change 200, delete 204", violations)


def test_paths_name_plural_resources_without_verbs(app: FastAPI) -> None:
    domains = set(discovery.domain_names())
    violations = []
    for route in resource_routes(app):
        for segment in _literal_segments(route.path):
            verbs = sorted(VERBS.intersection(re.split(r"[_\-.]", segment)))
            if verbs:
                violations.append(f"{scan.describe(route)}: {verbs[0]!r} is a verb; let the method say it")
            elif segment not in domains and not segment.endswith("s"):
                violations.append(f"{scan.describe(route)}: {segment!r} is not a plural collection name")
    scan.fail_on(PRINCIPLE, "paths are plural resources without verbs", violations)


def _literal_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment and not segment.startswith("{")]

"""Operation ids a client can call: `<domain>_<action>` (`customers_list`, `customers_create`,
`orders_list_of_customer`, `auth_login`), instead of FastAPI's `list_customers_customers_get`.

The domain is the route's first tag, the action its function's name; a domain's router drops its
own name from it (`create_customer` is `customers_create`, see `without`). Ids never hold the
path, so they are the same with any API prefix and on every database. Generated clients name
their methods after them; a route's own `operation_id=` wins.
"""

import re
from collections.abc import Callable

from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """The app's rule: `<domain>_<function>` (`auth_login`, `health_live`)."""
    return f"{domain(route)}_{route.name}"


def without(*names: str) -> Callable[[APIRoute], str]:
    """A domain router's rule: `<domain>_<function without the domain's name or one of `names`>`
    (`list_order_items_of_order` without `order_items` is `order_items_list_of_order`,
    `create_order_item` without `order_item` is `order_items_create`)."""

    def domain_operation_id(route: APIRoute) -> str:
        # The longest name first (then by name: the same id on every run).
        for name in sorted({domain(route), *names}, key=lambda name: (-len(name), name)):
            action, found = re.subn(rf"(^|_){re.escape(name)}(?=_|$)", "", route.name, count=1)
            if found and action.strip("_"):
                return f"{domain(route)}_{action.strip('_')}"
        return operation_id(route)

    return domain_operation_id


def domain(route: APIRoute) -> str:
    return str(route.tags[0]) if route.tags else "api"

"""The route template a request matched, for logs and policies that must not see its values."""

from __future__ import annotations

from starlette.types import Scope

__all__ = ["UNMATCHED", "route_template", "mark_root"]

UNMATCHED = "<unmatched>"
_ROOT_KEY = "gatehouse.root_path"


def mark_root(scope: Scope) -> None:
    """Remember the root path before routing, so a mount's own prefix can be told from it."""
    scope.setdefault(_ROOT_KEY, scope.get("root_path", ""))


def route_template(scope: Scope) -> str:
    """The template of the route that took the request, e.g. ``/v1/orders/{order_id}``.

    Never the concrete path: ids and query values stay out. A mount (the static files) is
    its prefix and ``/{path}``; a request that matched nothing is ``<unmatched>``. Valid once
    routing has happened, that is from the answer's start on.
    """
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str):
        return template
    root = scope.get("root_path", "")
    base = scope.get(_ROOT_KEY, "")
    if isinstance(root, str) and isinstance(base, str) and len(root) > len(base):
        return f"{root[len(base) :]}/{{path}}"
    return UNMATCHED

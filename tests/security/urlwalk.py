"""Every URL pattern of the project, with its full route and namespaced name."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "clinic/responses/<int:pk>/"
    name: str | None  # e.g. "clinician:response_detail"
    pattern: URLPattern


def all_routes(resolver=None, prefix: str = "", namespace: str = "") -> list[Route]:
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            routes += all_routes(entry, prefix + str(entry.pattern), inner)
        else:
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            routes.append(Route(prefix + str(entry.pattern), name, entry))
    return routes

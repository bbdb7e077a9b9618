"""Every list's declared filters and sorts, and ids no database column can hold in every URL
and id filter of the API: never a 500.

The routes come from the URL conf, so every endpoint added later is checked too."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

OUT_OF_RANGE = ["9223372036854775808", "-9223372036854775809", "99999999999999999999999999"]
PATH_PARAMETER = re.compile(r"\(\?P<\w+>[^)]*\)|<[^>]+>")


def api_routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from api_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.startswith("v1/"):
            yield route, pattern.callback


def view_option(view, name: str):
    """An option of the view as it serves this route: a view set's action may set its own."""
    return getattr(view, "initkwargs", {}).get(name, getattr(getattr(view, "cls", None), name, None)) or []


def get_routes():
    for route, view in api_routes(get_resolver().url_patterns):
        actions = getattr(view, "actions", None)
        if actions is None or "get" in actions:
            yield (
                route,
                tuple(view_option(view, "filter_fields")),
                tuple(view_option(view, "ordering_fields")),
            )


ROUTES = sorted(set(get_routes()))


def requests():
    for route, filters, _ in ROUTES:
        for value in OUT_OF_RANGE:
            path = "/" + PATH_PARAMETER.sub(value.lstrip("-"), route)
            if path != "/" + route:
                yield path
            for name in filters:
                yield f"/{PATH_PARAMETER.sub('1', route)}?filter[{name}]={value}"
                yield f"/{PATH_PARAMETER.sub('1', route)}?filter[{name}]=1,{value}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(set(requests())))
def test_an_id_no_column_can_hold_is_an_error_or_nothing_never_a_500(api, site_admin, path):
    response = api.as_user(site_admin).get(path)
    assert response.status_code in (200, 400, 404, 405), response.content[:300]
    if response.status_code == 200 and isinstance(response.json().get("data"), list):
        assert response.json()["data"] == []


def sorted_lists():
    for route, _, fields in ROUTES:
        for field in fields:
            for order in ("", "-"):
                yield f"/{PATH_PARAMETER.sub('1', route)}?sort={order}{field.replace('_', '-')}"


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(set(sorted_lists())))
def test_every_declared_sort_of_every_list_works(api, site_admin, path):
    from events.factories import EventFactory, EventTopicFactory

    EventFactory(owner=site_admin, event_topic=EventTopicFactory())
    assert api.as_user(site_admin).get(path).status_code in (200, 404), path


def test_the_routes_under_test_include_the_id_filters_and_sorts():
    filtered = {route: filters for route, filters, _ in ROUTES if filters}
    assert "event" in filtered["v1/sessions"]
    assert "event-topic" in filtered["v1/events"]
    assert "state" in filtered["v1/event-topics/(?P<pk>[0-9]+)/events"]
    assert any(sorts for _, _, sorts in ROUTES)

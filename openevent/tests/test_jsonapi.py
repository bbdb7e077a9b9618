"""JSON:API for real clients (shared/docs/API.md, Conventions), run over every list endpoint by
one table and every actor of the speakers programme: compound documents that show only what a
direct GET shows, sparse fieldsets, links that lead somewhere and agree with each other, the
Open Event filter syntax (which narrows and never widens), and paging errors.

A list endpoint added later and missing from LISTS fails `test_every_list_endpoint_is_in_the_table`.
"""

import json
import re
from urllib.parse import quote, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory, EventTopicFactory
from events.models import Role, UsersEventsRoles
from openevent import filtering, renderers
from openevent.resources import declared_relationships, python_name, registry, wire_name
from openevent.schema import include_paths
from openevent.tests.test_list_parameters import api_routes
from orders.factories import AttendeeFactory, DiscountCodeFactory, OrderFactory, TicketFactory
from remotelab.factories import LabScriptFactory
from speakers.factories import SessionFactory, SpeakerFactory
from speakers.models import Session
from speakers.tests.conftest import programme as programme  # a fixture
from speakers.tests.test_permission_matrix import ACTORS

pytestmark = pytest.mark.django_db


# Each list endpoint (ids by name, see `ids`) and the type it lists.
LISTS = {
    "/v1/events": "event",
    "/v1/event-topics": "event-topic",
    "/v1/event-topics/{topic}/events": "event",
    "/v1/role-invites": "role-invite",
    "/v1/events/{P}/role-invites": "role-invite",
    "/v1/events/{P}/users-events-roles": "users-events-roles",
    "/v1/sessions": "session",
    "/v1/events/{P}/sessions": "session",
    "/v1/events/{D}/sessions": "session",
    "/v1/speakers/{speaker}/sessions": "session",
    "/v1/speakers": "speaker",
    "/v1/events/{P}/speakers": "speaker",
    "/v1/sessions/{accepted}/speakers": "speaker",
    "/v1/sessions/{pending}/speakers": "speaker",
    "/v1/sponsors": "sponsor",
    "/v1/events/{P}/sponsors": "sponsor",
    "/v1/tracks": "track",
    "/v1/events/{P}/tracks": "track",
    "/v1/microlocations": "microlocation",
    "/v1/events/{P}/microlocations": "microlocation",
    "/v1/session-types": "session-type",
    "/v1/events/{P}/session-types": "session-type",
    "/v1/remotelab/scripts": "lab-script",
    "/v1/tickets": "ticket",
    "/v1/events/{P}/tickets": "ticket",
    "/v1/discount-codes": "discount-code",
    "/v1/events/{P}/discount-codes": "discount-code",
    "/v1/discount-codes/{code}/tickets": "ticket",
    "/v1/attendees": "attendee",
    "/v1/events/{P}/attendees": "attendee",
    "/v1/orders": "order",
    "/v1/events/{P}/orders": "order",
    "/v1/orders/{order}/attendees": "attendee",
    "/v1/users/me/orders": "order",
    "/v1/custom-forms": "custom-form",
    "/v1/events/{P}/custom-forms": "custom-form",
}


@pytest.fixture
def world(programme):
    topic = EventTopicFactory(name="Science")
    programme.events["P"].event_topic = topic
    programme.events["P"].save()
    owner = UsersEventsRoles.objects.get(event=programme.events["P"], role__name=Role.OWNER).user
    event_services.create_invite(
        owner, programme.events["P"], email="guest@example.com", role_name="moderator"
    )
    LabScriptFactory(owner=programme.users["submitter"], title="Blink", code="print(1)")
    tickets = [
        TicketFactory(event=programme.events["P"]),
        TicketFactory(event=programme.events["P"], is_hidden=True),
    ]
    code = DiscountCodeFactory(event=programme.events["P"], tickets=tickets)
    bought = AttendeeFactory(ticket=tickets[0], creator=programme.users["submitter"])
    order = OrderFactory(event=programme.events["P"], buyer=programme.users["submitter"], attendees=[bought])
    AttendeeFactory(ticket=tickets[0], creator=programme.users["other_user"])
    programme.ids = {
        "P": programme.events["P"].pk,
        "D": programme.events["D"].pk,
        "topic": topic.pk,
        "speaker": programme.speakers["pending"].pk,
        "accepted": programme.sessions["accepted"].pk,
        "pending": programme.sessions["pending"].pk,
        "code": code.pk,
        "order": order.pk,
    }
    return programme


def as_actor(api, world, actor):
    user = world.users[actor]
    if getattr(api, "actor", None) != actor:
        api.actor, api.answers = actor, {}
        api.credentials()
        if user is not None:
            api.as_user(user)
    return api


def get(api, url: str):
    """GET as the client's actor, answered once per URL within a test (a walk asks many twice)."""
    cache = api.__dict__.setdefault("answers", {})  # as_actor starts it afresh
    if url not in cache:
        cache[url] = api.get(url)
        assert cache[url].status_code < 500, (url, cache[url].content[:300])
    return cache[url]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_query(path: str, **parameters) -> str:
    query = "&".join(f"{name}={quote(str(value))}" for name, value in parameters.items())
    return f"{path}{'&' if '?' in path else '?'}{query}"


def includes_of(type_: str) -> list[str]:
    """Every declared relationship of the type, and each one's own relationships one level down."""
    return include_paths(registry[type_].serializer_class)


def listing(api, world, actor, path):
    """The whole list as the actor sees it (None where they may not list it)."""
    response = get(as_actor(api, world, actor), with_query(path.format(**world.ids), **{"page[size]": 100}))
    if response.status_code != 200:
        assert response.status_code in (401, 403, 404), response.content[:300]
        return None
    return response.json()


@pytest.mark.parametrize("actor", ACTORS)
def test_every_list_keeps_the_conventions(api, world, actor):
    """Each list as each actor: what it includes, where its links lead, what its filters find."""
    as_actor(api, world, actor)
    for path in LISTS:
        check_included_resources_are_what_a_direct_get_shows(api, world, actor, path)
        check_links_lead_where_they_say_and_agree(api, world, actor, path)
        check_the_filter_syntax_narrows_and_never_widens(api, world, actor, path)


def check_included_resources_are_what_a_direct_get_shows(api, world, actor, path):
    type_ = LISTS[path]
    url = with_query(path.format(**world.ids), include=",".join(includes_of(type_)), **{"page[size]": 100})
    response = get(as_actor(api, world, actor), url)
    if response.status_code != 200:
        assert response.status_code in (401, 403, 404)
        return
    document = response.json()
    linked = set()
    for resource in [*document["data"], *document.get("included", [])]:
        for relationship in resource.get("relationships", {}).values():
            data = relationship.get("data")
            for identifier in data if isinstance(data, list) else [data] if data else []:
                linked.add((identifier["type"], identifier["id"]))
    for resource in document.get("included", []):
        assert (resource["type"], resource["id"]) in linked  # full linkage
        direct = get(api, path_of(resource["links"]["self"]))
        assert direct.status_code == 200, f"{resource['type']} {resource['id']} is included but not visible"
        assert direct.json()["data"]["attributes"] == resource["attributes"]


def check_links_lead_where_they_say_and_agree(api, world, actor, path):
    document = listing(api, world, actor, path)
    if document is None:
        return
    for resource in document["data"]:
        direct = get(api, path_of(resource["links"]["self"]))
        assert direct.status_code == 200
        assert direct.json()["data"]["id"] == resource["id"]
        for name, relationship in resource.get("relationships", {}).items():
            if "links" not in relationship:
                continue
            related = get(api, with_query(path_of(relationship["links"]["related"]), **{"page[size]": 100}))
            linkage = get(api, path_of(relationship["links"]["self"]))
            assert linkage.status_code == 200, name
            if related.status_code == 401:  # a list for logged-in users only (custom forms)
                assert actor == "anonymous", name
                assert linkage.json()["data"] == []
                continue
            if related.status_code == 404:  # a target the actor may not see, as a direct GET says
                target = relationship["data"]
                assert get(api, f"/v1/{registry[target['type']].prefix}/{target['id']}").status_code == 404
                continue
            assert related.status_code == 200, name
            related_data, linkage_data = related.json()["data"], linkage.json()["data"]
            if isinstance(related_data, list):
                ids = sorted(item["id"] for item in related_data)
                assert sorted(item["id"] for item in linkage_data) == ids
                if "data" in relationship:
                    assert sorted(item["id"] for item in relationship["data"]) == ids
                for item in related_data:  # what a related endpoint lists, a direct GET shows
                    assert get(api, path_of(item["links"]["self"])).status_code == 200
            elif related_data is None:
                assert linkage_data is None
                assert relationship["data"] is None
            else:
                assert (
                    linkage_data
                    == relationship["data"]
                    == {"type": related_data["type"], "id": related_data["id"]}
                )


@pytest.mark.parametrize("actor", ACTORS)
def test_who_sees_a_parent_sees_the_targets_said_to_be_seen_with_it(world, actor):
    """A relationship in a serializer's `seen_with_parent` has its linkage read without the
    targets' visibility filter: every target of a parent the actor sees must be one they see."""
    from django.contrib.auth.models import AnonymousUser

    user = world.users[actor] or AnonymousUser()
    checked = []
    for resource in registry.resources.values():
        for relationship in declared_relationships(resource.serializer_class).values():
            if not relationship.seen_with_parent:
                continue
            target = registry[relationship.target_type]
            parents = resource.viewset.visible(user).values("pk")
            linked = target.serializer_class.Meta.model._default_manager.filter(
                **{f"{relationship.lookup}__in": parents}
            )
            hidden = linked.exclude(pk__in=target.viewset.visible(user).values("pk"))
            assert not hidden.exists(), (resource.prefix, relationship.name, list(hidden))
            checked.append((resource.prefix, relationship.name, linked.exists() or not parents.exists()))
    assert {(prefix, name) for prefix, name, _ in checked} == {
        ("events", "sponsors"),
        ("events", "tracks"),
        ("events", "microlocations"),
        ("events", "session_types"),
        ("sessions", "speakers"),
        ("orders", "attendees"),
    }
    assert all(found for _, _, found in checked)  # the world links each parent the actor sees


@pytest.mark.parametrize("path", LISTS)
def test_sparse_fieldsets_by_wire_names(api, world, path):
    type_ = LISTS[path]
    document = next(
        document
        for actor in ["site_admin", "submitter"]
        if (document := listing(api, world, actor, path))["data"]
    )
    first = document["data"][0]
    attribute = sorted(first["attributes"], key=lambda name: ("-" not in name, name))[0]
    sparse = get(api, with_query(path.format(**world.ids), **{f"fields[{type_}]": attribute})).json()
    for resource in sparse["data"]:
        assert set(resource.get("attributes", {})) <= {attribute}
        assert "relationships" not in resource
    assert any(attribute in resource.get("attributes", {}) for resource in sparse["data"])
    for bad in ["no-such-field", attribute.replace("-", "_") if "-" in attribute else "Name", "name,,x"]:
        response = get(api, with_query(path.format(**world.ids), **{f"fields[{type_}]": bad}))
        assert response.status_code == 400, bad
        assert response.json()["errors"][0]["source"] == {"parameter": f"fields[{type_}]"}


def test_sparse_fieldsets_apply_to_included_types(api, world):
    url = f"/v1/events/{world.ids['P']}/sessions?include=speakers&fields[speaker]=name"
    url += "&fields[session]=title,speakers"
    document = get(as_actor(api, world, "site_admin"), url).json()
    assert {resource["type"] for resource in document["included"]} == {"speaker"}
    for resource in document["included"]:
        assert set(resource["attributes"]) == {"name"}
    for resource in document["data"]:
        assert set(resource["attributes"]) == {"title"}
        assert set(resource["relationships"]) == {"speakers"}


def test_unknown_include_paths_and_types_are_400(api, world):
    for query in [
        "include=nothing",
        "include=speakers.nothing",
        "include=speakers.sessions.speakers",
        "include=creator",  # a relationship, but not one that may be included
        "include=track_id",
        "fields[no-such-type]=name",
    ]:
        response = get(api, f"/v1/sessions?{query}")
        assert response.status_code == 400, query
        (error,) = response.json()["errors"]
        assert error["source"]["parameter"] == query.split("=")[0]


# --- The Open Event filter syntax --------------------------------------------------------------


def ids_of(document) -> list[str]:
    return sorted(resource["id"] for resource in document["data"])


def filtered(api, world, actor, path, conditions) -> list[str]:
    url = with_query(path.format(**world.ids), filter=json.dumps(conditions), **{"page[size]": 100})
    response = get(as_actor(api, world, actor), url)
    assert response.status_code == 200, response.content[:300]
    return ids_of(response.json())


def check_the_filter_syntax_narrows_and_never_widens(api, world, actor, path):
    document = listing(api, world, actor, path)
    if document is None:
        return
    visible = ids_of(document)
    everything = {"or": [{"name": "id", "op": "ge", "val": 0}, {"name": "id", "op": "lt", "val": 0}]}
    assert filtered(api, world, actor, path, [everything]) == visible
    assert filtered(api, world, actor, path, [{"not": {"name": "id", "op": "in_", "val": []}}]) == visible
    if visible:
        first = visible[0]
        assert filtered(api, world, actor, path, [{"name": "id", "op": "eq", "val": first}]) == [first]
        assert first not in filtered(
            api, world, actor, path, [{"name": "id", "op": "notin_", "val": [first]}]
        )
    serializer = registry[LISTS[path]].serializer_class
    for relationship in declared_relationships(serializer).values():
        op = "any" if relationship.many else "has"
        condition = {"name": relationship.wire, "op": op, "val": {"name": "id", "op": "ge", "val": 0}}
        matching = filtered(api, world, actor, path, [condition])
        assert set(matching) <= set(visible)
        for resource in document["data"]:  # exactly those with a target the actor may see
            related = get(
                api, with_query(path_of(resource["relationships"][relationship.wire]["links"]["related"]))
            )
            has_target = bool(related.status_code == 200 and related.json()["data"])
            assert (resource["id"] in matching) == has_target, (relationship.wire, resource["id"])


def test_a_filter_on_hidden_targets_finds_nothing(api, world):
    """Anonymous callers cannot learn which events hold draft sessions, nor any speaker's address."""
    drafts = {"name": "sessions", "op": "any", "val": {"name": "state", "op": "eq", "val": "draft"}}
    assert filtered(api, world, "anonymous", "/v1/events", [drafts]) == []
    assert filtered(api, world, "submitter", "/v1/events", [drafts]) == [str(world.ids["P"])]  # their own
    response = get(
        api,
        with_query(
            "/v1/sessions",
            filter=json.dumps(
                [{"name": "speakers", "op": "any", "val": {"name": "email", "op": "like", "val": "a%"}}]
            ),
        ),
    )
    assert response.status_code == 400  # a speaker's address is no filter


def test_the_filter_operators(api, world):
    path = f"/v1/events/{world.ids['P']}/sessions"
    sessions = {session.title: str(session.pk) for session in Session.objects.filter(event=world.events["P"])}

    def titles(*conditions):
        ids = filtered(api, world, "site_admin", path, list(conditions))
        return sorted(title for title, pk in sessions.items() if pk in ids)

    assert titles({"name": "state", "op": "eq", "val": "accepted"}) == ["Accepted talk"]
    assert titles({"name": "state", "op": "in_", "val": ["accepted", "confirmed"]}) == [
        "Accepted talk",
        "Confirmed talk",
    ]
    assert titles({"name": "track", "op": "eq", "val": None}) == ["Confirmed talk", "Someone else's talk"]
    assert titles({"name": "track", "op": "ne", "val": None}) == ["Accepted talk", "Pending talk"]
    assert titles({"name": "title", "op": "ilike", "val": "%TALK"}) == [
        "Accepted talk",
        "Confirmed talk",
        "Pending talk",
        "Someone else's talk",
    ]
    assert titles({"name": "title", "op": "like", "val": "Pending%"}) == ["Pending talk"]
    assert titles({"name": "title", "op": "like", "val": "_ccepted talk"}) == ["Accepted talk"]
    assert titles(
        {
            "or": [
                {"name": "state", "op": "eq", "val": "pending"},
                {"name": "state", "op": "eq", "val": "confirmed"},
            ]
        }
    ) == ["Confirmed talk", "Pending talk", "Someone else's talk"]
    assert titles(
        {"name": "state", "op": "eq", "val": "pending"}, {"not": {"name": "track", "op": "eq", "val": None}}
    ) == ["Pending talk"]
    assert titles(
        {
            "name": "speakers",
            "op": "any",
            "val": {"name": "id", "op": "eq", "val": world.speakers["accepted"].pk},
        }
    ) == ["Accepted talk"]
    # The old form still works, and both narrow together.
    url = with_query(
        path, **{"filter[state]": "pending"}, filter=json.dumps([{"name": "track", "op": "ne", "val": None}])
    )
    assert ids_of(get(api, url).json()) == [sessions["Pending talk"]]


def test_like_patterns_escape_their_wildcards(api, world):
    event = world.events["P"]
    percent = SpeakerFactory(event=event, name="100% Ada", email="p@example.com")
    SpeakerFactory(event=event, name="100 Ada", email="q@example.com")
    underscore = SpeakerFactory(event=event, name="a_b", email="r@example.com")
    SpeakerFactory(event=event, name="axb", email="s@example.com")
    for pattern, expected in [(r"100\%%", percent), (r"a\_b", underscore)]:
        condition = {"name": "name", "op": "like", "val": pattern}
        assert filtered(api, world, "site_admin", "/v1/speakers", [condition]) == [str(expected.pk)], pattern


def test_the_longest_filter_fits_in_a_request_line_daphne_reads():
    from twisted.web.http import HTTPChannel

    longest = quote("\U0001f600" * filtering.MAX_LENGTH)  # four bytes, twelve characters encoded
    request_line = f"GET /v1/events/1234567890/sessions?filter={longest} HTTP/1.1"
    assert len(request_line) + 1024 < HTTPChannel.MAX_LENGTH  # room for other parameters


@pytest.mark.parametrize(
    "value",
    [
        "[",
        "{}",
        '{"name": "state", "op": "eq", "val": "x"}',
        '[{"name": "nope", "op": "eq", "val": 1}]',
        '[{"name": "state", "op": "similar", "val": 1}]',
        '[{"name": "state", "op": "eq"}]',
        '[{"name": "state", "op": "eq", "val": "x", "extra": 1}]',
        '[{"name": "state", "op": "eq", "val": "not-a-state"}]',
        '[{"name": "id", "op": "eq", "val": "abc"}]',
        '[{"name": "id", "op": "eq", "val": 99999999999999999999999}]',
        '[{"name": "id", "op": "eq", "val": 1e999}]',
        '[{"name": "id", "op": "eq", "val": NaN}]',
        '[{"name": "id", "op": "eq", "val": {"a": 1}}]',
        '[{"name": "id", "op": "in_", "val": 1}]',
        '[{"name": "id", "op": "lt", "val": null}]',
        '[{"name": "id", "op": "like", "val": "1%"}]',
        '[{"name": "title", "op": "like", "val": "ends with \\\\"}]',
        '[{"name": "title", "op": "like", "val": "\\\\x"}]',
        '[{"name": "created-at", "op": "gt", "val": 5}]',
        '[{"name": "created-at", "op": "gt", "val": "yesterday"}]',
        '[{"name": "speakers", "op": "has", "val": {"name": "id", "op": "eq", "val": 1}}]',
        '[{"name": "event", "op": "any", "val": {"name": "id", "op": "eq", "val": 1}}]',
        '[{"name": "event", "op": "has", "val": {"name": "sessions", "op": "any", "val": []}}]',
        '[{"and": []}]',
        '[{"name": ["id"], "op": "eq", "val": 1}]',  # found by attacking the server
        '[{"name": {"a": 1}, "op": "has", "val": {}}]',
        '[{"name": "id", "op": ["eq"], "val": 1}]',
        '[{"name": "title", "op": "eq", "val": "\\ud800"}]',
        '[{"name": "title", "op": "ilike", "val": "\\ud800%"}]',
        '[{"name": "title", "op": "eq", "val": "a\\u0000b"}]',
        '[{"name": "title", "op": "in_", "val": ["\\ud800"]}]',
        '[{"name": "event", "op": "has", "val": {"name": "name", "op": "eq", "val": "\\ud800"}}]',
        '[{"name": "created-at", "op": "gt", "val": "0001-01-01T00:00:00+01:00"}]',
        '[{"name": "created-at", "op": "gt", "val": "9999-12-31T23:59:59-01:00"}]',
        '[{"or": {"name": "id"}}]',
        "[" * 50 + "]" * 50,
        "[" * 100_000,
        json.dumps([{"name": "id", "op": "eq", "val": 1}] * 31),
        json.dumps([{"name": "title", "op": "eq", "val": "x" * 5000}]),
    ],
)
def test_a_malformed_filter_is_a_400_naming_the_parameter(api, world, value):
    response = get(as_actor(api, world, "site_admin"), with_query("/v1/sessions", filter=value))
    assert response.status_code == 400, response.content[:300]
    (error,) = response.json()["errors"]
    assert error["source"] == {"parameter": "filter"}
    assert error["detail"].startswith("Invalid filter")


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [  # found by attacking the server: each was a 500
        ("/v1/events", "filter[starts-at]=2027-01-31", 200),  # a date alone: midnight in the site's zone
        ("/v1/events", "filter[starts-at]=2027-01-31T01:00:00", 200),
        ("/v1/events", "filter[starts-at]=9999-12-31T23:59:59", 400),
        ("/v1/events", "filter[created-at]=0001-01-01T00:00:00%2B01:00", 400),
        ("/v1/sessions", "filter[created-at]=9999-12-31T23:59:59-01:00", 400),
        ("/v1/sessions", "filter[title]=a%00b", 400),
        ("/v1/events", "filter[search]=" + "+".join(["a"] * 11), 400),
        ("/v1/speakers", "filter[search]=" + "+".join(["a"] * 2000), 400),
        ("/v1/events", "filter[search]=a%00", 400),
        ("/v1/events", "filter[search]=" + "+".join(["a"] * 10), 200),
    ],
)
def test_field_filters_and_search_take_only_what_a_query_can_hold(api, world, path, query, status):
    response = get(as_actor(api, world, "site_admin"), f"{path}?{query}")
    assert response.status_code == status, response.content[:300]
    if status == 400:
        assert response.json()["errors"][0]["source"]["parameter"].startswith("filter")


# --- Paging ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
def test_bad_paging_is_a_400_and_a_page_past_the_end_a_404(api, world, path):
    api = as_actor(api, world, "site_admin")
    path = path.format(**world.ids)
    for parameter, value in [
        ("page[size]", "abc"),
        ("page[size]", "0"),
        ("page[size]", "-1"),
        ("page[size]", "101"),
        ("page[size]", "1.5"),
        ("page[size]", "٣"),  # a digit, but not one a client means
        ("page[number]", "0"),
        ("page[number]", "abc"),
        ("page[number]", "9" * 5000),
    ]:
        response = get(api, with_query(path, **{parameter: value}))
        assert response.status_code == 400, (parameter, value)
        assert response.json()["errors"][0]["source"] == {"parameter": parameter}
    assert get(api, with_query(path, **{"page[number]": 9999})).status_code == 404
    assert get(api, with_query(path, **{"page[size]": 100})).status_code == 200


# --- The table covers every list ---------------------------------------------------------------


def test_every_list_endpoint_is_in_the_table(api, world):
    known = {re.sub(r"\{\w+\}", "<id>", path) for path in LISTS}
    api.as_user(world.users["site_admin"])
    for route, _view in api_routes(get_resolver().url_patterns):
        if "relationships/" in route:
            continue
        path = "/" + re.sub(r"\(\?P<\w+>[^)]*\)|<[^>]+>", "<id>", route)
        response = api.get(path.replace("<id>", str(world.ids["P"])))
        answers_json = response.get("Content-Type", "").split(";")[0].endswith("json")  # not the docs
        body = response.json() if response.status_code == 200 and answers_json else {}
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            assert path in known, f"{path} lists resources but is not in LISTS"


# --- Query counts stay flat --------------------------------------------------------------------


def queries_for(api, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/events/{event}/sessions?include=speakers.event,event,track",
        "/v1/events/{event}/speakers?include=sessions.track,event",
        "/v1/events?include=sessions.speakers,speakers,sponsors,tracks,event-topic",
        "/v1/sessions?include=speakers.sessions",
        "/v1/events/{event}/sponsors?include=event",
        "/v1/events/{event}/tracks?include=event",
    ],
)
def test_query_counts_stay_flat_with_includes(api, url):
    owner = UserFactory()
    counts = []
    event = EventFactory(owner=owner)
    for rows in (5, 50):
        while Session.objects.filter(event=event).count() < rows:
            session = SessionFactory(event=event, title="Talk", state="accepted", creator=owner)
            for name in ("Ada", "Bea"):
                SpeakerFactory(event=event, name=name, email="s@example.com", sessions=[session])
            event.sponsors.create(name="Sponsor")
            event.tracks.create(name=f"Track {session.pk}")
            EventFactory(owner=owner)
        counts.append(
            queries_for(api.as_user(owner), with_query(url.format(event=event.pk), **{"page[size]": 100}))
        )
    assert counts[0] == counts[1], counts


def test_wire_names_are_dasherized():
    assert wire_name("event_topic") == "event-topic"


# --- Relationship targets the caller cannot see ------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "attributes", "relationship", "target"),
    [
        ("session", {"title": "Talk"}, "event", "D"),
        ("speaker", {"name": "Ada", "email": "ada@example.com"}, "event", "D"),
        ("sponsor", {"name": "ACME"}, "event", "D"),
        ("session", {"title": "Talk"}, "track", "track D"),
        ("session", {"title": "Talk"}, "event", "missing"),
    ],
)
def test_a_relationship_to_what_the_caller_cannot_see_is_a_404_like_a_missing_one(
    api, world, type_, attributes, relationship, target
):
    target_type, target_id = {
        "D": ("event", world.ids["D"]),
        "track D": ("track", world.tracks["D"].pk),
        "missing": ("event", 999_999),
    }[target]
    relationships = {relationship: {"data": {"type": target_type, "id": str(target_id)}}}
    if relationship != "event":
        relationships["event"] = {"data": {"type": "event", "id": str(world.ids["P"])}}
    document = {"data": {"type": type_, "attributes": attributes, "relationships": relationships}}
    model = registry[type_].serializer_class.Meta.model
    before = model.objects.count()
    response = api.as_user(world.users["other_user"]).post(f"/v1/{registry[type_].prefix}", document)
    assert response.status_code == 404, response.content
    (error,) = response.json()["errors"]
    assert error["detail"] == f"{target_type.capitalize()}: {target_id} not found"
    assert error["source"] == {"pointer": f"/data/relationships/{relationship}"}
    assert model.objects.count() == before


# --- Found by attacking the server --------------------------------------------------------------


def test_names_in_query_parameters_leave_nothing_behind(api, world):
    """Unknown names are answered with a 400 and not kept: a cache of them grew without bound."""
    for round_ in range(3):
        names = ",".join(f"name-{round_}-{number}" for number in range(800))
        assert get(api, with_query("/v1/sessions", **{"fields[session]": names})).status_code == 400
        assert get(api, with_query("/v1/sessions", include=names)).status_code == 400
    assert python_name.cache_info().currsize <= python_name.cache_info().maxsize
    assert wire_name.cache_info().currsize <= wire_name.cache_info().maxsize


def test_linking_a_hidden_session_is_answered_like_linking_a_missing_one(api, world):
    """Someone else's draft, a session not one's own to link, and no session at all: one answer."""
    answers = []
    for session_id in [world.sessions["draft"].pk, world.sessions["pending"].pk, 999_999]:
        document = {
            "data": {
                "type": "speaker",
                "attributes": {"name": "Probe", "email": "probe@example.com"},
                "relationships": {
                    "event": {"data": {"type": "event", "id": str(world.ids["P"])}},
                    "sessions": {"data": [{"type": "session", "id": str(session_id)}]},
                },
            }
        }
        response = api.as_user(world.users["other_user"]).post("/v1/speakers", document)
        (error,) = response.json()["errors"]
        answers.append(
            (response.status_code, error["detail"].replace(str(session_id), "{id}"), error["source"])
        )
    assert answers == [(404, "Session: {id} not found", {"pointer": "/data/relationships/sessions"})] * 3


def test_submitting_to_a_draft_one_sees_but_may_not_submit_to_is_answered_like_a_missing_event(api, world):
    document = {
        "data": {
            "type": "session",
            "attributes": {"title": "Talk"},
            "relationships": {"event": {"data": {"type": "event", "id": str(world.ids["D"])}}},
        }
    }
    response = api.as_user(world.users["track_organizer"]).post("/v1/sessions", document)
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert error["detail"] == f"Event: {world.ids['D']} not found"
    assert error["source"] == {"pointer": "/data/relationships/event"}


def test_an_include_too_big_for_one_document_is_a_400(api, world, monkeypatch):
    monkeypatch.setattr(renderers, "MAX_INCLUDED", 1)
    response = get(as_actor(api, world, "site_admin"), f"/v1/events/{world.ids['P']}?include=sessions")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["source"] == {"parameter": "include"}
    assert get(api, f"/v1/events/{world.ids['P']}?include=event-topic").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        'filter=[]&filter=[{"name": "nope", "op": "eq", "val": 1}]',
        "filter[state]=pending&filter[state]=accepted",
        "fields[session]=title&fields[session]=state",
        "page[limit]=1000",
        "page[offset]=5",
        "page=5",
        "fields=title",
    ],
)
def test_repeated_and_unknown_list_parameters_are_400(api, world, query):
    response = get(as_actor(api, world, "site_admin"), f"/v1/sessions?{query}")
    assert response.status_code == 400, response.content[:300]
    assert "parameter" in response.json()["errors"][0]["source"]

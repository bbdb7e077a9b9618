"""Who may do what to an event of theirs, another's, or none: one row per endpoint and method.

The event under test is a draft, so "cannot see it" (404) and "may see it but not do
this" (403) both show. `other_event_owner` owns another event: their rights there must not
reach this one. The invite on the event is for `invitee`, who holds no role yet.
"""

import pytest

from events.models import RoleInvite

ACTORS = [
    "anonymous",
    "user",
    "invitee",
    "attendee",
    "registrar",
    "track_organizer",
    "moderator",
    "coorganizer",
    "organizer",
    "owner",
    "other_event_owner",
    "site_admin",
]
OUTSIDERS = ["user", "invitee", "other_event_owner"]
MEMBERS = ["attendee", "registrar", "track_organizer", "moderator"]  # a role, but no event admin
EVENT_ADMINS = ["coorganizer", "organizer", "owner", "site_admin"]


def row(anonymous, outsiders, members, admins, **exceptions) -> dict:
    statuses = {"anonymous": anonymous}
    statuses |= dict.fromkeys(OUTSIDERS, outsiders)
    statuses |= dict.fromkeys(MEMBERS, members)
    statuses |= dict.fromkeys(EVENT_ADMINS, admins)
    return statuses | exceptions


def everyone(status) -> dict:
    return dict.fromkeys(ACTORS, status)


def site_admin_only(anonymous, others, admin) -> dict:
    return dict.fromkeys(ACTORS, others) | {"anonymous": anonymous, "site_admin": admin}


def event_document(world):
    return {"data": {"type": "event", "id": str(world.event.pk), "attributes": {"name": "Renamed"}}}


def new_event_document(world):
    return {
        "data": {
            "type": "event",
            "attributes": {
                "name": "New",
                "starts-at": "2030-01-01T09:00:00Z",
                "ends-at": "2030-01-02T18:00:00Z",
            },
        }
    }


def invite_document(role_name):
    def document(world):
        return {
            "data": {
                "type": "role-invite",
                "attributes": {"email": "new-person@example.com", "role-name": role_name},
                "relationships": {"event": {"data": {"type": "event", "id": str(world.event.pk)}}},
            }
        }

    return document


def invite_patch(attributes):
    def document(world):
        return {"data": {"type": "role-invite", "id": str(world.invite.pk), "attributes": attributes}}

    return document


def settings_document(world):
    return {"data": {"type": "setting", "id": "1", "attributes": {"tagline": "Changed"}}}


def topic_document(world, with_id=True):
    data = {"type": "event-topic", "attributes": {"name": "Changed", "slug": "changed"}}
    if with_id:
        data["id"] = str(world.topic.pk)
    return {"data": data}


def published_event_document(world):
    return {"data": {"type": "event", "id": str(world.published_event.pk), "attributes": {"name": "Renamed"}}}


# (method, path, body, expected status per actor)
TABLE = {
    "read the draft event": ("get", "/v1/events/{event}", None, row(404, 404, 200, 200)),
    "read the published event": ("get", "/v1/events/{published_event}", None, everyone(200)),
    "change the published event": (
        "patch",
        "/v1/events/{published_event}",
        published_event_document,
        row(401, 403, 403, 403, owner=200, site_admin=200),  # roles on the draft do not reach it
    ),
    "change the event": ("patch", "/v1/events/{event}", event_document, row(401, 404, 403, 200)),
    "delete the event": (
        "delete",
        "/v1/events/{event}",
        None,
        row(401, 404, 403, 403, owner=204, site_admin=204),
    ),
    "list the event's team": ("get", "/v1/events/{event}/users-events-roles", None, row(404, 404, 403, 200)),
    "list the event's invites": ("get", "/v1/events/{event}/role-invites", None, row(404, 404, 403, 200)),
    "invite an organizer": (
        "post",
        "/v1/role-invites",
        invite_document("organizer"),
        row(401, 404, 403, 201),
    ),
    "invite an owner": (
        "post",
        "/v1/role-invites",
        invite_document("owner"),
        row(401, 404, 403, 403, owner=201, site_admin=201),
    ),
    "list invites": ("get", "/v1/role-invites", None, row(401, 200, 200, 200)),
    "read the invite": ("get", "/v1/role-invites/{invite}", None, row(401, 404, 404, 200, invitee=200)),
    "decline the invite": (
        "patch",
        "/v1/role-invites/{invite}",
        invite_patch({"status": "declined"}),
        row(401, 404, 404, 403, invitee=200),
    ),
    "accept the invite": (
        "patch",
        "/v1/role-invites/{invite}",
        invite_patch({"status": "accepted"}),
        row(401, 404, 404, 403, invitee=200),
    ),
    "edit the pending invite": (
        "patch",
        "/v1/role-invites/{invite}",
        invite_patch({"role-name": "moderator"}),
        row(401, 404, 404, 200, invitee=422),
    ),
    "withdraw the invite": (
        "delete",
        "/v1/role-invites/{invite}",
        None,
        row(401, 404, 404, 204, invitee=403),
    ),
    "accept the invite by its token": (
        "post",
        "/v1/role-invites/accept-invite",
        "token",
        row(401, 403, 403, 403, invitee=200),
    ),
    "read a team member's role": (
        "get",
        "/v1/users-events-roles/{registrar_role}",
        None,
        row(401, 404, 404, 200),
    ),
    "remove a team member": (
        "delete",
        "/v1/users-events-roles/{registrar_role}",
        None,
        row(401, 404, 404, 204),
    ),
    "remove the owner": ("delete", "/v1/users-events-roles/{owner_role}", None, row(401, 404, 404, 403)),
    "list events": ("get", "/v1/events", None, everyone(200)),
    "create an event": ("post", "/v1/events", new_event_document, everyone(201) | {"anonymous": 401}),
    "read the settings": ("get", "/v1/settings", None, everyone(200)),
    "change the settings": ("patch", "/v1/settings", settings_document, site_admin_only(401, 403, 200)),
    "list topics": ("get", "/v1/event-topics", None, everyone(200)),
    "read a topic": ("get", "/v1/event-topics/{topic}", None, everyone(200)),
    "create a topic": (
        "post",
        "/v1/event-topics",
        lambda world: topic_document(world, with_id=False),
        site_admin_only(401, 403, 201),
    ),
    "change a topic": ("patch", "/v1/event-topics/{topic}", topic_document, site_admin_only(401, 403, 200)),
    "delete a topic": ("delete", "/v1/event-topics/{topic}", None, site_admin_only(401, 403, 204)),
    "list a topic's events": ("get", "/v1/event-topics/{topic}/events", None, everyone(200)),
}

CASES = [
    pytest.param(action, actor, id=f"{action} as {actor}")
    for action, (_, _, _, expected) in TABLE.items()
    for actor in ACTORS
]


def test_the_table_names_every_actor_for_every_action():
    for action, (_, _, _, expected) in TABLE.items():
        assert set(expected) == set(ACTORS), action


@pytest.mark.parametrize(("action", "actor"), CASES)
def test_permission_table(api, world, action, actor):
    method, path, body, expected = TABLE[action]
    user = world.users[actor]
    if user is not None:
        api.as_user(user)
    path = path.format(
        event=world.event.pk,
        published_event=world.published_event.pk,
        invite=world.invite.pk,
        topic=world.topic.pk,
        registrar_role=world.role_row("registrar").pk,
        owner_role=world.role_row("owner").pk,
    )
    if body == "token":
        response = api.post(path, {"data": {"token": world.invite_token}}, plain=True)
    elif body is None:
        response = getattr(api, method)(path)
    else:
        response = getattr(api, method)(path, body(world))
    assert response.status_code == expected[actor], response.content
    if response.status_code >= 400:
        assert response.json()["errors"][0]["status"] == str(response.status_code)
    if action == "accept the invite" and response.status_code == 200:
        assert RoleInvite.objects.get(pk=world.invite.pk).status == "accepted"


# What each list shows: which of the world's events and invites each actor finds in it.
LISTED = {
    "/v1/events": {
        **dict.fromkeys(ACTORS, frozenset({"published_event"})),
        **dict.fromkeys(MEMBERS + EVENT_ADMINS, frozenset({"published_event", "event"})),
        "other_event_owner": {"published_event", "other_event"},
        "site_admin": {"published_event", "event", "other_event"},
    },
    "/v1/role-invites": {
        **dict.fromkeys(ACTORS, frozenset()),
        **dict.fromkeys([*EVENT_ADMINS, "invitee"], frozenset({"invite"})),
    },
}
LISTED_OBJECTS = {"/v1/events": ("event", "published_event", "other_event"), "/v1/role-invites": ("invite",)}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("path", list(LISTED))
def test_lists_show_exactly_what_the_reader_may_see(api, world, path, actor):
    if world.users[actor] is not None:
        api.as_user(world.users[actor])
    response = api.get(path)
    if path == "/v1/role-invites" and actor == "anonymous":
        assert response.status_code == 401
        return
    names = {str(getattr(world, name).pk): name for name in LISTED_OBJECTS[path]}
    assert {names[item["id"]] for item in response.json()["data"]} == LISTED[path][actor]

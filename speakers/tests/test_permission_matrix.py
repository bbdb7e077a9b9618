"""Who sees and changes sessions, speakers, sponsors, rooms and session types, on a published
event (P) and a draft one (D): lists must return exactly the ids their reader may see, and every
status must be as the contract says (401 anonymous writes, 404 invisible, 403 visible but not allowed).
The fixture `programme` (conftest.py) says who is who."""

import pytest

ACTORS = [
    "anonymous",
    "other_user",
    "submitter",
    "speaker_user",
    "track_organizer",
    "coorganizer",
    "other_event_organizer",
    "former_organizer",
    "site_admin",
]
ALL_SESSIONS = {
    "accepted",
    "confirmed",
    "pending",
    "other_pending",
    "draft_event_pending",
    "draft_event_accepted",
    "draft",
}
SUBMITTED = ALL_SESSIONS - {"draft"}  # the draft is the submitter's alone
ON_DRAFT = {"draft_event_pending", "draft_event_accepted"}
ALL_SPEAKERS = {"accepted", "pending", "other_pending", "draft_event", "of_draft", "added"}

# What each actor may see.
VISIBLE = {
    "sessions": {
        "anonymous": {"accepted", "confirmed"},
        "other_user": {"accepted", "confirmed"},
        "submitter": {"accepted", "confirmed", "pending", "draft", *ON_DRAFT},
        "speaker_user": {"accepted", "confirmed", "pending", "draft_event_pending"},
        "track_organizer": {"accepted", "confirmed", "pending", *ON_DRAFT},
        "coorganizer": SUBMITTED,
        "other_event_organizer": {"accepted", "confirmed"},
        "former_organizer": {"accepted", "confirmed"},
        "site_admin": SUBMITTED,
    },
    "speakers": {
        "anonymous": {"accepted"},
        "other_user": {"accepted"},
        "submitter": {"accepted", "pending", "draft_event", "of_draft", "added"},
        "speaker_user": {"accepted", "pending", "draft_event", "added"},
        "track_organizer": {"accepted", "pending", "draft_event", "added"},
        "coorganizer": ALL_SPEAKERS,
        "other_event_organizer": {"accepted"},
        "former_organizer": {"accepted"},
        "site_admin": ALL_SPEAKERS,
    },
    "sponsors": {actor: {"P"} for actor in ACTORS}
    | {"track_organizer": {"P", "D"}, "coorganizer": {"P", "D"}, "site_admin": {"P", "D"}},
}
EVENT_PARTS = ["sponsors", "microlocations", "session-types"]  # one per event, seen with the event
VISIBLE |= {kind: VISIBLE["sponsors"] for kind in EVENT_PARTS}
SEES_DRAFT_EVENT = {"track_organizer", "coorganizer", "site_admin"}

# Who may change an object they can see (the others get 403).
MAY_CHANGE = {
    "sessions": {"submitter", "coorganizer", "site_admin"},
    "speakers": {"submitter", "speaker_user", "coorganizer", "site_admin"},
    **{kind: {"coorganizer", "site_admin"} for kind in EVENT_PARTS},
}
# Deleting: as changing, but a submitter deletes only drafts (the others are submitted).
MAY_DELETE = MAY_CHANGE | {"sessions": {"coorganizer", "site_admin"}}
# Who may create one on each event, and what the others get if they can see that event, and
# if they cannot (anonymous always gets 401).
MAY_CREATE = {
    ("sessions", "P"): (set(ACTORS), None, None),
    ("sessions", "D"): ({"coorganizer", "site_admin"}, 404, 404),  # Event: {id} not found
    ("speakers", "P"): ({"submitter", "coorganizer", "site_admin"}, 404, 404),  # Session: {id} not found
    ("speakers", "D"): ({"coorganizer", "site_admin"}, 404, 404),
    **{(kind, "P"): ({"coorganizer", "site_admin"}, 403, 403) for kind in EVENT_PARTS},
    # 404: no such event, for them
    **{(kind, "D"): ({"coorganizer", "site_admin"}, 403, 404) for kind in EVENT_PARTS},
}
RESOURCE = {
    "sessions": "session",
    "speakers": "speaker",
    "sponsors": "sponsor",
    "microlocations": "microlocation",
    "session-types": "session-type",
}


def objects(programme, kind) -> dict:
    return getattr(programme, {"microlocations": "rooms", "session-types": "session_types"}.get(kind, kind))


def key_of(programme, kind, object_id) -> str:
    return next(key for key, obj in objects(programme, kind).items() if str(obj.pk) == object_id)


def log_in(api, programme, actor):
    if programme.users[actor] is not None:
        api.as_user(programme.users[actor])
    return api


def new_document(programme, kind, event_key):
    event = {"event": {"data": {"type": "event", "id": str(programme.events[event_key].pk)}}}
    if kind == "sessions":
        track = programme.tracks[event_key]
        relationships = event | {"track": {"data": {"type": "track", "id": str(track.pk)}}}
        return {
            "type": "session",
            "attributes": {"title": "New talk", "state": "pending"},
            "relationships": relationships,
        }
    if kind == "speakers":
        session = programme.sessions["pending" if event_key == "P" else "draft_event_pending"]
        relationships = event | {"sessions": {"data": [{"type": "session", "id": str(session.pk)}]}}
        return {
            "type": "speaker",
            "attributes": {"name": "New", "email": "new@example.com"},
            "relationships": relationships,
        }
    return {"type": RESOURCE[kind], "attributes": {"name": "New one"}, "relationships": event}


CHANGES = {"sessions": "title"}  # the others' is "name"
KINDS = ["sessions", "speakers", *EVENT_PARTS]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("event_key", ["P", "D"])
def test_event_lists_return_exactly_what_the_reader_may_see(api, programme, actor, kind, event_key):
    response = log_in(api, programme, actor).get(f"/v1/events/{programme.events[event_key].pk}/{kind}")
    if event_key == "D" and actor not in SEES_DRAFT_EVENT:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    on_event = {
        key for key, obj in objects(programme, kind).items() if obj.event == programme.events[event_key]
    }
    listed = {key_of(programme, kind, item["id"]) for item in response.json()["data"]}
    assert listed == VISIBLE[kind][actor] & on_event


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("kind", KINDS)
def test_global_lists_and_details_agree(api, programme, actor, kind):
    log_in(api, programme, actor)
    listed = {
        key_of(programme, kind, item["id"]) for item in api.get(f"/v1/{kind}?page[size]=50").json()["data"]
    }
    assert listed == VISIBLE[kind][actor]
    for key, obj in objects(programme, kind).items():
        expected = 200 if key in VISIBLE[kind][actor] else 404
        assert api.get(f"/v1/{kind}/{obj.pk}").status_code == expected, key


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("event_key", ["P", "D"])
def test_create(api, programme, actor, kind, event_key):
    allowed, refused_seen, refused_unseen = MAY_CREATE[(kind, event_key)]
    sees_event = event_key == "P" or actor in SEES_DRAFT_EVENT
    if actor == "anonymous":
        expected = 401
    elif actor in allowed:
        expected = 201
    else:
        expected = refused_seen if sees_event else refused_unseen
    response = log_in(api, programme, actor).post(
        f"/v1/{kind}", {"data": new_document(programme, kind, event_key)}
    )
    assert response.status_code == expected, response.content
    if kind == "speakers" and expected == 404 and event_key == "P":
        session = programme.sessions["pending"]
        assert response.json()["errors"][0]["detail"] == f"Session: {session.pk} not found"


CHANGED = {
    "sessions": ["pending", "draft_event_pending", "draft"],
    "speakers": ["pending", "draft_event"],
    **{kind: ["P", "D"] for kind in EVENT_PARTS},
}
CHANGE_CASES = [
    pytest.param(kind, key, actor, id=f"{kind}-{key}-{actor}")
    for kind, keys in CHANGED.items()
    for key in keys
    for actor in ACTORS
]


def expected_change_status(kind, key, actor, success, allowed=MAY_CHANGE):
    if actor == "anonymous":
        return 401
    if key not in VISIBLE[kind][actor]:
        return 404
    return success if actor in allowed[kind] else 403


@pytest.mark.parametrize(("kind", "key", "actor"), CHANGE_CASES)
def test_update(api, programme, kind, key, actor):
    obj = objects(programme, kind)[key]
    attribute, value = CHANGES.get(kind, "name"), "Renamed"
    document = {"data": {"type": RESOURCE[kind], "id": str(obj.pk), "attributes": {attribute: value}}}
    response = log_in(api, programme, actor).patch(f"/v1/{kind}/{obj.pk}", document)
    expected = expected_change_status(kind, key, actor, 200)
    assert response.status_code == expected, response.content
    obj.refresh_from_db()
    assert (getattr(obj, attribute) == value) == (expected == 200)


@pytest.mark.parametrize(("kind", "key", "actor"), CHANGE_CASES)
def test_delete(api, programme, kind, key, actor):
    obj = objects(programme, kind)[key]
    response = log_in(api, programme, actor).delete(f"/v1/{kind}/{obj.pk}")
    allowed = MAY_CHANGE if key == "draft" else MAY_DELETE
    expected = expected_change_status(kind, key, actor, 204, allowed)
    assert response.status_code == expected, response.content
    assert type(obj).objects.filter(pk=obj.pk).exists() == (expected != 204)

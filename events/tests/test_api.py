import pytest

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory, EventTopicFactory
from events.models import Event, Role, RoleInvite, UsersEventsRoles

pytestmark = pytest.mark.django_db


def ids(response) -> set[str]:
    return {item["id"] for item in response.json()["data"]}


def event_document(**attributes):
    attributes = {
        "name": "PyCon",
        "starts-at": "2030-05-01T09:00:00+02:00",
        "ends-at": "2030-05-03T18:00:00+02:00",
    }
    return {"data": {"type": "event", "attributes": attributes}}


def test_creating_an_event_returns_it_dasherized_as_a_draft_owned_by_the_creator(api, user):
    topic = EventTopicFactory()
    document = event_document()
    document["data"]["attributes"] |= {
        "timezone": "Europe/Berlin",
        "payment-currency": "EUR",
        "can-pay-onsite": True,
    }
    document["data"]["relationships"] = {
        "event-topic": {"data": {"type": "event-topic", "id": str(topic.pk)}}
    }
    response = api.as_user(user).post("/v1/events", document)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["type"] == "event"
    assert data["attributes"]["state"] == "draft"
    assert data["attributes"]["starts-at"] == "2030-05-01T07:00:00Z"
    assert data["attributes"]["can-pay-onsite"] is True
    assert data["relationships"]["event-topic"]["data"] == {"type": "event-topic", "id": str(topic.pk)}
    assert UsersEventsRoles.objects.get(event_id=data["id"]).user == user


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"ends-at": "2030-05-01T08:00:00+02:00"}, "/data/attributes/ends-at"),
        ({"timezone": "Moon/Base"}, "/data/attributes/timezone"),
        ({"payment-currency": "XYZ"}, "/data/attributes/payment-currency"),
        ({"state": "cancelled"}, "/data/attributes/state"),
        ({"starts-at": "tomorrow"}, "/data/attributes/starts-at"),
        ({"name": ""}, "/data/attributes/name"),
        ({"description": "[" * 20_001}, "/data/attributes/description"),  # every view renders it
    ],
    ids=lambda value: str(value)[:40],
)
def test_bad_event_attributes_are_422_with_pointers(api, user, attributes, pointer):
    document = event_document()
    document["data"]["attributes"] |= attributes
    response = api.as_user(user).post("/v1/events", document)
    assert response.status_code == 422
    assert pointer in [error["source"]["pointer"] for error in response.json()["errors"]]
    assert not Event.objects.exists()


def test_an_unknown_topic_is_a_404_at_the_relationship(api, user):
    document = event_document()
    document["data"]["relationships"] = {"event-topic": {"data": {"type": "event-topic", "id": "999"}}}
    response = api.as_user(user).post("/v1/events", document)
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert error["source"]["pointer"] == "/data/relationships/event-topic"
    assert error["detail"] == "Event topic: 999 not found"
    assert not Event.objects.exists()


def test_the_list_shows_published_events_and_the_drafts_one_has_a_role_on(api, user):
    stranger = UserFactory()
    published, draft = EventFactory(owner=user), EventFactory(owner=user, state=Event.State.DRAFT)
    strangers_draft = EventFactory(owner=stranger, state=Event.State.DRAFT)
    assert ids(api.get("/v1/events")) == {str(published.pk)}
    assert ids(api.as_user(user).get("/v1/events")) == {str(published.pk), str(draft.pk)}
    assert ids(api.as_user(stranger).get("/v1/events")) == {str(published.pk), str(strangers_draft.pk)}
    assert api.as_user(UserFactory(is_staff=True)).get("/v1/events").json()["meta"]["count"] == 3


def test_the_list_searches_sorts_and_pages(api, user):
    for name in ["Beta Summit", "Alpha Conf", "Gamma Conf"]:
        EventFactory(owner=user, name=name)
    names = [item["attributes"]["name"] for item in api.get("/v1/events?sort=-name").json()["data"]]
    assert names == ["Gamma Conf", "Beta Summit", "Alpha Conf"]
    assert [
        item["attributes"]["name"]
        for item in api.get("/v1/events?filter[search]=conf&sort=name").json()["data"]
    ] == [
        "Alpha Conf",
        "Gamma Conf",
    ]
    page = api.get("/v1/events?page[size]=2&page[number]=2").json()
    assert page["meta"]["count"] == 3
    assert len(page["data"]) == 1
    assert api.get("/v1/events?sort=password").status_code == 400


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize(("reader", "queries"), [("anonymous", 2), ("owner", 3), ("site_admin", 3)])
def test_listing_events_takes_the_same_queries_for_5_or_50(
    api, user, count, reader, queries, django_assert_num_queries
):
    topic = EventTopicFactory()
    for number in range(count):
        EventFactory(
            owner=user, event_topic=topic, state=Event.State.DRAFT if number % 2 else Event.State.PUBLISHED
        )
    readers = {"owner": user, "site_admin": UserFactory(is_staff=True)}
    if reader in readers:
        api.as_user(readers[reader])
    api.get("/v1/events?page[size]=100")  # warm-up: content types and the like
    with django_assert_num_queries(queries):  # [the user,] the count, the page: none per event or topic
        response = api.get("/v1/events?page[size]=100")
    assert len(response.json()["data"]) == ((count + 1) // 2 if reader == "anonymous" else count)


@pytest.mark.parametrize("count", [2, 12])
@pytest.mark.parametrize("team_list", ["users-events-roles", "role-invites"])
def test_team_lists_take_the_same_queries_for_2_or_12(api, user, count, team_list, django_assert_num_queries):
    event = EventFactory(owner=user)
    for number in range(count):
        member = UserFactory(email=f"member{number}@example.com")
        event_services.grant_role(member, event, Role.MODERATOR)
        event_services.create_invite(
            user, event, email=f"invitee{number}@example.com", role_name=Role.REGISTRAR
        )
    api.as_user(user).get(f"/v1/events/{event.pk}/{team_list}")
    with django_assert_num_queries(5):  # user, event, the role's permission, count, page
        response = api.get(f"/v1/events/{event.pk}/{team_list}?page[size]=100")
    assert response.status_code == 200
    assert len(response.json()["data"]) >= count


def test_a_topics_events_are_only_its_published_ones(api, user):
    topic = EventTopicFactory()
    published = EventFactory(owner=user, event_topic=topic)
    EventFactory(owner=user, event_topic=topic, state=Event.State.DRAFT)
    EventFactory(owner=user)
    assert ids(api.as_user(user).get(f"/v1/event-topics/{topic.pk}/events")) == {str(published.pk)}


def invite_document(event, email="new@example.com", role_name="organizer"):
    return {
        "data": {
            "type": "role-invite",
            "attributes": {"email": email, "role-name": role_name},
            "relationships": {"event": {"data": {"type": "event", "id": str(event.pk)}}},
        }
    }


def test_the_invite_token_is_never_serialized(api, user, mailoutbox):
    event = EventFactory(owner=user)
    created = api.as_user(user).post("/v1/role-invites", invite_document(event))
    assert created.status_code == 201
    invite_id = created.json()["data"]["id"]
    responses = [
        created,
        api.get(f"/v1/role-invites/{invite_id}"),
        api.get("/v1/role-invites"),
        api.get(f"/v1/events/{event.pk}/role-invites"),
    ]
    token_hash = RoleInvite.objects.get().token_hash
    for response in responses:
        assert response.status_code == 200 or response is created
        assert b"token" not in response.content
        assert token_hash.encode() not in response.content


def test_a_duplicate_pending_invite_is_409(api, user, mailoutbox):
    event = EventFactory(owner=user)
    api.as_user(user).post("/v1/role-invites", invite_document(event))
    response = api.post("/v1/role-invites", invite_document(event, email="NEW@example.com"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["status"] == "409"
    assert RoleInvite.objects.count() == 1
    assert len(mailoutbox) == 1


def test_an_unknown_role_name_is_422(api, user):
    response = api.as_user(user).post(
        "/v1/role-invites", invite_document(EventFactory(owner=user), role_name="king")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/role-name"


def test_the_invitee_may_change_only_the_status(api, user, mailoutbox):
    event = EventFactory(owner=user)
    invitee = UserFactory(email="new@example.com", is_verified=True)
    invite_id = api.as_user(user).post("/v1/role-invites", invite_document(event)).json()["data"]["id"]
    document = {
        "data": {
            "type": "role-invite",
            "id": invite_id,
            "attributes": {"status": "accepted", "role-name": "owner"},
        }
    }
    response = api.as_user(invitee).patch(f"/v1/role-invites/{invite_id}", document)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/role-name"
    assert RoleInvite.objects.get().status == "pending"
    document["data"]["attributes"] = {"status": "maybe"}
    assert api.patch(f"/v1/role-invites/{invite_id}", document).status_code == 422
    document["data"]["attributes"] = {"status": "accepted"}
    response = api.patch(f"/v1/role-invites/{invite_id}", document)
    assert response.status_code == 200
    assert response.json()["data"]["attributes"]["status"] == "accepted"
    assert UsersEventsRoles.objects.get(user=invitee).role.name == Role.ORGANIZER


def test_accept_invite_by_token_twice_makes_one_role(api, user, mailoutbox):
    from accounts.tests.helpers import link_token

    event = EventFactory(owner=user)
    invitee = UserFactory(email="new@example.com")
    api.as_user(user).post("/v1/role-invites", invite_document(event))
    token = link_token(mailoutbox[0], "/invites/")
    api.as_user(invitee)
    for _ in range(2):
        response = api.post("/v1/role-invites/accept-invite", {"data": {"token": token}}, plain=True)
        assert response.status_code == 200
        assert response.json()["status"] == "accepted"
    assert UsersEventsRoles.objects.filter(user=invitee, event=event).count() == 1
    assert (
        api.post("/v1/role-invites/accept-invite", {"data": {"token": "nope"}}, plain=True).status_code == 404
    )
    assert api.post("/v1/role-invites/accept-invite", {"data": {}}, plain=True).status_code == 422


def test_non_admins_get_only_the_public_settings(api, user):
    public = api.as_user(user).get("/v1/settings").json()["data"]["attributes"]
    assert "admin-contact-email" not in public
    assert {"app-name", "tagline", "stripe-publishable-key", "web-app-url"} <= set(public)
    full = api.as_user(UserFactory(is_staff=True)).get("/v1/settings").json()["data"]["attributes"]
    assert "admin-contact-email" in full
    assert not any("secret" in name for name in full)


def test_a_site_admin_changes_the_settings_with_validation(api):
    api.as_user(UserFactory(is_staff=True))
    document = {"data": {"type": "setting", "id": "1", "attributes": {"github-url": "not a url"}}}
    assert api.patch("/v1/settings", document).status_code == 422
    document["data"]["attributes"] = {"github-url": "https://github.com/fossasia"}
    response = api.patch("/v1/settings", document)
    assert response.status_code == 200
    assert api.get("/v1/settings").json()["data"]["attributes"]["github-url"] == "https://github.com/fossasia"


def test_an_unconfirmed_address_neither_sees_nor_answers_its_invite(api, user, mailoutbox):
    event = EventFactory(owner=user, state=Event.State.DRAFT, name="Secret plans")
    invite_id = api.as_user(user).post("/v1/role-invites", invite_document(event)).json()["data"]["id"]
    squatter = UserFactory(email="new@example.com")
    api.as_user(squatter)
    assert api.get("/v1/role-invites").json()["data"] == []
    document = {"data": {"type": "role-invite", "id": invite_id, "attributes": {"status": "accepted"}}}
    assert api.patch(f"/v1/role-invites/{invite_id}", document).status_code == 404
    assert RoleInvite.objects.get().status == "pending"


@pytest.mark.parametrize(
    "data",
    [
        "1",
        [],
        {"type": "event", "attributes": "x"},
        {"type": "event", "attributes": {"name": "x"}, "relationships": "x"},
        {"type": "event", "attributes": {"name": "x"}, "relationships": {"event-topic": None}},
        {"type": "event", "attributes": {"name": "x"}, "relationships": {"event-topic": "x"}},
        {"type": "event", "attributes": {"name": "x"}, "relationships": {"event-topic": {"data": "x"}}},
        {"type": "event", "relationships": {"event-topic": {"data": {"type": "event-topic", "id": 1.9}}}},
        {"type": "event", "relationships": {"event-topic": {"data": [{"type": "event-topic"}]}}},
    ],
)
def test_malformed_resource_objects_are_400(api, user, data):
    EventTopicFactory()
    response = api.as_user(user).post("/v1/events", {"data": data})
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["status"] == "400"
    assert not Event.objects.exists()


def test_the_settings_document_must_name_its_id(api):
    api.as_user(UserFactory(is_staff=True))
    document = {"data": {"type": "setting", "id": "2", "attributes": {"tagline": "x"}}}
    assert api.patch("/v1/settings", document).status_code == 409


def test_lists_filter_by_their_declared_fields_and_refuse_others(api, user):
    topic = EventTopicFactory()
    published = EventFactory(owner=user, event_topic=topic)
    draft = EventFactory(owner=user, state=Event.State.DRAFT)
    api.as_user(user)
    assert ids(api.get("/v1/events?filter[state]=draft")) == {str(draft.pk)}
    assert ids(api.get("/v1/events?filter[state]=draft,published")) == {str(draft.pk), str(published.pk)}
    assert ids(api.get(f"/v1/events?filter[event-topic]={topic.pk}")) == {str(published.pk)}
    for query in ["filter[bogus]=1", "filter[event-topic]=abc", "filter[state]=cancelled"]:
        response = api.get(f"/v1/events?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"][0]["status"] == "400"

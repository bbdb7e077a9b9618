"""The contract test: schemathesis generates requests for every operation of the OpenAPI
description (openevent.schema), valid ones and invalid ones, sends them to the app in-process
(WSGI), anonymously and as an organizer with data from the factories, and checks each answer:
no 5xx, a documented status and content type, a body that fits the documented schema, invalid
input refused, unsupported methods 405, login-only operations refusing anonymous callers.

Generated ids are mostly mapped onto the factories' rows (`map_case`), so that the organizer's
requests reach real objects and relationships, not only 404s. `CONTRACT_EXAMPLES` sets the
examples per operation (CI runs more of them on PostgreSQL). Positive data acceptance is not
checked: an answer of 422 to a body that fits the schema is the API's own rules at work (an
event ending before it starts, a NUL in an address), which a schema cannot say.
"""

import os
import re
import zlib
from collections import Counter

import jsonschema
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.factories import UserFactory
from accounts.services import issue_tokens
from events import services as event_services
from events.factories import EventFactory, EventTopicFactory
from events.models import Event, Role
from openevent.resources import registry
from orders.factories import AttendeeFactory, DiscountCodeFactory, OrderFactory, TicketFactory
from remotelab.factories import LabScriptFactory
from remotelab.models import LabScript
from speakers.factories import SessionFactory, SpeakerFactory, SponsorFactory, TrackFactory
from speakers.models import Session

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "6"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.unsupported_method,
    schemathesis.checks.ignored_auth,
]
APP = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/v1/schema/?format=json", APP)
# The coverage phase (boundary values, each required part left out, wrong types: about three times
# the requests) is CI's larger run, with CONTRACT_COVERAGE=1.
schema.config.phases.coverage.enabled = bool(os.environ.get("CONTRACT_COVERAGE"))
examples = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure reproduces
    database=None,
    suppress_health_check=list(HealthCheck),
)


stored_ids: dict[str, list[int]] = {}  # by resource type: the rows of the test's `organizer` fixture


def existing_id(type_or_path: str, generated) -> str | None:
    """One of the stored ids of a resource type (or of the collection a path is under), picked
    by the generated value; None where none is stored, or for one generated value in four,
    which stays as generated (an id nobody has)."""
    type_ = type_or_path if type_or_path in registry.resources else None
    for candidate, resource in registry.resources.items():
        if type_or_path.startswith(f"/v1/{resource.prefix}/"):
            type_ = candidate
    checksum = zlib.crc32(str(generated).encode())
    ids = stored_ids.get(type_)
    if checksum % 4 == 0:
        return None
    return str(ids[checksum % len(ids)]) if ids else None


@schema.hook
def map_case(context, case):
    """A valid case's ids, in the path and in the body's identifiers, mostly made stored ones."""
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return case
    if "id" in (case.path_parameters or {}):
        mapped = existing_id(case.operation.path, case.path_parameters["id"])
        if mapped is not None:
            case.path_parameters["id"] = int(mapped) if mapped.isdigit() else mapped  # orders: UUIDs
    data = case.body.get("data") if isinstance(case.body, dict) else None
    if isinstance(data, dict):
        if "id" in data and "id" in (case.path_parameters or {}):
            data["id"] = str(case.path_parameters["id"])
        for relationship in (data.get("relationships") or {}).values():
            linkage = relationship.get("data") if isinstance(relationship, dict) else None
            for identifier in linkage if isinstance(linkage, list) else [linkage]:
                if isinstance(identifier, dict) and "type" in identifier:
                    identifier["id"] = (
                        existing_id(identifier["type"], identifier.get("id")) or identifier["id"]
                    )
    return case


@pytest.fixture
def data(db):
    """The test's database, kept open across requests as Django's test client keeps it: the app
    (WSGI, as deployed) would close the connection after each request, and with it the test's
    transaction (on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def organizer(data):
    """The owner of a published and a draft event with their programme and tickets (an order and
    an attendee to order), a topic, an invite and a lab script; another organizer's event and a
    stranger's session beside them."""
    owner = UserFactory(email="organizer@example.com", is_verified=True)
    topic = EventTopicFactory(name="Science")
    for state in (Event.State.PUBLISHED, Event.State.DRAFT):
        event = EventFactory(owner=owner, state=state, event_topic=topic)
        track = TrackFactory(event=event)
        sessions = [
            SessionFactory(event=event, track=track, state=state, creator=owner)
            for state in (Session.State.ACCEPTED, Session.State.PENDING, Session.State.DRAFT)
        ]
        SpeakerFactory(event=event, sessions=sessions[:2], creator=owner)
        SponsorFactory(event=event)
        event_services.grant_role(UserFactory(), event, Role.COORGANIZER)
        tickets = [TicketFactory(event=event), TicketFactory(event=event, paid=True, is_hidden=True)]
        DiscountCodeFactory(event=event, tickets=tickets)
        ordered = AttendeeFactory(ticket=tickets[1], creator=owner)
        OrderFactory(event=event, buyer=owner, amount=ordered.ticket.price, attendees=[ordered])
        AttendeeFactory(ticket=tickets[0], creator=owner)
    event_services.create_invite(owner, event, email="invitee@example.com", role_name=Role.ORGANIZER)
    elsewhere = EventFactory()
    SessionFactory(event=elsewhere, state=Session.State.PENDING)
    LabScriptFactory(owner=owner)
    for type_, resource in registry.resources.items():
        stored_ids[type_] = sorted(resource.serializer_class.Meta.model.objects.values_list("pk", flat=True))
    yield owner
    stored_ids.clear()


cases_sent: Counter = Counter()  # by actor


def coverage_line() -> str:
    """What the run covered, for pytest's summary (conftest.py) and the README."""
    by_actor = ", ".join(f"{count} {actor}" for actor, count in sorted(cases_sent.items()))
    operations = len(list(schema.get_all_operations()))
    return f"contract test: {operations} operations, {cases_sent.total()} generated cases ({by_actor})"


@schema.parametrize()
@examples
def test_anonymous_callers_get_the_documented_answers(case, data):
    cases_sent["anonymous"] += 1
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@examples
def test_an_organizer_gets_the_documented_answers(case, organizer):
    cases_sent["as the organizer"] += 1
    token = issue_tokens(organizer)["access_token"]
    case.call_and_validate(headers={"Authorization": f"JWT {token}"}, checks=CHECKS)


# Each case the contract test found, kept as a plain test: the request, then what it must answer.


def call(method: str, path: str, user=None, headers=None, **parts):
    """`parts` of one request (path_parameters, query, body, media_type) sent as a case of the
    documented operation and checked as the contract test checks them."""
    headers = dict(headers or {})
    if user is not None:
        headers["Authorization"] = f"JWT {issue_tokens(user)['access_token']}"
    return schema[path][method].Case(headers=headers, **parts).call_and_validate(checks=CHECKS)


def test_an_empty_sparse_fieldset_asks_for_no_fields(data):
    EventFactory()
    response = call("GET", "/v1/events", query={"fields[event]": ""})
    assert response.status_code == 200
    assert [set(event) for event in response.json()["data"]] == [{"type", "id", "links"}]


def test_page_numbers_and_sizes_are_documented_from_1_and_refused_below(data):
    for parameter in ("page[number]", "page[size]"):
        assert call("GET", "/v1/events", query={parameter: 0}).status_code == 400
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema.raw_schema["paths"]["/v1/events"]["get"]["parameters"]
    }
    assert parameters["page[number]"]["minimum"] == parameters["page[size]"]["minimum"] == 1
    maximum = parameters["page[number]"]["maximum"]
    for above in (maximum + 1, 10**20):
        too_far = call("GET", "/v1/events", query={"page[number]": above})
        assert too_far.status_code == 400
        assert too_far.json()["errors"][0]["detail"] == f"page[number] may be at most {maximum}."


def test_a_resource_object_without_a_type_is_a_400_and_one_of_another_type_a_409(organizer):
    event = {"name": "Typeless", "starts-at": "2030-01-01T09:00:00Z", "ends-at": "2030-01-01T18:00:00Z"}
    untyped = call("POST", "/v1/events", organizer, body={"data": {"attributes": event}})
    assert untyped.status_code == 400
    mistyped = call("POST", "/v1/events", organizer, body={"data": {"type": "session", "attributes": event}})
    assert mistyped.status_code == 409


@pytest.mark.parametrize(("member", "value"), [("x-unknown", 42), ("meta", [None]), ("links", "")])
def test_a_resource_object_member_json_api_does_not_have_or_of_the_wrong_type_is_a_400(
    organizer, member, value
):
    script = {"type": "lab-script", "attributes": {"title": "t", "code": "print(1)"}}
    response = call("POST", "/v1/remotelab/scripts", organizer, body={"data": {**script, member: value}})
    assert response.status_code == 400
    assert member in response.json()["errors"][0]["detail"]


def test_a_plain_patch_documents_its_fields_as_required(data):
    response = call("PATCH", "/v1/auth/reset-password", body={"data": {}})
    assert response.status_code == 422
    request = schema["/v1/auth/reset-password"]["PATCH"].definition.raw["requestBody"]
    body = request["content"]["application/json"]["schema"]["properties"]["data"]
    component = schema.raw_schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert sorted(component["required"]) == ["password", "token"]


def test_an_unknown_token_is_a_documented_404(data):
    body = {"data": {"token": "not-a-token", "password": "a-long-enough-new-password"}}
    assert call("PATCH", "/v1/auth/reset-password", body=body).status_code == 404
    assert call("POST", "/v1/auth/verify-email", body={"data": {"token": "not-a-token"}}).status_code == 404


def test_the_settings_refuse_unknown_sparse_fieldsets(data):
    response = call("GET", "/v1/settings", query={"fields[setting]": "no-such-field"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "fields[setting]"}


def test_a_to_one_related_endpoint_without_a_target_answers_null(organizer):
    event = EventFactory(owner=organizer, event_topic=None)
    response = call("GET", "/v1/events/{id}/event-topic", path_parameters={"id": event.pk})
    assert response.json() == {"data": None}


def test_a_speaker_without_a_user_has_null_linkage(organizer):
    speaker = SpeakerFactory(event=EventFactory(owner=organizer), user=None)
    response = call("GET", "/v1/speakers/{id}", organizer, path_parameters={"id": speaker.pk})
    assert response.json()["data"]["relationships"]["user"]["data"] is None


@pytest.mark.parametrize(
    "path",
    ["/v1/events/{id}/users-events-roles", "/v1/events/{id}/role-invites", "/v1/event-topics/{id}/events"],
)
def test_actions_that_list_another_resource_are_documented_as_pages(organizer, path):
    event = EventFactory(owner=organizer, event_topic=EventTopicFactory())
    id_ = event.event_topic_id if path.startswith("/v1/event-topics") else event.pk
    response = call("GET", path, organizer, path_parameters={"id": id_})
    assert response.status_code == 200
    assert isinstance(response.json()["data"], list)


def test_running_a_script_answers_as_documented(organizer):
    script = LabScriptFactory(owner=organizer, code="print('hi')")
    response = call("POST", "/v1/remotelab/scripts/{id}/run", organizer, path_parameters={"id": script.pk})
    assert response.status_code == 200
    assert response.json()["finished"] == "done"


def test_a_track_organized_by_a_user_one_cannot_see_is_a_documented_404(organizer):
    event = EventFactory(owner=organizer)
    body = {
        "data": {
            "type": "track",
            "attributes": {"name": "Hardware"},
            "relationships": {
                "event": {"data": {"type": "event", "id": str(event.pk)}},
                "organizers": {"data": [{"type": "user", "id": str(UserFactory().pk)}]},
            },
        }
    }
    response = call("POST", "/v1/tracks", organizer, body=body)
    assert response.status_code == 404
    assert response.json()["errors"][0]["source"] == {"pointer": "/data/relationships/organizers"}


def test_ids_are_ascii_digits_not_any_scripts(organizer, client):
    event = EventFactory(owner=organizer)
    assert call("GET", "/v1/events/{id}", path_parameters={"id": event.pk}).status_code == 200
    arabic_indic = "".join(chr(0x0660 + int(digit)) for digit in str(event.pk))
    assert client.get(f"/v1/events/{arabic_indic}").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/v1/users", 429),
        ("POST", "/v1/role-invites", 429),
        ("POST", "/v1/auth/verify-email/resend", 429),
    ],
)
def test_rate_limited_operations_document_their_429(method, path, status):
    assert str(status) in schema[path][method].definition.raw["responses"]


@pytest.mark.parametrize("path", ["/v1/event-topics", "/v1/settings", "/v1/events"])
def test_operations_anyone_may_call_say_so(path):
    assert {} in schema[path]["GET"].definition.raw["security"]
    assert {} not in schema["/v1/users/me"]["GET"].definition.raw["security"]


# Found by an outside attack on a running server.


def test_the_settings_take_sparse_fieldsets_of_their_own_type(data):
    response = call("GET", "/v1/settings", query={"fields[setting]": "app-name"})
    assert response.status_code == 200
    assert list(response.json()["data"]["attributes"]) == ["app-name"]


def test_the_site_admins_settings_answer_fits_the_schema(data, site_admin):
    response = call("GET", "/v1/settings", site_admin)
    assert "admin-notes" in response.json()["data"]["attributes"]


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/v1/events", "application/json"), ("/v1/sessions/states", "application/vnd.api+json")],
)
def test_an_accept_header_naming_none_of_the_answers_media_types_is_a_documented_406(data, path, accept):
    assert call("GET", path, headers={"Accept": accept}).status_code == 406


def test_a_body_of_another_media_type_is_a_documented_415(organizer):
    body = {"data": {"type": "lab-script", "attributes": {"title": "t", "code": "print(1)"}}}
    response = call("POST", "/v1/remotelab/scripts", organizer, body=body, media_type="application/json")
    assert response.status_code == 415


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_resource_write_without_a_body_is_a_400(organizer, method):
    track = TrackFactory(event=EventFactory(owner=organizer))
    path, parts = (
        ("/v1/tracks", {}) if method == "POST" else ("/v1/tracks/{id}", {"path_parameters": {"id": track.pk}})
    )
    response = call(method, path, organizer, **parts)
    assert response.status_code == 400


def test_a_text_attribute_takes_only_a_string(organizer):
    body = {"data": {"type": "lab-script", "attributes": {"title": "t", "code": 0}}}
    response = call("POST", "/v1/remotelab/scripts", organizer, body=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"] == {"pointer": "/data/attributes/code"}


def test_a_create_naming_its_own_id_is_a_documented_403(organizer):
    body = {"data": {"type": "lab-script", "id": "4242", "attributes": {"title": "t", "code": "print(1)"}}}
    response = call("POST", "/v1/remotelab/scripts", organizer, body=body)
    assert response.status_code == 403
    assert "id" in response.json()["errors"][0]["detail"]
    assert not LabScript.objects.filter(title="t").exists()


def request_data(component: str) -> dict:
    return schema.raw_schema["components"]["schemas"][component]["properties"]["data"]


def test_request_schemas_ask_what_the_server_asks(data):
    components = schema.raw_schema["components"]["schemas"]
    assert "attributes" in request_data("LabScriptRequest")["required"]
    session = request_data("SessionRequest")
    assert {"type", "attributes", "relationships"} == set(session["required"])
    linkage = session["properties"]["relationships"]["properties"]["event"]["properties"]["data"]
    assert linkage["properties"]["id"]["minLength"] == 1
    texts = [
        request_data("LabScriptRequest")["properties"]["attributes"]["properties"]["title"],
        components["LoginRequest"]["properties"]["email"],
    ]
    for text in texts:  # DRF's text fields refuse NUL characters
        assert re.search(text["pattern"], "a text")
        assert not re.search(text["pattern"], "a\x00text")
    password = request_data("UserRequest")["properties"]["attributes"]["properties"]["password"]
    assert "at least 8 characters" in password["description"]
    reset = components["PasswordResetRequest"]["properties"]["password"]
    assert "at least 8 characters" in reset["description"]


def test_a_plain_text_field_takes_only_a_string(data):
    response = call("POST", "/v1/auth/login", body={"email": 12, "password": "secret"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"] == {"pointer": "/email"}


@pytest.mark.parametrize(
    "accept",
    [
        "application/vnd.api+json; ext=foo",
        "application/vnd.api+json; profile=x, application/vnd.api+json; ext=foo, */*",
    ],
)
def test_an_accept_header_naming_json_api_only_with_parameters_is_a_406(data, accept):
    assert call("GET", "/v1/events", headers={"Accept": accept}).status_code == 406


@pytest.mark.parametrize(
    "accept",
    ["application/vnd.api+json", "application/vnd.api+json; ext=foo, application/vnd.api+json", "*/*"],
)
def test_an_accept_header_naming_json_api_once_without_parameters_is_served(data, accept):
    assert call("GET", "/v1/events", headers={"Accept": accept}).status_code == 200


def test_a_json_api_body_whose_media_type_has_parameters_is_a_415(organizer):
    body = {"data": {"type": "lab-script", "attributes": {"title": "t", "code": "print(1)"}}}
    response = call(
        "POST", "/v1/remotelab/scripts", organizer, body=body, media_type="application/vnd.api+json; ext=foo"
    )
    assert response.status_code == 415
    assert not LabScript.objects.filter(title="t").exists()


def test_an_optional_text_attribute_may_be_empty_as_the_server_takes_it(data):
    description = request_data("TrackRequest")["properties"]["attributes"]["properties"]["description"]
    jsonschema.validate("", description)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate("a\x00b", description)


@pytest.mark.parametrize(
    ("document", "own_type"), [("TrackDocument", "Track"), ("SessionDocument", "Session")]
)
def test_an_include_path_back_to_the_primary_type_is_documented(data, document, own_type):
    # GET /v1/tracks/{id}?include=event.tracks brings the event's other tracks
    included = schema.raw_schema["components"]["schemas"][document]["properties"]["included"]
    assert f"#/components/schemas/{own_type}" in [ref["$ref"] for ref in included["items"]["oneOf"]]


def test_a_list_without_words_to_search_refuses_a_search_and_does_not_document_one(organizer):
    response = call("GET", "/v1/sponsors", query={"filter[search]": "zzz"})
    assert response.status_code == 400
    names = [
        parameter["name"] for parameter in schema.raw_schema["paths"]["/v1/sponsors"]["get"]["parameters"]
    ]
    assert "filter[search]" not in names
    assert "filter[search]" in [
        parameter["name"] for parameter in schema.raw_schema["paths"]["/v1/sessions"]["get"]["parameters"]
    ]

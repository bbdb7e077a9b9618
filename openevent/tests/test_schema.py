"""The OpenAPI description of /v1 (openevent.schema): generated without a warning, served as
JSON and YAML with docs pages that load nothing from elsewhere, and covering every /v1 URL."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import get_resolver

from openevent.tests.test_list_parameters import api_routes

pytestmark = pytest.mark.django_db

NOT_OPERATIONS = {"/v1", "/v1/schema/", "/v1/docs/", "/v1/docs/redoc/"}  # an alias, the docs themselves


def test_the_schema_generates_and_validates_without_a_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert yaml.safe_load((tmp_path / "schema.yaml").read_text())["openapi"].startswith("3.")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_is_served_as_yaml_and_as_json(client):
    as_yaml = client.get("/v1/schema/")
    assert as_yaml.status_code == 200
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    as_json = client.get("/v1/schema/?format=json")
    assert as_json["Content-Type"] == "application/vnd.oai.openapi+json"
    assert as_json.json()["paths"].keys() == yaml.safe_load(as_yaml.content)["paths"].keys()


@pytest.mark.parametrize("page", ["/v1/docs/", "/v1/docs/redoc/"])
def test_the_docs_load_only_this_sites_static_files(client, page):
    response = client.get(page)
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert assets
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), asset


def openapi_path(route: str) -> str:
    """A URL pattern as an OpenAPI path, its parameters left unnamed."""
    path = "/" + re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>", "{}", route)
    return path


def test_every_v1_url_is_documented_and_every_documented_path_exists(schema):
    routes = {openapi_path(route) for route, _ in api_routes(get_resolver().url_patterns)} - NOT_OPERATIONS
    documented = {re.sub(r"\{\w+\}", "{}", path) for path in schema["paths"]}
    assert routes == documented


def test_every_operation_says_what_it_does_who_may_call_it_and_how_it_fails(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            always_refused = "/relationships/" in path and method != "get"  # change it with the resource
            assert always_refused or any(code.startswith("2") for code in codes), (method, path)
            assert any(code.startswith("4") for code in codes), (method, path)
            assert re.fullmatch(r"[A-Z].+ \(.+\)", operation.get("summary", "")), (method, path)


def test_every_list_documents_the_filters_it_takes(schema):
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    paths = {re.sub(r"\{\w+\}", "{}", path): operations for path, operations in schema["paths"].items()}
    lists = 0
    for path, _, method, callback in generator.endpoints:
        operation = paths.get(re.sub(r"\{\w+\}", "{}", path), {}).get(method.lower(), {})
        parameters = {parameter["name"]: parameter for parameter in operation.get("parameters", [])}
        if "page[number]" not in parameters:
            continue
        view = callback.cls(**callback.initkwargs)  # with its action's options
        lists += 1
        expected = {"filter", *(f"filter[{name}]" for name in getattr(view, "filter_fields", {}))}
        if getattr(view, "search_fields", None):
            expected.add("filter[search]")
        assert expected <= parameters.keys(), (method, path)
        assert all(parameters[name].get("description") for name in expected), (method, path)
    assert lists == 34


def request_members(schema, component: str) -> tuple[set, set]:
    """The attributes and relationships a request component lists."""
    data = schema["components"]["schemas"][component]["properties"]["data"]["properties"]
    return (
        set(data.get("attributes", {}).get("properties", {})),
        set(data.get("relationships", {}).get("properties", {})),
    )


@pytest.mark.parametrize(
    ("component", "relationships"),
    [
        ("EventRequest", {"event-topic"}),
        ("PatchedEventRequest", {"event-topic"}),
        ("RoleInviteRequest", {"event"}),
        ("PatchedRoleInviteChangeRequest", set()),  # an invite stays with its event
        ("SessionRequest", {"event", "track", "microlocation", "session-type"}),
        ("PatchedSessionRequest", {"track", "microlocation", "session-type"}),
        ("SpeakerRequest", {"event", "sessions"}),
        ("PatchedSpeakerRequest", {"sessions"}),
        ("SponsorRequest", {"event"}),
        ("PatchedSponsorRequest", set()),
        ("TrackRequest", {"event", "organizers"}),
        ("PatchedTrackRequest", {"organizers"}),
        ("MicrolocationRequest", {"event"}),
        ("PatchedMicrolocationRequest", set()),
        ("SessionTypeRequest", {"event"}),
        ("PatchedSessionTypeRequest", set()),
    ],
)
def test_a_request_lists_only_what_a_write_takes(schema, component, relationships):
    attributes, listed = request_members(schema, component)
    assert listed == relationships
    assert "created-at" not in attributes  # read-only: ignored when sent


def test_a_role_invite_patch_documents_the_invitees_answer(schema):
    attributes, _ = request_members(schema, "PatchedRoleInviteChangeRequest")
    assert attributes == {"email", "role-name", "status"}

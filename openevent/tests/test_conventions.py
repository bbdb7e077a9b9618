"""The JSON:API conventions of shared/docs/API.md that hold for every endpoint."""

import json

import pytest
from django.test import Client, RequestFactory
from django.urls import path
from rest_framework.request import Request

from accounts.factories import UserFactory
from accounts.models import User
from openevent.api import Pagination

pytestmark = pytest.mark.django_db


def assert_error_document(response, status: int, content_type: str = "application/vnd.api+json") -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == content_type
    (error,) = response.json()["errors"]
    assert error["status"] == str(status)
    assert error["title"]
    return error


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/v1/nothing-here", "/v1/users/1/unknown"])
def test_unknown_api_urls_are_json_api_404s_even_in_debug(client, settings, debug, path):
    settings.DEBUG = debug
    assert_error_document(client.get(path), 404)
    assert_error_document(Client(enforce_csrf_checks=True).post(path), 404)


@pytest.mark.parametrize("path", ["/v1", "/v1/"])
def test_the_api_root_is_a_json_api_document_linking_each_collection(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.api+json"
    document = response.json()
    assert document["jsonapi"] == {"version": "1.0"}
    assert document["links"]["event"] == "http://testserver/v1/events"
    for url in document["links"].values():
        assert client.get(url.removeprefix("http://testserver")).status_code in (200, 401)


def test_unknown_pages_are_html_404s(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


def crash(request):
    raise RuntimeError("a bug")


urlpatterns = [path("v1/crash", crash), path("crash/", crash)]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("debug", [False, True])
def test_a_crash_under_v1_is_an_error_document_and_elsewhere_a_page(settings, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    assert_error_document(client.get("/v1/crash"), 500)
    page = client.get("/crash/")
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("debug", [False, True])
def test_a_bad_host_under_v1_is_an_error_document(client, settings, debug):
    settings.DEBUG = debug
    assert_error_document(client.get("/v1/users/me", HTTP_HOST="evil.example.com"), 400)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/v1/auth/login", "application/json"), ("/v1/users", "application/vnd.api+json")],
)
def test_json_nested_too_deeply_is_a_400(client, path, content_type):
    response = client.post(path, "[" * 100_000, content_type=content_type)
    assert_error_document(response, 400, content_type)


@pytest.mark.parametrize("header", ["JWT garbage", "JWT", "Bearer a.b.c", "JWT a b"])
def test_a_bad_token_is_one_401_error(client, header):
    error = assert_error_document(client.get("/v1/users/me", HTTP_AUTHORIZATION=header), 401)
    assert error["detail"]


def test_method_not_allowed_is_a_json_api_error(api, user):
    response = api.as_user(user).delete("/v1/users")
    assert response.status_code == 405
    assert response.json()["errors"][0] == {
        "detail": 'Method "DELETE" not allowed.',
        "status": "405",
        "code": "method_not_allowed",
        "title": "Method Not Allowed",
    }


def test_unknown_query_parameters_are_400(api, user):
    api.as_user(user)
    response = api.get(f"/v1/users/{user.pk}?bogus=1")
    assert response.status_code == 400
    assert response.json()["errors"][0]["status"] == "400"


def test_session_authenticated_api_writes_need_csrf(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch(
        f"/v1/users/{user.pk}",
        json.dumps({"data": {"type": "user", "id": str(user.pk), "attributes": {"first-name": "X"}}}),
        content_type="application/vnd.api+json",
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["status"] == "403"
    user.refresh_from_db()
    assert user.first_name == "Ada"


def test_pages_hold_the_total_in_meta_count():
    for number in range(7):
        UserFactory(email=f"person{number}@example.com")
    request = Request(RequestFactory().get("/v1/users", {"page[size]": 3, "page[number]": 2}))
    paginator = Pagination()
    page = paginator.paginate_queryset(User.objects.all(), request)
    meta = paginator.get_paginated_response([user.pk for user in page]).data["meta"]
    assert len(page) == 3
    assert meta["count"] == 7
    assert meta["pagination"] == {"page": 2, "pages": 3, "count": 7}

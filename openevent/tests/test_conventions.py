"""The JSON:API conventions of shared/docs/API.md that hold for every endpoint."""

import json

import pytest
from django.test import Client, RequestFactory
from rest_framework.request import Request

from accounts.models import User
from accounts.tests.factories import make_user
from openevent import views
from openevent.api import Pagination

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/v1/", "/v1/nothing-here", "/v1/users/1/unknown"])
def test_unknown_api_urls_are_json_api_404s_even_in_debug(client, settings, debug, path):
    settings.DEBUG = debug
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/vnd.api+json"
    assert response.json() == {"errors": [{"status": "404", "title": "Not Found", "detail": "Not found."}]}


def test_unknown_pages_are_html_404s(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


@pytest.mark.parametrize(
    ("path", "content_type"), [("/v1/anything", "application/vnd.api+json"), ("/x/", "text/html")]
)
def test_server_errors_are_error_documents_under_v1_and_pages_elsewhere(path, content_type):
    response = views.server_error(RequestFactory().get(path))
    assert response.status_code == 500
    assert response["Content-Type"].startswith(content_type)


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
        make_user(email=f"person{number}@example.com")
    request = Request(RequestFactory().get("/v1/users", {"page[size]": 3, "page[number]": 2}))
    paginator = Pagination()
    page = paginator.paginate_queryset(User.objects.all(), request)
    meta = paginator.get_paginated_response([user.pk for user in page]).data["meta"]
    assert len(page) == 3
    assert meta["count"] == 7
    assert meta["pagination"] == {"page": 2, "pages": 3, "count": 7}

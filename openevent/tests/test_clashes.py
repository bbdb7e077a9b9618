"""A write PostgreSQL refuses for a race with another request's (the races themselves are in each
app's concurrency tests) is a 409 that says so, on a page and in the API."""

import json

import pytest
from django.db import IntegrityError, OperationalError
from django.test import RequestFactory

from openevent.clashes import ClashMiddleware
from openevent.errors import CLASHED


class _PostgresError(Exception):
    def __init__(self, sqlstate):
        self.sqlstate = sqlstate


def refused(error_class, sqlstate):
    error = error_class("refused")
    error.__cause__ = _PostgresError(sqlstate)
    return error


middleware = ClashMiddleware(lambda request: None)


@pytest.mark.parametrize(
    "error",
    [refused(IntegrityError, "23503"), refused(OperationalError, "40P01")],
    ids=["reference", "deadlock"],
)
def test_a_clash_is_a_409_saying_so_on_a_page_and_in_the_api(error):
    page = middleware.process_exception(RequestFactory().post("/events/1/checkout/"), error)
    assert page.status_code == 409
    assert CLASHED in page.content.decode()
    api = middleware.process_exception(RequestFactory().post("/v1/attendees"), error)
    assert api.status_code == 409
    assert api["Content-Type"] == "application/vnd.api+json"
    assert [(error["code"], error["detail"]) for error in json.loads(api.content)["errors"]] == [
        ("clash", CLASHED)
    ]


@pytest.mark.parametrize(
    "error",
    [
        refused(IntegrityError, "23505"),
        refused(OperationalError, "57014"),
        IntegrityError("sqlite"),
        ValueError(),
    ],
    ids=["unique", "timeout", "no-sqlstate", "not-a-database-error"],
)
def test_any_other_error_is_left_to_whoever_answers_it(error):
    assert middleware.process_exception(RequestFactory().post("/v1/attendees"), error) is None

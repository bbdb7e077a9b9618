"""Dates a user sets are bounded, so no time zone's local time can overflow and break a page."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps

from accounts.factories import UserFactory
from events.factories import EventFactory
from events.models import Event

from .test_admin import change_url, event_form, management_form

pytestmark = pytest.mark.django_db

clamp_event_dates = importlib.import_module("events.migrations.0007_clamp_event_dates").clamp_event_dates

# The attacks: year 1 in a zone west of UTC, year 9999 in the zone furthest east.
OUT_OF_RANGE = [
    ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z", "America/Los_Angeles"),
    ("9999-12-30T00:00:00Z", "9999-12-31T23:00:00Z", "Pacific/Kiritimati"),
    ("0001-01-01T00:00:00+14:00", "0001-01-02T00:00:00Z", "UTC"),
    ("1969-12-31T23:59:59Z", "1970-01-02T00:00:00Z", "UTC"),
    ("2199-12-31T00:00:00Z", "2200-01-01T00:00:00Z", "UTC"),
]


def event_document(starts_at, ends_at, timezone, state="published"):
    attributes = {"name": "Far out", "starts-at": starts_at, "ends-at": ends_at, "timezone": timezone}
    return {"data": {"type": "event", "attributes": attributes | {"state": state}}}


@pytest.mark.parametrize(("starts_at", "ends_at", "timezone"), OUT_OF_RANGE)
def test_an_event_date_out_of_range_is_422_with_a_pointer_and_writes_nothing(
    api, client, user, starts_at, ends_at, timezone
):
    response = api.as_user(user).post("/v1/events", event_document(starts_at, ends_at, timezone))
    assert response.status_code == 422, response.content
    pointers = {error["source"]["pointer"] for error in response.json()["errors"]}
    assert pointers <= {"/data/attributes/starts-at", "/data/attributes/ends-at"}
    assert pointers
    assert not Event.objects.exists()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(("starts_at", "ends_at", "timezone"), OUT_OF_RANGE[:2])
def test_moving_an_event_out_of_range_is_422_and_its_page_still_renders(
    api, client, user, starts_at, ends_at, timezone
):
    event = EventFactory(owner=user)
    document = event_document(starts_at, ends_at, timezone)
    document["data"]["id"] = str(event.pk)
    response = api.as_user(user).patch(f"/v1/events/{event.pk}", document)
    assert response.status_code == 422
    event.refresh_from_db()
    assert event.starts_at.year > 2000
    assert client.get("/").status_code == 200
    assert client.get(f"/events/{event.pk}/").status_code == 200


def test_the_edges_of_the_range_are_accepted_and_render_in_every_zone(api, client, user):
    for starts_at, ends_at, timezone in [
        ("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", "Pacific/Pago_Pago"),
        ("2199-12-30T00:00:00Z", "2199-12-31T23:59:59Z", "Pacific/Kiritimati"),
    ]:
        response = api.as_user(user).post("/v1/events", event_document(starts_at, ends_at, timezone))
        assert response.status_code == 201, response.content
        assert client.get(f"/events/{response.json()['data']['id']}/").status_code == 200
    assert client.get("/").status_code == 200


def test_the_admin_refuses_a_date_out_of_range_as_a_form_error(client, user):
    event = EventFactory(owner=user)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = event_form(event) | {"starts_at_0": "0001-01-01", "starts_at_1": "00:00:00"}
    data |= management_form("user_roles", 0, 0) | management_form("role_invites", 0, 0)
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    assert "Choose a date from 1970 to 2199." in response.context["adminform"].form.errors["starts_at"]
    event.refresh_from_db()
    assert event.starts_at.year > 2000


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)),
        (datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)),
        (datetime(2030, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC)),
    ],
)
def test_dates_stored_before_the_bound_are_moved_into_it_and_the_pages_render(
    client, user, starts_at, ends_at
):
    kept = EventFactory(owner=user)
    stored = Event.objects.create(
        name="Legacy", starts_at=starts_at, ends_at=ends_at, timezone="Pacific/Kiritimati", state="published"
    )
    clamp_event_dates(django_apps, None)
    stored.refresh_from_db()
    stored.full_clean()  # in the range, and still ending after it starts
    assert (Event.objects.get(pk=kept.pk).starts_at, Event.objects.get(pk=kept.pk).ends_at) == (
        kept.starts_at,
        kept.ends_at,
    )
    assert client.get("/").status_code == 200
    assert client.get(f"/events/{stored.pk}/").status_code == 200

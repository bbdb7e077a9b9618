from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.tests.helpers import link_token
from conftest import form_as_sent
from events import services
from events.factories import EventFactory
from events.models import Event, Role, RoleInvite, UsersEventsRoles
from events.views import INVITE_SESSION_KEY

pytestmark = pytest.mark.django_db


def test_the_start_page_lists_upcoming_published_events_only(client, user):
    upcoming = EventFactory(owner=user, name="Upcoming Summit")
    EventFactory(owner=user, name="Hidden Draft", state=Event.State.DRAFT)
    EventFactory(owner=user, name="Past Meetup", days_ahead=-10)
    response = client.get("/")
    assert [event.name for event in response.context["page"]] == [upcoming.name]
    assert b"Upcoming Summit" in response.content
    assert b"Hidden Draft" not in response.content


def test_the_start_page_searches_and_pages(client, user):
    for number in range(14):
        EventFactory(owner=user, name=f"Conf {number:02}", days_ahead=number + 1)
    EventFactory(owner=user, name="Workshop")
    assert [event.name for event in client.get("/?q=work").context["page"]] == ["Workshop"]
    second = client.get("/?q=conf&page=2")
    assert [event.name for event in second.context["page"]] == ["Conf 12", "Conf 13"]
    assert b"Page 2 of 2" in second.content


def test_the_events_address_leads_to_the_start_page_and_keeps_the_search(client):
    response = client.get("/events/?q=summit")
    assert (response.status_code, response["Location"]) == (301, "/?q=summit")


@pytest.mark.parametrize("query", ["\x00", "a" * 101])
def test_a_bad_search_is_a_form_error_not_a_crash(client, user, query):
    EventFactory(owner=user, name="Summit")
    response = client.get("/", {"q": query})
    assert response.status_code == 200
    assert response.context["search"].errors
    assert [event.name for event in response.context["page"]] == ["Summit"]


def test_event_page_shows_times_in_the_events_time_zone(client, user):
    start = timezone.now().replace(hour=1, minute=30, second=0, microsecond=0) + timedelta(days=3)
    event = EventFactory(
        owner=user, starts_at=start, ends_at=start + timedelta(hours=5), timezone="Asia/Kolkata"
    )
    response = client.get(f"/events/{event.pk}/")
    assert response.status_code == 200
    assert b"07:00" in response.content  # 01:30 UTC is 07:00 in India
    assert b"Asia/Kolkata" in response.content


def test_a_draft_page_is_404_without_a_role_and_shown_with_one(client, user):
    draft = EventFactory(owner=user, state=Event.State.DRAFT)
    assert client.get(f"/events/{draft.pk}/").status_code == 404
    client.force_login(UserFactory())
    assert client.get(f"/events/{draft.pk}/").status_code == 404
    client.force_login(user)
    response = client.get(f"/events/{draft.pk}/")
    assert response.status_code == 200
    assert b"Draft" in response.content


def event_form(**fields) -> dict:
    return {
        "name": "Local Meetup",
        "starts_at": "2030-03-01T18:00",
        "ends_at": "2030-03-01T21:00",
        "timezone": "Europe/Berlin",
        "state": "draft",
        "payment_currency": "EUR",
        "location_name": "Library",
        "description": "",
    } | fields


def test_creating_an_event_on_the_page_reads_times_in_its_time_zone(client, user):
    client.force_login(user)
    response = client.post("/events/new/", event_form())
    event = Event.objects.get()
    assert response["Location"] == f"/events/{event.pk}/"
    assert event.starts_at.isoformat() == "2030-03-01T17:00:00+00:00"  # 18:00 in Berlin in winter
    assert UsersEventsRoles.objects.get(event=event).role.name == Role.OWNER
    edit = client.get(f"/events/{event.pk}/edit/")
    assert edit.context["form"]["starts_at"].value().strftime("%H:%M") == "18:00"


def test_the_create_form_shows_errors_next_to_fields(client, user):
    client.force_login(user)
    response = client.post("/events/new/", event_form(ends_at="2030-03-01T17:00", timezone="Nowhere/Land"))
    errors = response.context["form"].errors
    assert "timezone" in errors
    assert not Event.objects.exists()
    response = client.post("/events/new/", event_form(ends_at="2030-03-01T17:00"))
    assert "ends_at" in response.context["form"].errors
    assert not Event.objects.exists()


def test_an_edit_to_a_year_no_zone_can_convert_is_a_form_error(client, user):
    event = EventFactory(owner=user)
    client.force_login(user)
    response = client.post(
        f"/events/{event.pk}/edit/", event_form(timezone="America/New_York", ends_at="9999-12-31T23:59")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == ["Choose a date from 1970 to 2199."]


def test_creating_an_event_needs_login(client, db):
    assert client.get("/events/new/")["Location"].startswith("/login/")


def test_only_event_admins_edit(client, user):
    event = EventFactory(owner=user)
    attendee = UserFactory()
    services.grant_role(attendee, event, Role.ATTENDEE)
    client.force_login(attendee)
    assert client.get(f"/events/{event.pk}/edit/").status_code == 403
    assert client.post(f"/events/{event.pk}/edit/", event_form(name="Hijacked")).status_code == 403
    client.force_login(user)
    response = client.post(f"/events/{event.pk}/edit/", event_form(name="Renamed", state="published"))
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.name == "Renamed"


def test_my_events_lists_roles_and_pending_invites(client, user, mailoutbox):
    user.is_verified = True
    user.save()
    mine = EventFactory(owner=user, name="Mine")
    other = EventFactory(name="Theirs")
    services.create_invite(
        UsersEventsRoles.objects.get(event=other).user, other, email=user.email, role_name=Role.MODERATOR
    )
    client.force_login(user)
    response = client.get("/my-events/")
    assert [row.event for row in response.context["roles"]] == [mine]
    assert [invite.event for invite in response.context["invites"]] == [other]


ANSWER = "/invites/answer/"


@pytest.fixture
def invitation(user, mailoutbox):
    event = EventFactory(name="Invited Conf", state=Event.State.DRAFT)
    owner = UsersEventsRoles.objects.get(event=event).user
    services.create_invite(owner, event, email=user.email, role_name=Role.COORGANIZER)
    return event, f"/invites/{link_token(mailoutbox[-1], '/invites/')}/"


def test_the_invite_link_moves_its_token_into_the_session_at_once(client, user, invitation):
    _, url = invitation
    token = url.split("/")[2]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == "/invites/answer/"
    assert client.session[INVITE_SESSION_KEY] == token
    login_redirect = client.get(response["Location"])["Location"]
    assert login_redirect.startswith(reverse("accounts:login"))
    assert token not in login_redirect
    client.force_login(user)  # logging in keeps the session's data
    page = client.get("/invites/answer/")
    assert b"Invited Conf" in page.content
    assert token.encode() not in page.content


def test_the_invite_link_asks_for_login_then_accepts(client, user, invitation):
    event, url = invitation
    assert client.get(url, follow=True).redirect_chain[-1][0].startswith(reverse("accounts:login"))
    client.force_login(user)
    assert b"Invited Conf" in client.get(ANSWER).content
    response = client.post(ANSWER, {"answer": "accepted", "invite": RoleInvite.objects.get().pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"/events/{event.pk}/"
    assert UsersEventsRoles.objects.get(user=user, event=event).role.name == Role.COORGANIZER
    assert b"You accepted this invite" in client.get(url, follow=True).content


def test_the_invite_link_declines(client, user, invitation):
    _, url = invitation
    client.force_login(user)
    client.get(url)
    client.post(ANSWER, {"answer": "declined", "invite": RoleInvite.objects.get().pk})
    assert RoleInvite.objects.get().status == "declined"
    assert not UsersEventsRoles.objects.filter(user=user).exists()
    assert (
        client.post(ANSWER, {"answer": "accepted", "invite": RoleInvite.objects.get().pk}).status_code == 200
    )  # shown as a form error
    assert not UsersEventsRoles.objects.filter(user=user).exists()


def test_the_invite_link_refuses_another_logged_in_user(client, invitation):
    _, url = invitation
    client.force_login(UserFactory(email="intruder@example.com"))
    assert client.get(url, follow=True).status_code == 403
    assert (
        client.post(ANSWER, {"answer": "accepted", "invite": RoleInvite.objects.get().pk}).status_code == 403
    )
    assert RoleInvite.objects.get().status == "pending"


def test_an_unknown_invite_link_is_404(client, user):
    client.force_login(user)
    assert client.get("/invites/forged-token/", follow=True).status_code == 404
    assert client.post("/invites/answer/", {"answer": "accepted"}).status_code == 404


def test_the_answer_page_without_an_opened_link_is_404(client, user):
    client.force_login(user)
    assert client.get("/invites/answer/").status_code == 404


def test_an_answer_from_a_page_of_another_invite_answers_nothing(client, user, invitation):
    _, url = invitation
    client.force_login(user)
    client.get(url)
    response = client.post(ANSWER, {"answer": "accepted", "invite": RoleInvite.objects.get().pk + 1})
    assert response.status_code == 200
    assert "out of date" in str(response.context["form"].non_field_errors())
    assert RoleInvite.objects.get().status == "pending"


def test_my_events_tells_an_unconfirmed_user_where_their_invites_will_be(client):
    unconfirmed = UserFactory(email="new@example.com", is_verified=False)
    client.force_login(unconfirmed)
    page = client.get("/my-events/").content.decode()
    assert "Invites to new@example.com appear here once you confirm that address" in page
    assert reverse("accounts:resend-verification") in page
    unconfirmed.is_verified = True
    unconfirmed.save()
    assert "once you confirm" not in client.get("/my-events/").content.decode()


def test_the_event_forms_checkboxes_sit_in_their_sentence_labels(client):
    client.force_login(UserFactory())
    page = client.get(reverse("events:create")).content.decode()
    assert (
        '<label for="id_can_pay_by_stripe"><input type="checkbox" name="can_pay_by_stripe" '
        'id="id_can_pay_by_stripe"> Accept payment by Stripe</label>'
    ) in page
    assert '<label for="id_timezone">Time zone</label>' in page


def test_every_page_has_a_favicon(client, db):
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
    response = client.get("/favicon.ico")
    assert (response.status_code, response.url) == (301, "/static/favicon.svg")


# --- The edit page sends back what it showed --------------------------------------------------


def shown_on_the_edit_page(client, event) -> dict:
    """The edit page's form as a browser sends it back unchanged."""
    return form_as_sent(client.get(f"/events/{event.pk}/edit/").content.decode())


def test_an_unchanged_edit_keeps_the_times_as_stored_also_in_the_hour_the_clocks_go_back(client, user):
    """01:50 EST on 7 November 2027 comes after 01:50 EDT; the page shows both as 01:50, and the
    seconds not at all. Sent back unchanged, the stored instants stay."""
    new_york_times = {
        "starts_at": datetime(2027, 11, 6, 13, 0, 30, tzinfo=UTC),  # 09:00:30 EDT
        "ends_at": datetime(2027, 11, 7, 6, 50, tzinfo=UTC),  # 01:50 EST, the second one
    }
    event = EventFactory(owner=user, timezone="America/New_York", **new_york_times)
    client.force_login(user)
    response = client.post(
        f"/events/{event.pk}/edit/", shown_on_the_edit_page(client, event) | {"name": "Renamed"}
    )
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert (event.name, event.starts_at, event.ends_at) == ("Renamed", *new_york_times.values())


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2027-11-07T01:30", "the clocks go back: it happens twice"),
        ("2027-03-14T02:30", "the clocks skip it"),
    ],
)
def test_a_time_typed_in_an_hour_the_clocks_change_is_a_form_error(client, user, typed, why):
    event = EventFactory(owner=user, timezone="America/New_York")
    client.force_login(user)
    response = client.post(
        f"/events/{event.pk}/edit/", shown_on_the_edit_page(client, event) | {"starts_at": typed}
    )
    assert response.status_code == 200, why
    assert "it may be ambiguous or it may not exist" in response.context["form"].errors["starts_at"][0]


def test_an_edit_of_an_event_deleted_while_it_is_saved_is_404(client, user, monkeypatch):
    event = EventFactory(owner=user)
    update_event = services.update_event

    def deleted_first(actor, stale, **changes):
        Event.objects.filter(pk=event.pk).delete()
        return update_event(actor, stale, **changes)

    monkeypatch.setattr(services, "update_event", deleted_first)
    client.force_login(user)
    assert client.post(f"/events/{event.pk}/edit/", shown_on_the_edit_page(client, event)).status_code == 404


@pytest.mark.parametrize("typed", ["2030-03-01T10:00+05:00", "2030-03-01T10:00Z", "9999-12-31T23:59-23:59"])
def test_a_time_typed_with_an_offset_is_a_form_error(client, user, typed):
    """The page takes wall-clock times in the event's zone, as a datetime-local input sends them."""
    event = EventFactory(owner=user)
    client.force_login(user)
    response = client.post(
        f"/events/{event.pk}/edit/", shown_on_the_edit_page(client, event) | {"ends_at": typed}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"ends_at": ["Enter a valid date/time."]}


def test_a_refused_start_is_the_one_error(client, user):
    """The typed end comes before the stored start: the model must not judge the two together."""
    event = EventFactory(owner=user, timezone="America/New_York", starts_at=datetime(2028, 1, 1, tzinfo=UTC))
    client.force_login(user)
    sent = shown_on_the_edit_page(client, event) | {
        "starts_at": "2027-11-07T01:30",
        "ends_at": "2027-11-07T03:00",
    }
    response = client.post(f"/events/{event.pk}/edit/", sent)
    assert list(response.context["form"].errors) == ["starts_at"]  # not "must end after it starts"


def test_a_description_at_its_longest_is_saved_again_as_a_browser_sends_it(client, user):
    """Browsers send a textarea's line breaks as CRLF; the API took them as LF, one character each."""
    longest = "\n".join(["A line of the programme."] * 800)
    longest += "x" * (20_000 - len(longest))
    event = EventFactory(owner=user, description=longest)
    client.force_login(user)
    response = client.post(
        f"/events/{event.pk}/edit/", shown_on_the_edit_page(client, event) | {"name": "Renamed"}
    )
    assert response.status_code == 302, response.context["form"].errors
    event.refresh_from_db()
    assert event.description == longest


# --- The edit page and the admin's change page alike -------------------------------------------

EDITORS = {
    "the edit page": lambda event: f"/events/{event.pk}/edit/",
    "the admin": lambda event: f"/admin/events/event/{event.pk}/change/",
}


@pytest.fixture(params=EDITORS.values(), ids=EDITORS.keys())
def edit_url(request):
    return request.param


def form_of(response):
    return response.context["adminform"].form if "adminform" in response.context else response.context["form"]


def test_an_edit_keeps_what_another_organizer_changed_since_the_page_was_shown(client, user, api, edit_url):
    event = EventFactory(owner=user, description="Old words", location_name="Hall 1")
    client.force_login(user)
    shown = form_as_sent(client.get(edit_url(event)).content.decode())
    earlier = event.starts_at - timedelta(hours=1)
    moved = {"description": "New words", "location-name": "Hall 2", "starts-at": earlier.isoformat()}
    document = {"data": {"type": "event", "id": str(event.pk), "attributes": moved}}
    assert api.as_user(user).patch(f"/v1/events/{event.pk}", document).status_code == 200
    response = client.post(edit_url(event), shown | {"name": "Renamed"})
    assert response.status_code == 302, form_of(response).errors
    event.refresh_from_db()
    assert (event.name, event.description, event.location_name, event.starts_at) == (
        "Renamed",
        "New words",
        "Hall 2",
        earlier,
    )


def test_changing_only_the_time_zone_reads_the_times_in_it(client, user, edit_url):
    """10:00 stays 10:00, now in Kolkata."""
    kathmandu = ZoneInfo("Asia/Kathmandu")
    event = EventFactory(
        owner=user,
        timezone="Asia/Kathmandu",
        starts_at=datetime(2030, 3, 1, 10, tzinfo=kathmandu),
        ends_at=datetime(2030, 3, 1, 18, tzinfo=kathmandu),
    )
    client.force_login(user)
    shown = form_as_sent(client.get(edit_url(event)).content.decode())
    response = client.post(edit_url(event), shown | {"timezone": "Asia/Kolkata"})
    assert response.status_code == 302, form_of(response).errors
    event.refresh_from_db()
    assert event.starts_at == datetime(2030, 3, 1, 10, tzinfo=ZoneInfo("Asia/Kolkata"))

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.factories import UserFactory
from accounts.tests.helpers import link_token
from conftest import form_as_sent
from events import services
from events.factories import EventFactory
from events.models import Event, Role, RoleInvite, UsersEventsRoles
from forms_builder.models import CustomForm
from openevent.errors import NotFound
from speakers.factories import SessionFactory
from speakers.models import Session

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/events/event/"


def change_url(event) -> str:
    return f"/admin/events/event/{event.pk}/change/"


@pytest.fixture
def organizer(db):
    return UserFactory(email="organizer@example.com")


def test_an_organizers_changelist_shows_only_their_events(client, organizer):
    mine = EventFactory(owner=organizer, name="Mine")
    coorganized = EventFactory(name="Coorganized", state=Event.State.DRAFT)
    services.grant_role(organizer, coorganized, Role.COORGANIZER)
    attended = EventFactory(name="Attended")
    services.grant_role(organizer, attended, Role.ATTENDEE)
    EventFactory(name="Someone else's")
    client.force_login(organizer)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert {event.name for event in response.context["cl"].result_list} == {mine.name, coorganized.name}


def test_a_site_admin_sees_every_event(client):
    for _ in range(3):
        EventFactory(state=Event.State.DRAFT)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(CHANGELIST).context["cl"].result_count == 3


@pytest.mark.parametrize("state", [Event.State.DRAFT, Event.State.PUBLISHED])
def test_someone_elses_event_is_404_in_the_admin(client, organizer, state):
    EventFactory(owner=organizer)
    other = EventFactory(state=state)
    client.force_login(organizer)
    assert client.get(change_url(other)).status_code == 404
    assert client.post(f"/admin/events/event/{other.pk}/delete/", {"post": "yes"}).status_code == 404
    assert Event.objects.filter(pk=other.pk).exists()


def test_someone_logged_in_without_an_event_to_run_is_told_so(client, organizer):
    client.force_login(organizer)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert "You do not run any event yet" in response.content.decode()
    assert reverse("events:create") in response.content.decode()
    EventFactory(owner=organizer)
    assert client.get("/admin/login/").url == "/admin/"


def test_someone_logged_out_is_sent_to_log_in(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=/admin/")


def management_form(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def event_form(event) -> dict:
    return {
        "name": event.name,
        "description": event.description,
        "starts_at_0": event.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": event.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": event.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": event.ends_at.strftime("%H:%M:%S"),
        "timezone": event.timezone,
        "state": event.state,
        "payment_currency": event.payment_currency,
        "location_name": event.location_name,
    }


def team_forms(event, roles_to_delete=(), new_invites=()):
    rows = list(UsersEventsRoles.objects.filter(event=event).order_by("pk"))
    data = management_form("user_roles", len(rows), len(rows))
    for index, row in enumerate(rows):
        data[f"user_roles-{index}-id"] = str(row.pk)
        data[f"user_roles-{index}-event"] = str(event.pk)
        if row in roles_to_delete:
            data[f"user_roles-{index}-DELETE"] = "on"
    data |= management_form("role_invites", len(new_invites), 0)
    for index, (email, role) in enumerate(new_invites):
        data[f"role_invites-{index}-email"] = email
        data[f"role_invites-{index}-role"] = str(Role.objects.get(name=role).pk)
        data[f"role_invites-{index}-event"] = str(event.pk)
    return data | form_fields(event)


def form_fields(event, new=(), delete=(), change=None) -> dict:
    """The custom forms inline as posted: the event's fields as they are (those in `delete`
    marked, `change` {pk: {field: value}} applied), then the `new` ones (dicts of their fields)."""
    rows = list(event.custom_forms.order_by("form", "position", "pk"))
    data = management_form("custom_forms", len(rows) + len(new), len(rows))
    for index, row in enumerate(rows):
        values = {
            "id": row.pk,
            "event": event.pk,
            "form": row.form,
            "position": row.position,
            "field_identifier": row.field_identifier,
            "field_type": row.field_type,
            "name": row.name,
            "description": row.description,
            "options": json.dumps(row.options),
        }
        values |= {name: "on" for name in ("is_required", "is_included", "is_public") if getattr(row, name)}
        values |= (change or {}).get(row.pk, {})
        if row in delete:
            values["DELETE"] = "on"
        data |= {f"custom_forms-{index}-{name}": str(value) for name, value in values.items()}
    for index, values in enumerate(new, start=len(rows)):
        data |= {
            f"custom_forms-{index}-{name}": str(value)
            for name, value in ({"event": event.pk} | values).items()
        }
    return data


def test_an_organizer_invites_and_removes_team_members_through_the_services(client, organizer, mailoutbox):
    event = EventFactory(owner=organizer)
    member = UserFactory()
    services.grant_role(member, event, Role.MODERATOR)
    client.force_login(organizer)
    data = event_form(event) | team_forms(
        event,
        roles_to_delete=[UsersEventsRoles.objects.get(user=member)],
        new_invites=[("new@example.com", Role.REGISTRAR)],
    )
    response = client.post(change_url(event), data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert not UsersEventsRoles.objects.filter(user=member).exists()
    assert RoleInvite.objects.get().email == "new@example.com"
    assert mailoutbox[0].to == ["new@example.com"]
    assert "Invited new@example.com: the invite is on its way." in client.get(response.url).content.decode()


def test_the_admin_refuses_to_remove_the_owner_and_saves_nothing(client, organizer):
    event = EventFactory(owner=organizer)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = (
        event_form(event)
        | {"name": "Renamed"}
        | team_forms(event, roles_to_delete=[UsersEventsRoles.objects.get(user=organizer)])
    )
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    assert "The owner cannot be removed" in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    event.refresh_from_db()
    assert event.name != "Renamed"
    assert UsersEventsRoles.objects.filter(user=organizer, role__name=Role.OWNER).exists()


def test_an_organizer_cannot_invite_an_owner_in_the_admin(client, organizer, mailoutbox):
    owner = UserFactory()
    event = EventFactory(owner=owner)
    services.grant_role(organizer, event, Role.ORGANIZER)
    client.force_login(organizer)
    data = event_form(event) | team_forms(event, new_invites=[("new@example.com", Role.OWNER)])
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    assert not RoleInvite.objects.exists()
    assert mailoutbox == []


def test_an_event_created_in_the_admin_is_owned_by_its_creator(client, organizer):
    EventFactory(owner=organizer)  # organizers reach the admin through an event they run
    client.force_login(organizer)
    template = Event(
        name="Fresh", starts_at=Event.objects.get().starts_at, ends_at=Event.objects.get().ends_at
    )
    data = event_form(template) | {"state": "draft", "payment_currency": "USD", "timezone": "UTC"}
    data |= management_form("user_roles", 0, 0) | management_form("role_invites", 0, 0)
    data |= management_form("custom_forms", 0, 0)
    response = client.post("/admin/events/event/add/", data)
    assert response.status_code == 302
    fresh = Event.objects.get(name="Fresh")
    assert UsersEventsRoles.objects.get(event=fresh).user == organizer


def test_correcting_an_invites_address_in_the_admin_sends_a_new_link(client, organizer, mailoutbox):
    event = EventFactory(owner=organizer)
    role_invite = services.create_invite(organizer, event, email="typo@example.con", role_name=Role.MODERATOR)
    old_token = link_token(mailoutbox[0], "/invites/")
    client.force_login(organizer)
    data = event_form(event) | team_forms(event)
    data |= management_form("role_invites", 1, 1) | {
        "role_invites-0-id": str(role_invite.pk),
        "role_invites-0-event": str(event.pk),
        "role_invites-0-email": "right@example.com",
        "role_invites-0-role": str(role_invite.role_id),
    }
    assert client.post(change_url(event), data).status_code == 302
    assert mailoutbox[-1].to == ["right@example.com"]
    assert services.find_invite(link_token(mailoutbox[-1], "/invites/")).email == "right@example.com"
    with pytest.raises(NotFound):
        services.find_invite(old_token)


@pytest.mark.parametrize("prefix", ["user_roles", "role_invites"])
@pytest.mark.parametrize("row_id", ["999999", "another event's row"])
def test_deleting_a_team_row_that_is_not_this_events_is_a_form_error(client, organizer, prefix, row_id):
    event = EventFactory(owner=organizer)
    other = EventFactory()
    services.create_invite(
        other.user_roles.get().user, other, email="x@example.com", role_name=Role.MODERATOR
    )
    others_row = (UsersEventsRoles if prefix == "user_roles" else RoleInvite).objects.get(event=other)
    client.force_login(organizer)
    data = event_form(event) | team_forms(event) | management_form(prefix, 1, 1)
    data |= {
        f"{prefix}-0-id": str(others_row.pk) if row_id == "another event's row" else row_id,
        f"{prefix}-0-event": str(event.pk),
        f"{prefix}-0-DELETE": "on",
    }
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    formsets = {inline.formset.prefix: inline.formset for inline in response.context["inline_admin_formsets"]}
    assert "no longer exists" in str(formsets[prefix].non_form_errors())
    assert type(others_row).objects.filter(pk=others_row.pk).exists()
    assert UsersEventsRoles.objects.filter(event=event).count() == 1


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("bob", Role.MODERATOR),
        ("a@b", Role.MODERATOR),
        ("new@example.com", None),
        ("new@example.com", "9" * 20),
    ],
)
def test_a_mistyped_invite_row_is_a_form_error(client, organizer, mailoutbox, email, role):
    event = EventFactory(owner=organizer)
    client.force_login(organizer)
    data = event_form(event) | team_forms(event) | management_form("role_invites", 1, 0)
    data |= {"role_invites-0-email": email, "role_invites-0-event": str(event.pk)}
    if role is not None:
        role_id = Role.objects.get(name=role).pk if role in Role.NAMES else role
        data["role_invites-0-role"] = str(role_id)
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    formsets = {inline.formset.prefix: inline.formset for inline in response.context["inline_admin_formsets"]}
    assert formsets["role_invites"].forms[0].errors
    assert not RoleInvite.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize("page", ["delete", "bulk delete"])
def test_deleting_an_event_counts_but_never_names_someone_elses_draft(client, organizer, page):

    event = EventFactory(owner=organizer)
    speaker = UserFactory()
    SessionFactory(event=event, title="Secret draft title", creator=speaker, state="draft")
    SessionFactory(event=event, title="Own draft title", creator=organizer, state="draft")
    SessionFactory(event=event, title="Sent in title", creator=speaker, state="pending")
    if page == "delete":  # the owner's
        client.force_login(organizer)
        response = client.get(f"/admin/events/event/{event.pk}/delete/")
    else:  # a site admin's, who alone deletes events in bulk
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        data = {"action": "delete_selected", "_selected_action": [event.pk], "index": "0"}
        response = client.post(CHANGELIST, data)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Secret draft title" not in content
    assert "a draft its submitter has not sent in" in content
    assert "Sent in title" in content
    assert ("Own draft title" in content) == (page == "delete")


def test_an_organizer_edits_the_events_forms_in_the_admin_and_built_in_fields_stay(client, organizer):
    from forms_builder.models import CustomForm

    event = EventFactory(owner=organizer)
    email = event.custom_forms.get(form="attendee", field_identifier="email")
    client.force_login(organizer)
    page = client.get(change_url(event))
    assert "Form fields" in page.content.decode()
    added = {
        "form": "attendee",
        "position": 5,
        "field_identifier": "size",
        "field_type": "select",
        "name": "Size",
    }
    added |= {"options": json.dumps(["S", "M"]), "is_included": "on"}
    retyped = {email.pk: {"field_type": "text", "name": "Your email"}}

    saved = client.post(
        change_url(event), event_form(event) | team_forms(event) | form_fields(event, [added], change=retyped)
    )
    assert saved.status_code == 302

    size = CustomForm.objects.get(event=event, field_identifier="size")
    assert (size.field_type, size.options) == ("select", ["S", "M"])
    email.refresh_from_db()
    assert (email.field_type, email.name) == ("email", "Your email")  # its type stays, its wording changes
    refused = client.post(
        change_url(event), event_form(event) | team_forms(event) | form_fields(event, delete=[email])
    )
    assert "A built-in field is not deleted" in refused.content.decode()
    assert CustomForm.objects.filter(pk=email.pk).exists()


@pytest.mark.parametrize("change", [{"name": "Renamed"}, {"field_identifier": "hijack"}])
def test_a_form_field_row_posted_with_another_events_id_changes_nothing_and_says_so(
    client, organizer, change
):
    """The inline took a posted id that is not one of this event's rows as a new field (a copy), or,
    its identifier taken, a 500."""
    from forms_builder.models import CustomForm

    event = EventFactory(owner=organizer)
    mine = CustomForm.objects.create(event=event, form="attendee", field_identifier="size", name="Size")
    theirs = CustomForm.objects.create(
        event=EventFactory(), form="attendee", field_identifier="size", name="Size"
    )
    client.force_login(organizer)
    before = CustomForm.objects.count()

    response = client.post(
        change_url(event),
        event_form(event)
        | team_forms(event)
        | form_fields(event, change={mine.pk: {"id": theirs.pk} | change}),
    )

    assert response.status_code == 200
    assert "A row of this list no longer exists" in response.content.decode()
    assert CustomForm.objects.count() == before
    theirs.refresh_from_db()
    assert theirs.name == "Size"


def _fields_post(client, event, **changes):
    return client.post(
        change_url(event), event_form(event) | team_forms(event) | form_fields(event, **changes)
    )


@pytest.fixture
def asked(organizer):
    """An event of the organizer asking its attendees two questions, `t` and `em`."""
    from forms_builder.models import CustomForm

    event = EventFactory(owner=organizer)
    rows = [
        CustomForm.objects.create(event=event, form="attendee", field_identifier=name, name=name, position=n)
        for n, name in enumerate(["t", "em"])
    ]
    return event, rows


def test_two_fields_swapping_identifiers_in_one_save_is_a_form_error(client, organizer, asked):
    """The rows were saved one by one, the first into the identifier the second still held: a 500."""
    event, (t, em) = asked
    client.force_login(organizer)
    response = _fields_post(
        client, event, change={t.pk: {"field_identifier": "em"}, em.pk: {"field_identifier": "t"}}
    )
    assert response.status_code == 200
    assert (
        "&quot;em&quot; is another field&#x27;s identifier until this is saved" in response.content.decode()
    )
    t.refresh_from_db()
    assert t.field_identifier == "t"


def test_a_field_takes_the_identifier_of_one_deleted_in_the_same_save(client, organizer, asked):
    event, (t, em) = asked
    client.force_login(organizer)
    response = _fields_post(client, event, change={t.pk: {"field_identifier": "em"}}, delete=[em])
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.field_identifier == "em"
    assert not type(em).objects.filter(pk=em.pk).exists()


def test_two_rows_posted_with_one_fields_id_change_nothing(client, organizer, asked):
    """Both forms were bound to the one field, and the last one won: the other question was
    silently turned into something else."""
    event, (t, em) = asked
    client.force_login(organizer)
    response = _fields_post(client, event, change={t.pk: {"id": em.pk, "field_identifier": "fresh"}})
    assert response.status_code == 200
    assert "A row of this list no longer exists" in response.content.decode()
    em.refresh_from_db()
    assert (em.field_identifier, em.form) == ("em", "attendee")


@pytest.mark.parametrize(
    "options",
    ['["\\ud800"]', '["\\u0000"]', '["bell \\u0007"]', "[" * 10_000 + "]" * 10_000, "[1" + "9" * 5000 + "]"],
)
def test_options_no_page_can_show_are_a_form_error(client, organizer, options):
    """A lone surrogate was stored (SQLite), and every page and API call showing the field was
    a 500 after; deep or huge JSON was a 500 at once."""
    from forms_builder.models import CustomForm

    event = EventFactory(owner=organizer)
    field = CustomForm.objects.create(
        event=event, form="session", field_identifier="cb", name="Pick", field_type="checkbox", options=["a"]
    )
    client.force_login(organizer)
    response = _fields_post(client, event, change={field.pk: {"options": options}})
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][-1].formset.errors
    field.refresh_from_db()
    assert field.options == ["a"]


def test_a_fields_position_past_what_the_column_holds_is_a_form_error(client, organizer, asked):
    event, (t, _) = asked
    client.force_login(organizer)
    response = _fields_post(client, event, change={t.pk: {"position": 99_999_999_999}})
    assert response.status_code == 200
    t.refresh_from_db()
    assert t.position == 0


def test_an_event_shortened_while_a_session_is_placed_past_its_new_end_is_a_form_error(
    client, organizer, admin_saves_after
):
    event = EventFactory(owner=organizer)
    session = SessionFactory(event=event, state="accepted")
    late = {"starts_at": event.ends_at - timedelta(hours=1), "ends_at": event.ends_at}
    admin_saves_after(Event, lambda: Session.objects.filter(pk=session.pk).update(**late))
    client.force_login(organizer)
    shorter = event.ends_at - timedelta(hours=2)
    data = (
        event_form(event)
        | team_forms(event)
        | {"ends_at_0": shorter.strftime("%Y-%m-%d"), "ends_at_1": shorter.strftime("%H:%M:%S")}
    )
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    assert "is scheduled outside these dates" in str(response.context["adminform"].form.errors["ends_at"])
    assert Event.objects.get(pk=event.pk).ends_at == event.ends_at


def shown_on_the_change_page(client, event) -> dict:
    """The admin's change page for the event as a browser sends it back unchanged."""
    return form_as_sent(client.get(change_url(event)).content.decode())


def test_a_refused_start_in_the_admin_is_the_one_error(client, organizer):
    """The typed end comes before the stored start: the model must not judge the two together."""
    event = EventFactory(
        owner=organizer, timezone="America/New_York", starts_at=datetime(2028, 1, 1, tzinfo=UTC)
    )
    client.force_login(organizer)
    night = {
        "starts_at_0": "2027-11-07",
        "starts_at_1": "01:30:00",
        "ends_at_0": "2027-11-07",
        "ends_at_1": "03:00:00",
    }
    response = client.post(change_url(event), shown_on_the_change_page(client, event) | night)
    assert list(response.context["adminform"].form.errors) == ["starts_at"]


def test_the_admin_keeps_a_textareas_line_breaks_as_the_api_does(client, organizer):
    event = EventFactory(owner=organizer, description="")
    longest = "\n".join(["A line of the programme."] * 800)
    longest += "x" * (20_000 - len(longest))
    client.force_login(organizer)
    typed = event_form(event) | team_forms(event) | {"description": longest.replace("\n", "\r\n")}
    response = client.post(change_url(event), typed)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event.refresh_from_db()
    assert event.description == longest


def test_a_save_refused_after_an_invite_was_made_sends_no_invite(
    client, organizer, mailoutbox, admin_saves_after
):
    """The form's new question takes an identifier another organizer gave one meanwhile: its
    save, after the invite's, is refused, and the whole save with it, the invite's mail too."""
    event = EventFactory(owner=organizer)
    question = {"form": "attendee", "position": 9, "field_identifier": "shirt", "field_type": "text"}
    admin_saves_after(Event, lambda: CustomForm.objects.create(event=event, name="Shirt", **question))
    client.force_login(organizer)
    data = (
        event_form(event)
        | team_forms(event, new_invites=[("new@example.com", Role.REGISTRAR)])
        | form_fields(event, new=[question | {"name": "Shirt", "options": "[]", "is_included": "on"}])
    )
    response = client.post(change_url(event), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not RoleInvite.objects.filter(event=event).exists()
    assert mailoutbox == []
    assert "the invite is on its way" not in response.content.decode()

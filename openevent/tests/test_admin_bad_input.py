"""Input the database cannot hold, in every admin changelist's actions and filters and in
many-to-many choices: answered as bad input, never a 500."""

import html

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.db import models

from accounts.factories import UserFactory
from events.factories import EventFactory
from orders.factories import AttendeeFactory, TicketFactory
from orders.models import Attendee
from speakers.factories import SessionFactory, SpeakerFactory
from speakers.models import Speaker

HUGE = "99999999999999999999"

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
@pytest.mark.parametrize("selected", ["abc", "9223372036854775808", "1.5", ""])
def test_an_action_on_ids_no_row_can_have_changes_nothing_and_says_so(client, model, selected):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    data = {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [selected, "1"], "index": "0"}
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    if response.context["action_form"] is None:  # a changelist without actions ignores the post
        return
    assert "No items have been changed" in " ".join(str(message) for message in response.context["messages"])
    assert response.redirect_chain == [(url, 302)]


def relation_filters():
    for model in MODELS:
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete:
                yield model, field.name


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field"), list(relation_filters()), ids=lambda value: str(value))
def test_a_changelist_filtered_by_an_id_no_column_can_hold_is_an_incorrect_lookup(client, model, field):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    response = client.get(f"{url}?{field}={HUGE}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == f"{url}?e=1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "drill_down", [f"starts_at__year={HUGE}", "starts_at__year=9999&starts_at__month=12&starts_at__day=31"]
)
def test_a_date_drill_down_past_any_date_is_an_incorrect_lookup(client, drill_down):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(f"/admin/events/event/?{drill_down}")
    assert response.status_code == 302
    assert response["Location"] == "/admin/events/event/?e=1"


@pytest.mark.django_db
def test_a_many_to_many_choice_no_column_can_hold_is_a_form_error(client):
    owner = UserFactory(is_staff=True, is_superuser=True)
    speaker = SpeakerFactory(event=EventFactory(owner=owner), name="Ada", email="ada@example.com")
    client.force_login(owner)
    data = {"name": "Ada", "email": "ada@example.com", "sessions": [HUGE]}
    response = client.post(f"/admin/speakers/speaker/{speaker.pk}/change/", data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["sessions"]


@pytest.fixture
def rows(db):
    """An organizer's event with an attendee, a session and a speaker, which a lookup runs on."""
    owner = UserFactory()
    event = EventFactory(owner=owner)
    AttendeeFactory(ticket=TicketFactory(event=event), complex_field_values={"tshirt": "M"})
    SpeakerFactory(event=event, sessions=[SessionFactory(event=event)])
    return owner


@pytest.mark.parametrize("model", ["orders/attendee", "speakers/speaker", "speakers/session"])
@pytest.mark.parametrize(
    "lookup",
    [
        "pk__regex=(",
        "email__iregex=%5B",
        "complex_field_values__tshirt__regex=(",
        "complex_field_values__contains=%7B%22a%22%3A1%7D",
        "created_at__year=99999",
        "event__owner__password__startswith=p",
        "state__exact=%00",  # a filter offered (sessions, speakers' sessions), with text PostgreSQL holds not
    ],
)
def test_a_lookup_the_changelist_does_not_offer_is_an_incorrect_lookup(client, rows, model, lookup):
    """Django's admin takes any lookup on a local field from the address: a broken pattern or a
    lookup the database lacks was a 500. Only what the list's filters and drill-down send is taken."""
    client.force_login(rows)
    response = client.get(f"/admin/{model}/?{lookup}")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/{model}/?e=1"


@pytest.mark.parametrize(
    "typed",
    ['{"tshirt": "\\ud800"}', "[" * 10_000 + "]" * 10_000, '{"tshirt": 1' + "9" * 5000 + "}"],
    ids=["lone surrogate", "nested past the parser", "number past 4300 digits"],
)
@pytest.mark.parametrize(
    "url", ["/admin/orders/attendee/{attendee}/change/", "/admin/speakers/speaker/{speaker}/change/"]
)
def test_answers_no_page_can_show_are_a_form_error_that_shows_again(client, rows, url, typed):
    """JSON may spell a lone surrogate (`\\ud800`), which no database column holds: refused, and the
    form shows what was typed again (re-rendering the decoded value was a 500). JSON nested past
    the parser's depth, or a number too long to read, was a 500 at once."""
    attendee, speaker = Attendee.objects.get(), Speaker.objects.get()
    client.force_login(rows)
    page = client.get(url.format(attendee=attendee.pk, speaker=speaker.pk))
    data = {
        name: value
        for name, value in page.context["adminform"].form.initial.items()
        if name in page.context["adminform"].form.fields and value is not None
    }
    data["complex_field_values"] = typed
    if "sessions" in data:
        data["sessions"] = [session.pk for session in data["sessions"]]

    response = client.post(url.format(attendee=attendee.pk, speaker=speaker.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["complex_field_values"]
    assert typed in html.unescape(response.content.decode())
    attendee.refresh_from_db()
    assert attendee.complex_field_values == {"tshirt": "M"}


@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_every_choice_of_a_changelists_filters_is_taken(client, rows, model):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    changelist = client.get(url).context["cl"]
    choices = [choice for spec in changelist.filter_specs for choice in spec.choices(changelist)]
    for choice in choices:
        assert client.get(url + choice["query_string"]).status_code == 200, choice["query_string"]


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_an_add_page_leaves_out_times_given_in_its_address(client, model):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    times = [field.name for field in model._meta.fields if isinstance(field, models.DateTimeField)]
    query = "&".join(f"{name}=tomorrow" for name in times)
    response = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/?{query}")
    assert response.status_code in (200, 403)  # 403: added elsewhere (orders, by checkout)

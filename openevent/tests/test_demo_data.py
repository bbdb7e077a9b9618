from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from events.models import Event, UsersEventsRoles
from forms_builder import services as forms_services
from forms_builder.models import CustomForm
from orders import services
from orders.models import Attendee, DiscountCode, Order, Ticket
from speakers import services as speaker_services
from speakers.models import Session, Speaker, Sponsor

pytestmark = pytest.mark.django_db


MODELS = (
    User,
    Event,
    UsersEventsRoles,
    Session,
    Speaker,
    Sponsor,
    Ticket,
    DiscountCode,
    Attendee,
    Order,
    CustomForm,
)


def test_the_demo_data_loads_and_loads_again_without_change():
    first = StringIO()
    call_command("load_demo_data", stdout=first)
    counts = [model.objects.count() for model in MODELS]
    call_command("load_demo_data", stdout=StringIO())
    assert [model.objects.count() for model in MODELS] == counts
    assert set(Event.objects.values_list("state", flat=True)) == {"draft", "published"}
    assert set(Session.objects.values_list("state", flat=True)) == set(Session.State.values)
    assert set(Order.objects.values_list("status", flat=True)) == {"completed", "pending"}
    assert {ticket.name for ticket in services.with_held(Ticket.objects.all()) if not ticket.left} == {
        "Hardware workshop"
    }
    assert Ticket.objects.filter(is_hidden=True).exists()
    assert "organizer@openevent.test" in first.getvalue()
    assert "open-event-demo" in first.getvalue()
    organizer = User.objects.get(email="organizer@openevent.test")
    assert organizer.check_password("open-event-demo")


def test_the_demo_answers_are_the_ones_its_questions_take():
    """The demo's answers were set beside the service: they must pass its check all the same."""
    call_command("load_demo_data", stdout=StringIO())
    summit = Event.objects.get(name="Open Science Summit")
    answered = [
        (CustomForm.Form.ATTENDEE, Attendee.objects.filter(event=summit)),
        (CustomForm.Form.SPEAKER, Speaker.objects.filter(event=summit)),
        (CustomForm.Form.SESSION, Session.objects.filter(event=summit)),
    ]
    for form, objects in answered:
        assert objects.exists()
        for obj in objects:
            assert obj.complex_field_values
            assert (
                forms_services.clean_answers(summit, form, obj.complex_field_values)
                == obj.complex_field_values
            )


def test_the_demo_schedules_a_full_first_day_as_the_services_rules_allow():
    """The demo placed its sessions beside the service: each slot must pass its checks all the same."""
    call_command("load_demo_data", stdout=StringIO())
    summit = Event.objects.get(name="Open Science Summit")
    scheduled = Session.objects.filter(event=summit, starts_at__isnull=False).select_related("event")
    assert scheduled.count() >= 10
    assert summit.microlocations.count() == 2
    assert {session.starts_at.date() for session in scheduled} == {summit.starts_at.date()}
    for session in scheduled:
        session.full_clean()
        speaker_services.check_room_is_free(session)
        assert session.speakers.exists()
    assert User.objects.filter(is_verified=False).count() == 0  # invites to the demo accounts show

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from events.models import Event, UsersEventsRoles
from orders import services
from orders.models import Attendee, DiscountCode, Order, Ticket
from speakers.models import Session, Speaker, Sponsor

pytestmark = pytest.mark.django_db


MODELS = (User, Event, UsersEventsRoles, Session, Speaker, Sponsor, Ticket, DiscountCode, Attendee, Order)


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

"""The answers where organizers work: the attendee list filtered by a select question's answer,
the CSV export with a column per question (retired ones too), and answers corrected in the admin
checked as the API checks them."""

import csv
import io

import pytest

from accounts.factories import UserFactory
from events.factories import EventFactory
from forms_builder.models import CustomForm
from orders.factories import AttendeeFactory, OrderFactory, TicketFactory
from orders.models import Attendee
from orders.tests.conftest import box_office as box_office  # a fixture
from speakers.factories import SessionFactory
from speakers.models import Session

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(box_office):
    """The box office asks a select "size" and a text "diet"; three attendees answered."""
    event = box_office.event
    CustomForm.objects.filter(event=event, is_fixed=False).delete()
    CustomForm.objects.create(
        event=event,
        form="attendee",
        field_identifier="size",
        name="T-shirt size",
        field_type="select",
        options=["S", "M"],
        position=2,
    )
    CustomForm.objects.create(event=event, form="attendee", field_identifier="diet", name="Diet", position=1)
    ticket = box_office.tickets["paid"]
    for firstname, answers in [
        ("Ada", {"size": "S", "diet": "vegan"}),
        ("Bob", {"size": "M"}),
        ("Cy", {"diet": "=cmd|' /C calc'!A0", "badge": "Speaker"}),  # badge: a question since removed
    ]:
        attendee = AttendeeFactory(
            ticket=ticket,
            creator=box_office.users["buyer"],
            firstname=firstname,
            complex_field_values=answers,
        )
        OrderFactory(event=event, attendees=[attendee])
    return box_office


def export(client, attendees) -> list[list[str]]:
    response = client.post(
        "/admin/orders/attendee/",
        {"action": "export_csv", "_selected_action": [attendee.pk for attendee in attendees]},
    )
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_export_has_a_column_per_question_in_position_order_then_the_retired_ones(answered, client):
    client.force_login(answered.users["owner"])

    rows = export(client, Attendee.objects.order_by("firstname"))

    assert rows[0][9:] == ["Diet", "T-shirt size", "badge (retired)"]
    by_name = {row[0]: row[9:] for row in rows[1:]}
    assert by_name == {
        "Ada": ["vegan", "S", ""],
        "Bob": ["", "M", ""],
        "Cy": ["'=cmd|' /C calc'!A0", "", "Speaker"],  # no formula for a spreadsheet to run
    }


def test_a_question_no_longer_asked_is_retired_in_the_export_and_keeps_its_answers(answered, client):
    CustomForm.objects.filter(field_identifier="diet").update(is_included=False)
    client.force_login(answered.users["owner"])

    rows = export(client, Attendee.objects.filter(firstname="Ada"))

    assert rows[0][9:] == ["T-shirt size", "Diet (retired)"]
    assert rows[1][9:] == ["S", "vegan"]


def test_the_attendee_list_filters_by_a_select_questions_answer(answered, client):
    other = answered.other_event
    elsewhere = CustomForm.objects.create(
        event=other,
        form="attendee",
        field_identifier="size",
        name="Size elsewhere",
        field_type="select",
        options=["S"],
    )
    AttendeeFactory(
        ticket=TicketFactory(event=other), firstname="Elsewhere", complex_field_values={"size": "S"}
    )
    client.force_login(answered.users["owner"])
    size = CustomForm.objects.get(event=answered.event, field_identifier="size")

    listing = client.get("/admin/orders/attendee/")
    small = client.get("/admin/orders/attendee/", {"answer": f"{size.pk}:S"})
    medium = client.get("/admin/orders/attendee/", {"answer": f"{size.pk}:M"})
    foreign = client.get("/admin/orders/attendee/", {"answer": f"{elsewhere.pk}:S"})
    garbage = client.get("/admin/orders/attendee/", {"answer": "nonsense"})

    page = listing.content.decode()
    assert "T-shirt size: S" in page
    assert "T-shirt size: M" in page
    assert "Size elsewhere" not in page  # another organizer's question
    assert [attendee.firstname for attendee in small.context["cl"].result_list] == ["Ada"]
    assert [attendee.firstname for attendee in medium.context["cl"].result_list] == ["Bob"]
    # Django's admin answers a filter it cannot apply by reloading the list with ?e=1.
    assert foreign.status_code == garbage.status_code == 302
    assert "e=1" in foreign.url


def attendee_change(attendee, answers: str) -> dict:
    return {
        "firstname": attendee.firstname,
        "lastname": attendee.lastname,
        "email": attendee.email,
        "complex_field_values": answers,
    }


def test_answers_corrected_in_the_admin_are_checked_and_the_retired_ones_kept(answered, client):
    ada = Attendee.objects.get(firstname="Ada")
    ada.complex_field_values["badge"] = "Speaker"
    ada.save()
    client.force_login(answered.users["owner"])
    url = f"/admin/orders/attendee/{ada.pk}/change/"

    refused = client.post(url, attendee_change(ada, '{"size": "XL"}'))
    unknown = client.post(url, attendee_change(ada, '{"shoe": "42"}'))
    saved = client.post(url, attendee_change(ada, '{"size": "M"}'))

    assert refused.status_code == unknown.status_code == 200
    assert refused.context["adminform"].form.errors == {
        "complex_field_values": ["size: Select a valid choice. XL is not one of the available choices."]
    }
    assert "Unknown fields ['shoe']" in unknown.context["adminform"].form.errors["complex_field_values"][0]
    assert saved.status_code == 302
    ada.refresh_from_db()
    assert ada.complex_field_values == {"size": "M", "badge": "Speaker"}


def test_a_sessions_answers_in_the_admin_are_checked_too(client):
    owner = UserFactory(is_staff=True)
    event = EventFactory(owner=owner)
    CustomForm.objects.create(
        event=event,
        form="session",
        field_identifier="minutes",
        name="Minutes",
        field_type="number",
        is_required=True,
    )
    session = SessionFactory(event=event, state=Session.State.PENDING, complex_field_values={"minutes": 30})
    client.force_login(owner)
    change = {
        "title": session.title,
        "state": session.state,
        "complex_field_values": '{"minutes": "half an hour"}',
    }

    response = client.post(f"/admin/speakers/session/{session.pk}/change/", change)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "complex_field_values": ["minutes: Expected a number."]
    }
    session.refresh_from_db()
    assert session.complex_field_values == {"minutes": 30}

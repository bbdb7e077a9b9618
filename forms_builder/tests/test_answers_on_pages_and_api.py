"""The event's own questions where attendees answer them: the checkout's seats and the API, one
check for both (forms_builder.services), the same errors for the same input."""

import html

import pytest

from forms_builder.models import CustomForm
from orders import services
from orders.models import Attendee, Order
from orders.tests.conftest import box_office as box_office  # a fixture
from orders.tests.test_pages import checkout_url, seat_fields

pytestmark = pytest.mark.django_db


@pytest.fixture
def questions(box_office):
    event = box_office.event
    CustomForm.objects.filter(event=event).exclude(is_fixed=True).delete()
    CustomForm.objects.create(
        event=event,
        form="attendee",
        field_identifier="size",
        name="T-shirt size",
        field_type="select",
        options=["S", "M", "L"],
        is_required=True,
        position=2,
        description="We print <b>unisex</b> shirts.",
    )
    CustomForm.objects.create(
        event=event,
        form="attendee",
        field_identifier="work-email",
        name="Work email",
        field_type="email",
        position=1,
    )
    CustomForm.objects.create(
        event=event,
        form="attendee",
        field_identifier="dropped",
        name="Dropped",
        is_included=False,
        position=0,
    )
    return box_office


def test_the_checkout_asks_each_seat_the_included_questions_in_position_order(questions, client):
    client.force_login(questions.users["buyer"])

    page = client.get(checkout_url(questions, paid=1)).content.decode()

    assert page.index("Work email") < page.index("T-shirt size")
    assert "Dropped" not in page
    assert "We print &lt;b&gt;unisex&lt;/b&gt; shirts." in page  # the organizer's text, escaped


def test_the_checkout_stores_the_answers_and_keeps_them_after_apply(questions, client):
    client.force_login(questions.users["buyer"])
    url = checkout_url(questions, paid=1)
    answers = {"seat-0-answers-size": "M", "seat-0-answers-work-email": "ada@work.example"}

    kept = client.post(
        url, seat_fields(1, discount_code="student", payment_mode="onsite", apply="1", **answers)
    )
    placed = client.post(url, seat_fields(1, payment_mode="onsite", order="1", **answers))

    assert 'value="ada@work.example"' in kept.content.decode()
    assert placed.status_code == 302
    assert Attendee.objects.get().complex_field_values == {"size": "M", "work-email": "ada@work.example"}


@pytest.mark.parametrize(
    ("answer", "wrong", "message"),
    [
        ({"work-email": "ada@", "size": "M"}, "work-email", "Enter a valid email address."),
        ({"size": "XL"}, "size", "Select a valid choice. XL is not one of the available choices."),
    ],
)
def test_the_page_and_the_api_refuse_the_same_answer_with_the_same_words(
    questions, client, client_for, answer, wrong, message
):
    client.force_login(questions.users["buyer"])
    posted = {f"seat-0-answers-{key}": value for key, value in answer.items()}
    page = client.post(
        checkout_url(questions, paid=1), seat_fields(1, payment_mode="onsite", order="1", **posted)
    )
    document = {
        "data": {
            "type": "attendee",
            "attributes": {
                "firstname": "Ada",
                "lastname": "L",
                "email": "ada@example.com",
                "complex-field-values": answer,
            },
            "relationships": {
                "ticket": {"data": {"type": "ticket", "id": str(questions.tickets["paid"].pk)}},
                "event": {"data": {"type": "event", "id": str(questions.event.pk)}},
            },
        }
    }
    api = client_for(questions.users["buyer"]).post("/v1/attendees", document)

    assert message in html.unescape(page.content.decode())
    assert api.status_code == 422
    error = api.json()["errors"][0]
    assert error["detail"] == message
    assert error["source"]["pointer"] == f"/data/attributes/complex-field-values/{wrong}"
    assert not Order.objects.exists()


def test_the_api_names_the_missing_required_answers(questions, client_for):
    document = {
        "data": {
            "type": "attendee",
            "attributes": {"firstname": "Ada", "lastname": "L", "email": "ada@example.com"},
            "relationships": {
                "ticket": {"data": {"type": "ticket", "id": str(questions.tickets["paid"].pk)}},
                "event": {"data": {"type": "event", "id": str(questions.event.pk)}},
            },
        }
    }

    response = client_for(questions.users["buyer"]).post("/v1/attendees", document)

    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"] == "Missing required fields ['size']"
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/complex-field-values"


def test_an_attendee_change_from_a_stale_read_keeps_what_others_wrote_since(box_office):
    """The buyer changes a name from a copy read before an organizer saved an answer (whose question
    is retired since): the answer and the organizer's other change stay."""
    attendee = box_office.attendee(firstname="Ada", complex_field_values={"tshirt": "S"})
    read_before = Attendee.objects.get(pk=attendee.pk)
    services.update_attendee(
        box_office.users["owner"],
        Attendee.objects.get(pk=attendee.pk),
        lastname="Lovelace",
        complex_field_values={"tshirt": "XL", "k": ""},
    )
    CustomForm.objects.filter(event=box_office.event, field_identifier="tshirt").update(is_included=False)

    returned = services.update_attendee(box_office.users["buyer"], read_before, firstname="Augusta")

    attendee.refresh_from_db()
    assert (attendee.firstname, attendee.lastname) == ("Augusta", "Lovelace")
    assert attendee.complex_field_values["tshirt"] == "XL"
    assert returned.lastname == "Lovelace"


def test_ten_paragraphs_at_their_longest_fit_even_when_every_character_is_escaped(box_office, client_for):
    for number in range(10):
        CustomForm.objects.create(
            event=box_office.event,
            form="attendee",
            field_identifier=f"essay-{number}",
            name=f"Essay {number}",
            field_type="paragraph",
        )
    attendee = box_office.attendee()
    answers = {f"essay-{number}": '"\\' * 5_000 for number in range(10)}  # JSON doubles each one
    change = {
        "data": {
            "type": "attendee",
            "id": str(attendee.pk),
            "attributes": {"complex-field-values": answers},
        }
    }

    response = client_for(box_office.users["buyer"]).patch(f"/v1/attendees/{attendee.pk}", change)

    assert response.status_code == 200, response.json()
    attendee.refresh_from_db()
    assert attendee.complex_field_values == answers

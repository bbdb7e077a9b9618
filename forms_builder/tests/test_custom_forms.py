"""Custom forms: who reads and writes an event's fields, the built-in ones, and the one check of
the answers (forms_builder.services.clean_answers) that attendees' answers go through."""

import pytest
from django.core.exceptions import ValidationError

from accounts.factories import UserFactory
from events import services as event_services
from events.factories import EventFactory
from events.models import Role
from forms_builder import services
from forms_builder.models import CustomForm
from openevent.errors import Conflict, PartsInvalid
from openevent.validators import validate_storable_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = EventFactory(owner=UserFactory(email="owner@example.com"))
    event_services.grant_role(UserFactory(email="registrar@example.com"), event, Role.REGISTRAR)
    return event


def field_document(event, **attributes) -> dict:
    attributes = {"form": "attendee", "field-identifier": "tshirt", "name": "T-shirt size", **attributes}
    return {
        "data": {
            "type": "custom-form",
            "attributes": attributes,
            "relationships": {"event": {"data": {"type": "event", "id": str(event.pk)}}},
        }
    }


def user(email):
    from accounts.models import User

    return User.objects.get(email=email)


@pytest.mark.parametrize(
    ("who", "create", "read", "change", "delete"),
    [
        ("anonymous", 401, 401, 401, 401),
        ("owner", 201, 200, 200, 204),
        ("registrar", 403, 200, 403, 403),
        ("stranger", 403, 200, 403, 403),
    ],
)
def test_event_admins_write_forms_and_logged_in_users_read_them(
    event, client_for, who, create, read, change, delete
):
    callers = {"anonymous": None, "stranger": UserFactory()}
    caller = callers[who] if who in callers else user(f"{who}@example.com")
    client = client_for(caller)
    field = CustomForm.objects.create(event=event, form="attendee", field_identifier="diet", name="Diet")
    patch = {"data": {"type": "custom-form", "id": str(field.pk), "attributes": {"name": "Food"}}}

    assert client.post("/v1/custom-forms", field_document(event)).status_code == create
    assert client.get(f"/v1/events/{event.pk}/custom-forms").status_code == read
    assert client.get(f"/v1/custom-forms/{field.pk}").status_code == read
    assert client.patch(f"/v1/custom-forms/{field.pk}", patch).status_code == change
    assert client.delete(f"/v1/custom-forms/{field.pk}").status_code == delete


def test_a_new_event_asks_the_built_in_fields_which_stay(event, client_for):
    owner = client_for(user("owner@example.com"))
    fixed = CustomForm.objects.filter(event=event, is_fixed=True)
    email = fixed.get(form="attendee", field_identifier="email")

    retyped = {"data": {"type": "custom-form", "id": str(email.pk), "attributes": {"field-type": "text"}}}
    renamed = {"data": {"type": "custom-form", "id": str(email.pk), "attributes": {"name": "Your email"}}}

    assert sorted(fixed.values_list("form", "field_identifier")) == [
        ("attendee", "email"),
        ("attendee", "firstname"),
        ("attendee", "lastname"),
        ("session", "title"),
        ("speaker", "email"),
        ("speaker", "name"),
    ]
    assert owner.patch(f"/v1/custom-forms/{email.pk}", retyped).status_code == 409
    assert owner.delete(f"/v1/custom-forms/{email.pk}").status_code == 409
    assert owner.patch(f"/v1/custom-forms/{email.pk}", renamed).status_code == 200


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"field-identifier": "firstname"}, "/data"),  # the built-in one's
        ({"field-identifier": "T Shirt"}, "/data/attributes/field-identifier"),
        ({"field-type": "select"}, "/data/attributes/options"),
        ({"field-type": "text", "options": ["S"]}, "/data/attributes/options"),
        ({"field-type": "select", "options": ["S", "S"]}, "/data/attributes/options"),
        ({"is-fixed": True}, None),  # read-only: ignored
    ],
)
def test_a_field_that_does_not_add_up_is_422(event, client_for, attributes, pointer):
    owner = client_for(user("owner@example.com"))

    response = owner.post("/v1/custom-forms", field_document(event, **attributes))

    if pointer is None:
        assert response.status_code == 201
        assert response.json()["data"]["attributes"]["is-fixed"] is False
    else:
        assert response.status_code == 422, response.json()
        assert response.json()["errors"][0]["source"]["pointer"] == pointer


def test_a_rename_to_a_taken_identifier_is_422_about_the_whole_field(event, client_for):
    """As on create: the identifier is unique with the form and event, so the error is the field's
    (it pointed at `/data/attributes/--all--`)."""
    owner = client_for(user("owner@example.com"))
    size = CustomForm.objects.create(event=event, form="attendee", field_identifier="size", name="Size")
    document = {
        "data": {"type": "custom-form", "id": str(size.pk), "attributes": {"field-identifier": "firstname"}}
    }

    response = owner.patch(f"/v1/custom-forms/{size.pk}", document)

    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert (error["detail"], error["source"]["pointer"]) == (
        "The form has a field with that identifier already.",
        "/data",
    )


@pytest.mark.parametrize(
    ("attributes", "status", "field_type"),
    [
        ({"type": "number"}, 201, "number"),  # as shared/docs/API.md spells it
        ({"type": "number", "field-type": "number"}, 201, "number"),
        ({"type": "number", "field-type": "email"}, 422, None),
    ],
)
def test_the_fields_type_may_be_sent_as_the_contract_spells_it(
    event, client_for, attributes, status, field_type
):
    response = client_for(user("owner@example.com")).post(
        "/v1/custom-forms", field_document(event, **attributes)
    )

    assert response.status_code == status, response.json()
    if field_type:
        assert response.json()["data"]["attributes"]["field-type"] == field_type
    else:
        assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/field-type"


# Answers

FIELDS = {
    "text": ("text", []),
    "paragraph": ("paragraph", []),
    "email": ("email", []),
    "number": ("number", []),
    "checkbox": ("checkbox", ["talks", "workshops", "party"]),
    "select": ("select", ["S", "M", "L"]),
    "boolean": ("boolean", []),
    "url": ("url", []),
    "phone": ("phone", []),
}


@pytest.fixture
def asking(event):
    for position, (identifier, (field_type, options)) in enumerate(FIELDS.items()):
        CustomForm.objects.create(
            event=event,
            form="attendee",
            field_identifier=f"my-{identifier}",
            name=identifier.title(),
            field_type=field_type,
            options=options,
            position=position + 1,
        )
    return event


@pytest.mark.parametrize(
    ("identifier", "value", "kept"),
    [
        ("text", "Ada", "Ada"),
        ("paragraph", "Line one\nline two", "Line one\nline two"),
        ("paragraph", "Tab\tand\r\nnew line", "Tab\tand\nnew line"),  # a line break as a browser sends it
        ("email", "ada@example.com", "ada@example.com"),
        ("number", 42, 42),
        ("number", 1.5, 1.5),
        ("checkbox", ["talks", "party"], ["talks", "party"]),
        ("select", "M", "M"),
        ("boolean", True, True),
        ("url", "https://example.com/ada", "https://example.com/ada"),
        ("phone", "+49 30 1234-567", "+49 30 1234-567"),
    ],
)
def test_each_type_takes_a_good_answer(asking, identifier, value, kept):
    key = f"my-{identifier}"
    assert services.clean_answers(asking, "attendee", {key: value}) == {key: kept}


@pytest.mark.parametrize(
    ("identifier", "value", "message"),
    [
        ("text", 5, "Expected a text."),
        ("text", "x" * 1001, "Ensure this value has at most 1000 characters (it has 1001)."),
        ("text", "bell\x07", "Text may not hold control characters."),
        ("paragraph", "\x1b[31mred", "Text may not hold control characters."),
        ("text", "next\x85line", "Text may not hold control characters."),  # C1: 8-bit forms
        ("paragraph", "\x9b31mred", "Text may not hold control characters."),
        ("email", "ada@", "Enter a valid email address."),
        (
            "email",
            "a" * 300 + "@example.com",
            "Ensure this value has at most 254 characters (it has 312).",
        ),
        ("number", "42", "Expected a number."),
        ("number", True, "Expected a number."),
        ("checkbox", "talks", "Expected a list of the options' texts."),
        (
            "checkbox",
            ["talks", "dinner"],
            "Select a valid choice. dinner is not one of the available choices.",
        ),
        ("checkbox", ["talks", "talks"], "Choose each option at most once."),
        ("select", "XL", "Select a valid choice. XL is not one of the available choices."),
        ("boolean", "yes", "Expected true or false."),
        ("url", "not a url", "Enter a valid URL."),
        ("phone", "call me", "Enter a phone number: digits, spaces and + ( ) - . /"),
    ],
)
def test_each_type_refuses_a_bad_answer_by_its_identifier(asking, identifier, value, message):
    with pytest.raises(PartsInvalid) as refused:
        services.clean_answers(asking, "attendee", {f"my-{identifier}": value})

    assert refused.value.parts == {"complex_field_values": {f"my-{identifier}": [message]}}


def test_missing_required_answers_are_named_together(asking):
    CustomForm.objects.filter(event=asking, field_identifier__in=["my-select", "my-boolean"]).update(
        is_required=True
    )

    with pytest.raises(ValidationError) as refused:
        services.clean_answers(asking, "attendee", {"my-text": "Ada", "my-boolean": False})

    assert refused.value.message_dict == {
        "complex_field_values": ["Missing required fields ['my-select', 'my-boolean']"]
    }


def test_a_required_number_answered_zero_is_answered(asking):
    CustomForm.objects.filter(event=asking, field_identifier="my-number").update(is_required=True)

    assert services.clean_answers(asking, "attendee", {"my-number": 0}) == {"my-number": 0}


def test_unknown_and_unasked_identifiers_are_refused(asking):
    CustomForm.objects.filter(event=asking, field_identifier="my-url").update(is_included=False)

    with pytest.raises(ValidationError, match=r"Unknown fields \['my-url', 'shoe'\]"):
        services.clean_answers(
            asking, "attendee", {"shoe": "42", "my-url": "https://example.com", "my-text": "x"}
        )


def test_many_unknown_identifiers_are_named_ten_at_most(asking):
    with pytest.raises(ValidationError) as refused:
        services.clean_answers(asking, "attendee", {f"q{number:02}": "x" for number in range(30)})

    named = [f"q{number:02}" for number in range(10)]
    assert refused.value.message_dict == {
        "complex_field_values": [f"Unknown fields {named} and 20 more: the form does not ask them."]
    }


def test_the_longest_answer_of_each_type_can_be_stored(asking):
    longest = {
        "my-text": "t" * 1000,
        "my-paragraph": "p" * 10_000,
        "my-email": "e" * 242 + "@example.com",
        "my-url": "https://example.com/" + "u" * 1980,
    }

    validate_storable_json(services.clean_answers(asking, "attendee", longest))


def test_a_paragraph_at_its_longest_is_taken_again_as_a_browser_sends_it(asking):
    """Stored with LF (as the API takes it), sent back from a page with CRLF: one character each."""
    longest = "\n".join(["p" * 99] * 100)
    sent = {"my-paragraph": longest.replace("\n", "\r\n")}
    assert services.clean_answers(asking, "attendee", sent)["my-paragraph"] == longest


def test_a_question_called_field_order_is_asked_like_any_other(event):
    """Django's forms read a class attribute of that name: the question must not become it."""
    CustomForm.objects.create(
        event=event, form="attendee", field_identifier="field_order", name="Order", is_required=True
    )

    assert services.clean_answers(event, "attendee", {"field_order": "first"}) == {"field_order": "first"}
    with pytest.raises(ValidationError, match=r"Missing required fields \['field_order'\]"):
        services.clean_answers(event, "attendee", {})


def test_a_removed_fields_answer_is_kept_retired(asking):
    given = services.clean_answers(asking, "attendee", {"my-text": "Ada", "my-select": "M"})
    CustomForm.objects.filter(event=asking, field_identifier="my-select").delete()

    again = services.clean_answers(asking, "attendee", {"my-text": "Grace"}, previous=given)
    round_trip = services.clean_answers(asking, "attendee", again, previous=again)

    assert again == round_trip == {"my-select": "M", "my-text": "Grace"}
    with pytest.raises(ValidationError, match="Unknown fields"):
        services.clean_answers(asking, "attendee", {"my-select": "L"}, previous=given)


def test_the_answers_form_shows_the_asked_fields_in_position_order(asking):
    CustomForm.objects.filter(event=asking, field_identifier="my-phone").update(
        position=0, description="With +49"
    )
    CustomForm.objects.filter(event=asking, field_identifier="my-url").update(is_included=False)

    form = services.answers_form(asking, "attendee")()

    assert list(form.fields)[:2] == ["my-phone", "my-text"]
    assert "my-url" not in form.fields
    assert form.fields["my-phone"].help_text == "With +49"


def test_built_in_fields_of_a_deleted_event_go_with_it(event):
    event.delete()
    assert not CustomForm.objects.exists()


def test_a_built_in_field_keeps_its_type_in_the_service(event):
    field = CustomForm.objects.get(event=event, field_identifier="firstname")
    with pytest.raises(Conflict):
        services.save_field(user("owner@example.com"), field, is_included=False)

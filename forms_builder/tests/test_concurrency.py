"""Two organizers adding a field by the same identifier at the same instant, on PostgreSQL with
real threads and connections (SQLite runs one writer at a time)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.factories import UserFactory
from events.factories import EventFactory
from forms_builder import services
from forms_builder.models import CustomForm

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers: PostgreSQL"),
]


def test_two_fields_racing_for_one_identifier_make_one_and_a_form_error():
    owner = UserFactory()
    event = EventFactory(owner=owner)
    barrier = threading.Barrier(4)

    def add(_):
        barrier.wait()
        try:
            services.save_field(
                owner, CustomForm(event=event, form="attendee", field_identifier="size", name="Size")
            )
            return "added"
        except ValidationError as error:
            return error.messages[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(add, range(4)))

    assert outcomes == ["The form has a field with that identifier already."] * 3 + ["added"]

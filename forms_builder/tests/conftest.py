"""What the custom forms' tests share: a question asked, and an event asking a few."""

import pytest

from events.factories import EventFactory
from forms_builder.models import CustomForm


def ask(event, form, identifier, name, **options) -> CustomForm:
    return CustomForm.objects.create(
        event=event, form=form, field_identifier=identifier, name=name, **options
    )


@pytest.fixture
def call(db):
    """A published event asking sessions and speakers one question each (and one not asked)."""
    event = EventFactory()
    ask(
        event,
        "session",
        "audience",
        "Audience",
        field_type="select",
        options=["Beginners", "Experts"],
        is_required=True,
        position=2,
        description="Who it is <i>for</i>.",
    )
    ask(event, "session", "length", "Length in minutes", field_type="number", position=1)
    ask(event, "session", "old", "Old question", is_included=False)
    ask(event, "speaker", "phone", "Phone", field_type="phone", is_required=True)
    return event

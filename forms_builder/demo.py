"""Demo questions for `make run`: what the summit asks its attendees, speakers and sessions (some
answers public, some for the organizers only), answered by the demo attendees and speaker.
Loaded after the orders and speakers demos (INSTALLED_APPS order)."""

from events.models import Event
from orders.models import Attendee
from speakers.models import Session, Speaker

from .models import CustomForm

Form, Type = CustomForm.Form, CustomForm.Type
QUESTIONS = [
    (
        Form.ATTENDEE,
        "tshirt",
        "T-shirt size",
        Type.SELECT,
        {"options": ["S", "M", "L", "XL"], "is_required": True},
    ),
    (Form.ATTENDEE, "diet", "Dietary needs", Type.TEXT, {"description": "Vegetarian, vegan, allergies…"}),
    (Form.SPEAKER, "github", "GitHub profile", Type.URL, {"is_public": True}),
    (
        Form.SPEAKER,
        "phone",
        "Phone on the day",
        Type.PHONE,
        {"description": "Only the organizers see it.", "is_required": True},
    ),
    (
        Form.SESSION,
        "audience",
        "Audience",
        Type.SELECT,
        {"options": ["Beginners", "Everyone", "Experts"], "is_public": True, "is_required": True},
    ),
    (Form.SESSION, "equipment", "Equipment you need", Type.PARAGRAPH, {}),
]


def load(stdout) -> None:
    event = Event.objects.filter(name="Open Science Summit").first()
    if event is None or CustomForm.objects.filter(event=event, is_fixed=False).exists():
        return  # the events demo is missing, or the questions are loaded already
    CustomForm.objects.bulk_create(
        CustomForm(
            event=event,
            form=form,
            field_identifier=identifier,
            name=name,
            field_type=kind,
            position=10 + index,
            **more,
        )
        for index, (form, identifier, name, kind, more) in enumerate(QUESTIONS)
    )
    sizes = ["M", "L", "S"]
    for index, attendee in enumerate(Attendee.objects.filter(event=event).order_by("pk")):
        attendee.complex_field_values = {"tshirt": sizes[index % len(sizes)]}
        attendee.save(update_fields=["complex_field_values"])
    Speaker.objects.filter(event=event).update(
        complex_field_values={"github": "https://github.com/fossasia", "phone": "+65 6123 4567"}
    )
    Session.objects.filter(event=event).update(complex_field_values={"audience": "Everyone"})
    stdout.write(f"Demo questions for {event.name}: T-shirt sizes, the speakers' GitHub (public) and phone")

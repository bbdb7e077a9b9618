"""Custom forms (shared/docs/API.md, "Custom forms"): the fields an event asks, and the one check
of the answers that the API and the pages share (`answers_form`, `clean_answers`).

An answer is kept under its field's identifier. Changing or removing a field never loses
answers already given: an answer whose field is gone (or no longer asked) is kept as it was,
"retired", and shown as such in exports.
"""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.utils.html import escape

from accounts.models import User
from events import permissions as event_permissions
from events.models import Event
from openevent.errors import Conflict, Forbidden, PartsInvalid
from openevent.forms import MultilineField
from openevent.validators import NO_CONTROL_CHARACTERS

from .models import CustomForm

Form, Type = CustomForm.Form, CustomForm.Type
# The model columns every event asks for, as fixed fields: (form, identifier, name, type).
BUILT_IN = [
    (Form.ATTENDEE, "firstname", "First name", Type.TEXT),
    (Form.ATTENDEE, "lastname", "Last name", Type.TEXT),
    (Form.ATTENDEE, "email", "Email", Type.EMAIL),
    (Form.SPEAKER, "name", "Name", Type.TEXT),
    (Form.SPEAKER, "email", "Email", Type.EMAIL),
    (Form.SESSION, "title", "Title", Type.TEXT),
]
PHONE = RegexValidator(
    r"^\+?[0-9][0-9 ()./-]{2,29}\Z", "Enter a phone number: digits, spaces and + ( ) - . /"
)


def distinct(options: list) -> None:
    if len(set(options)) != len(options):
        raise ValidationError("Choose each option at most once.")


# What a JSON value of each type must be before the form checks it (the pages send text).
JSON_TYPES = {
    Type.NUMBER: (int, float, Decimal),
    Type.CHECKBOX: (list,),
    Type.BOOLEAN: (bool,),
}


def add_built_in_fields(event: Event) -> None:
    """The fixed fields a new event asks (events.signals calls this when an event is made)."""
    CustomForm.objects.bulk_create(
        [
            CustomForm(
                event=event,
                form=form,
                field_identifier=identifier,
                name=name,
                field_type=field_type,
                is_required=True,
                is_fixed=True,
                position=position,
            )
            for position, (form, identifier, name, field_type) in enumerate(BUILT_IN)
        ],
        ignore_conflicts=True,
    )


def _require_event_admin(actor: User, event: Event) -> None:
    if not event_permissions.is_event_admin(actor, event):
        raise Forbidden("Only the event's owner and organizers change its forms.")


def save_field(actor: User, field: CustomForm, **changes) -> CustomForm:
    """Add a field to an event's form, or change one. A built-in field keeps its identifier,
    type and form; only its wording, position and publicity change."""
    _require_event_admin(actor, field.event)
    if field.is_fixed:
        fixed = {"field_identifier", "field_type", "form", "is_required", "is_included", "options"}
        if any(getattr(field, name) != value for name, value in changes.items() if name in fixed):
            raise Conflict("A built-in field keeps its identifier, type, form and being asked.")
    for name, value in changes.items():
        setattr(field, name, value)
    field.full_clean()
    try:
        with transaction.atomic():
            field.save()
    except IntegrityError:  # the identifier taken meanwhile, past full_clean's check (as save_track)
        field.validate_constraints()  # raises the ValidationError that check gives now
        raise
    return field


def delete_field(actor: User, field: CustomForm) -> None:
    _require_event_admin(actor, field.event)
    if field.is_fixed:
        raise Conflict("A built-in field is not deleted: it is the attendee's, speaker's or session's own.")
    with transaction.atomic():
        field.delete()


# Answers


def asked_fields(event: Event, form: str) -> list[CustomForm]:
    """The event's own questions on `form` (not the built-in ones), in position order."""
    return list(
        CustomForm.objects.filter(event=event, form=form, is_included=True, is_fixed=False).order_by(
            "position", "pk"
        )
    )


def _form_field(field: CustomForm) -> forms.Field:
    # The pages show help texts as HTML: an organizer's text is escaped into it.
    common = {"label": field.name, "help_text": escape(field.description), "required": field.is_required}
    text = {**common, "validators": [NO_CONTROL_CHARACTERS]}
    choices = [(option, option) for option in field.options]
    if field.field_type == Type.PARAGRAPH:
        return MultilineField(max_length=10_000, **text)
    if field.field_type == Type.EMAIL:
        return forms.EmailField(max_length=254, **common)
    if field.field_type == Type.NUMBER:
        return forms.DecimalField(max_digits=20, decimal_places=6, **common)
    if field.field_type == Type.CHECKBOX:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, validators=[distinct], **common
        )
    if field.field_type == Type.SELECT:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if field.field_type == Type.BOOLEAN:
        return forms.BooleanField(**common)  # required: it must be ticked ("I accept the code of conduct")
    if field.field_type == Type.URL:
        return forms.URLField(max_length=2000, **common)
    if field.field_type == Type.PHONE:
        return forms.CharField(max_length=30, validators=[PHONE], **common)
    return forms.CharField(max_length=1000, **text)


def answers_form(event: Event, form: str) -> type[forms.Form]:
    """A Django form of the event's questions on `form`, in position order, each with its name,
    help text and check; its fields are named by identifier. The pages render it (with a prefix),
    and clean_answers runs it on what the API was sent."""
    fields = {field.field_identifier: _form_field(field) for field in asked_fields(event, form)}
    answers = type("AnswersForm", (forms.Form,), fields)
    answers.field_order = list(fields)  # set after: a question may be called "field_order"
    return answers


def public_fields(event_id: int, form: str) -> list[CustomForm]:
    """The event's questions on `form` whose answers anyone may see (`is_public`), in position
    order; other answers are for the event's admins and whoever gave them."""
    return list(
        CustomForm.objects.filter(event_id=event_id, form=form, is_public=True, is_fixed=False).order_by(
            "position", "pk"
        )
    )


@dataclass(frozen=True)
class ShownAnswer:
    question: str
    text: str
    link: str = ""  # the answer to a URL question, when it is a web address to link to


def answer_text(value) -> str:
    """An answer as a page or a spreadsheet shows it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def public_answers(fields: list[CustomForm], answers: dict) -> list[ShownAnswer]:
    """The answers to `fields` (public_fields) as the public pages show them, the unanswered left
    out. Only a web address is a link (an answer typed before its field became a URL one may be
    anything)."""
    shown = []
    for field in fields:
        value = answers.get(field.field_identifier)
        if _unanswered(value):
            continue
        web = (
            field.field_type == Type.URL
            and isinstance(value, str)
            and value.startswith(("https://", "http://"))
        )
        shown.append(ShownAnswer(field.name, answer_text(value), value if web else ""))
    return shown


def answer_columns(event_ids, form: str, answer_sets: list[dict]) -> list[tuple[str, str]]:
    """The columns of an export of answers on `form` of these events: (identifier, heading) for
    each question asked, in position order, then one for each retired question that `answer_sets`
    answer ("... (retired)")."""
    fields = CustomForm.objects.filter(event_id__in=event_ids, form=form, is_fixed=False).order_by(
        "event", "position", "pk"
    )
    names, asked = {}, {}
    for field in fields:
        names.setdefault(field.field_identifier, field.name)
        if field.is_included:
            asked.setdefault(field.field_identifier, field.name)
    retired = sorted({key for answers in answer_sets for key in answers} - set(asked))
    return [*asked.items(), *((key, f"{names.get(key, key)} (retired)") for key in retired)]


def stored(cleaned: dict) -> dict:
    """A form's cleaned answers as JSON (numbers as numbers), the unanswered left out; a page's
    unticked yes-or-no box is an answer, no."""
    answers = {}
    for identifier, value in cleaned.items():
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        if value in (None, "", []):
            continue
        answers[identifier] = value
    return answers


def clean_answers(event: Event, form: str, answers, previous: dict | None = None) -> dict:
    """The answers the API was sent (`complex-field-values`), checked against the event's form:
    unknown identifiers, missing required answers and wrongly typed ones are a ValidationError
    (by identifier; the missing ones at once, as the contract words it). The answers to store:
    these, and those of `previous` whose field is retired."""
    if not isinstance(answers, dict):
        raise ValidationError({"complex_field_values": "An object of answers by field identifier."})
    asked = {field.field_identifier: field for field in asked_fields(event, form)}
    previous = previous or {}
    retired = {key: value for key, value in previous.items() if key not in asked}
    unknown = sorted(
        key for key in set(answers) - set(asked) if key not in retired or answers[key] != retired[key]
    )
    if unknown:
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise ValidationError(
            {"complex_field_values": f"Unknown fields {unknown[:10]}{more}: the form does not ask them."}
        )
    wrong = {}
    for identifier, value in answers.items():
        if identifier not in asked:
            continue
        expected = JSON_TYPES.get(asked[identifier].field_type, (str,))
        if value is not None and (
            not isinstance(value, expected) or isinstance(value, bool) != (bool in expected)
        ):
            wrong[identifier] = f"Expected {_kind(expected)}."
        elif isinstance(value, list) and not all(isinstance(item, str) for item in value):
            wrong[identifier] = "Expected a list of the options' texts."
    missing = [
        identifier
        for identifier, field in asked.items()
        if field.is_required and _unanswered(answers.get(identifier))
    ]
    if missing:
        raise ValidationError({"complex_field_values": f"Missing required fields {missing}"})
    if wrong:
        raise PartsInvalid(
            "complex_field_values", {identifier: [message] for identifier, message in wrong.items()}
        )
    given = {key: value for key, value in answers.items() if key in asked and value is not None}
    checked = answers_form(event, form)(data=given)
    if not checked.is_valid():
        raise PartsInvalid(
            "complex_field_values",
            {identifier: list(errors) for identifier, errors in checked.errors.items()},
        )
    return retired | stored({key: value for key, value in checked.cleaned_data.items() if key in given})


def _unanswered(value) -> bool:
    """No answer to a required question: nothing, empty, or a yes-or-no box left unticked (a
    number 0 is an answer)."""
    return value is None or value is False or (isinstance(value, str | list) and not value)


def _kind(expected: tuple) -> str:
    if list in expected:
        return "a list of the options' texts"
    if bool in expected:
        return "true or false"
    if int in expected:
        return "a number"
    return "a text"

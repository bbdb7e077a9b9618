"""The questions an event asks of its attendees, speakers and sessions: one CustomForm row per
field. The built-in ones (`is_fixed`) are the model's own columns (an attendee's name); the
others are answered in the object's `complex_field_values`, by `field_identifier`."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from events.models import Event
from openevent.validators import NO_CONTROL_CHARACTERS, SMALL_INTEGER, validate_storable_json

IDENTIFIER = RegexValidator(
    r"^[a-z][a-z0-9_-]{0,99}\Z", "Lower-case letters, digits, - and _ only, starting with a letter."
)
MAX_OPTIONS = 100


class CustomForm(models.Model):
    class Form(models.TextChoices):
        ATTENDEE = "attendee"
        SPEAKER = "speaker"
        SESSION = "session"

    class Type(models.TextChoices):
        TEXT = "text"
        PARAGRAPH = "paragraph"
        EMAIL = "email"
        NUMBER = "number"
        CHECKBOX = "checkbox", "checkboxes (any of the options)"
        SELECT = "select", "select (one of the options)"
        BOOLEAN = "boolean", "yes or no"
        URL = "url", "URL"
        PHONE = "phone"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="custom_forms")
    form = models.CharField(max_length=8, choices=Form.choices)
    field_identifier = models.CharField(
        max_length=100, validators=[IDENTIFIER], help_text="The answer's key in complex-field-values."
    )
    field_type = models.CharField("type", max_length=9, choices=Type.choices, default=Type.TEXT)
    name = models.CharField(max_length=200, help_text="The question, as the form shows it.")
    description = models.CharField(max_length=1000, blank=True, help_text="Help shown under the field.")
    is_required = models.BooleanField(default=False)
    is_included = models.BooleanField(default=True, help_text="Asked on the form.")
    is_fixed = models.BooleanField(default=False, editable=False, help_text="Built in: always asked.")
    is_public = models.BooleanField(default=False, help_text="Answers show on the public pages.")
    position = models.PositiveSmallIntegerField(default=0, validators=SMALL_INTEGER)
    options = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_storable_json],
        help_text="The choices of a select or checkboxes field.",
    )

    class Meta:
        ordering = ["event", "form", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "form", "field_identifier"],
                name="custom_form_field_unique_in_form",
                violation_error_message="The form has a field with that identifier already.",
            ),
            models.CheckConstraint(
                condition=Q(is_fixed=False) | Q(is_included=True), name="custom_form_fixed_fields_are_asked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_form_display()}: {self.name}"

    def clean(self) -> None:
        errors = {}
        choices = self.field_type in (self.Type.SELECT, self.Type.CHECKBOX)
        options = self.options
        if not isinstance(options, list) or not all(
            isinstance(option, str) and option.strip() for option in options
        ):
            errors["options"] = "A list of texts."
        elif choices and not options:
            errors["options"] = "A select or checkboxes field needs options to choose from."
        elif not choices and options:
            errors["options"] = "Only select and checkboxes fields have options."
        elif len(options) > MAX_OPTIONS or len(set(options)) != len(options):
            errors["options"] = f"At most {MAX_OPTIONS} options, each once."
        elif any(len(option) > 200 for option in options):
            errors["options"] = "An option is at most 200 characters."
        elif not all(NO_CONTROL_CHARACTERS.regex.search(option) for option in options):
            errors["options"] = "An option may not hold control characters."
        if self.is_fixed and not self.is_included:
            errors["is_included"] = "A built-in field is always asked."
        if errors:
            raise ValidationError(errors)

from django import forms
from django.core.exceptions import ValidationError


class MultilineField(forms.CharField):
    """Text typed in a textarea. Browsers send its line breaks as CRLF: kept as LF, as the API
    keeps them, a line break counts one character against max_length, as the browser counts it."""

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class TimesCheckedTogetherMixin:
    """A model form whose start and end the model checks together (in order, within the event).
    When the form refused one of them, the model judged the stored one in its place: its errors
    on the two say nothing of what was typed, and are left out."""

    times = frozenset({"starts_at", "ends_at"})

    def _update_errors(self, errors):
        if self.times & self.errors.keys() and hasattr(errors, "error_dict"):
            errors = ValidationError(
                {name: items for name, items in errors.error_dict.items() if name not in self.times}
            )
        super()._update_errors(errors)


def show_initial_values(form) -> None:
    """Have the page send back, hidden, the values it shows, so the form's changed_data is what
    the user changed: not what differs from the object as it is when posted, which another
    request may have changed since the page was shown."""
    for field in form.fields.values():
        field.show_hidden_initial = True


def changes_of(form, *many: str) -> dict:
    """What the user changed on a page that sends back, hidden, what it showed
    (show_initial_values), for a service to make to the row as it is now; the `many`
    (many-to-many) fields left out, for the service to take apart."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name not in many}


def changed_list(form, name: str) -> list | None:
    """A many-to-many field's new list if the user changed it, else None (the service keeps it)."""
    return list(form.cleaned_data[name]) if name in form.changed_data or form.instance._state.adding else None

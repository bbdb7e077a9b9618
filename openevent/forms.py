from django import forms


class MultilineField(forms.CharField):
    """Text typed in a textarea. Browsers send its line breaks as CRLF: kept as LF, as the API
    keeps them, a line break counts one character against max_length, as the browser counts it."""

    widget = forms.Textarea

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value

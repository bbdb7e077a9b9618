import datetime
import decimal
import uuid

from django.utils.translation import gettext_lazy
from rest_framework import renderers

from openevent.renderers import JSONRenderer

TRICKY = {
    "text": "Grüße, 会议, \u2028 and \u2029 </script>",
    "numbers": [0, -1, 2**63 - 1, 1.5, decimal.Decimal("12.50")],
    "when": datetime.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=datetime.UTC),
    "day": datetime.date(2026, 12, 2),
    "naive": datetime.datetime(2026, 12, 2, 9, 30),
    "lazy": gettext_lazy("This field is required."),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "nested": {1: None, "flags": [True, False]},
}


def test_documents_are_written_as_drf_writes_them():
    assert JSONRenderer().dump(TRICKY, None, {}) == renderers.JSONRenderer().render(TRICKY)


def test_indented_documents_are_written_by_drf():
    indented = JSONRenderer().dump(TRICKY, "application/vnd.api+json; indent=2", {})
    assert indented == renderers.JSONRenderer().render(TRICKY, "application/json; indent=2")
    assert indented.startswith(b'{\n  "text"')

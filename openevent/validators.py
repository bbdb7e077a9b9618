"""Validators that every app's models share, so the API, the pages and the admin agree."""

import json
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.timezone import is_naive, make_aware

# Every date a user sets (an event's, a session's, a ticket's sales, a discount code's) lies in
# this range, far enough from year 1 and 9999 that no time zone's local time can overflow.
EARLIEST_DATETIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_DATETIME = datetime(2200, 1, 1, tzinfo=UTC)


def validate_datetime_in_range(value: datetime) -> None:
    if not EARLIEST_DATETIME <= value < LATEST_DATETIME:
        raise ValidationError(
            "Choose a date from %(earliest)s to %(latest)s.",
            code="out_of_range",
            params={"earliest": EARLIEST_DATETIME.year, "latest": LATEST_DATETIME.year - 1},
        )


def query_value(field, value):
    """`value` as `field` holds it, to compare with in a query; a ValidationError if it cannot be
    one. A relation's ids are checked as ids (in the database's range), never looked up; a date
    and time without an offset is in the site's time zone; text holds no NUL or lone surrogate,
    which the databases refuse."""
    if isinstance(value, str):
        check_text(value)
    checked = field.target_field if field.is_relation else field
    try:
        cleaned = checked.to_python(value)
        if isinstance(cleaned, datetime):
            if is_naive(cleaned):
                cleaned = make_aware(cleaned)
            cleaned.astimezone(UTC)  # an offset may take it out of the years Python counts
        checked.run_validators(cleaned)
        if checked.choices and cleaned not in {choice for choice, _ in checked.flatchoices}:
            raise ValidationError(f"{value!r} is not one of the choices.")
    except (TypeError, ValueError, OverflowError) as error:  # a value of another kind
        raise ValidationError(f"{value!r} is not a value of {field.name}.") from error
    return cleaned


# What a small integer column holds on every database: SQLite checks no range itself.
SMALL_INTEGER = [MinValueValidator(-32_768), MaxValueValidator(32_767)]

# Typed text, not control codes (a terminal's escapes, a bell, their 8-bit forms); tabs and line
# breaks are typed. Matched whole, not refused by an inverse match, so that the API's schema (a
# pattern) says what it takes.
NO_CONTROL_CHARACTERS = RegexValidator(
    r"\A[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*\Z", "Text may not hold control characters."
)


def check_text(text: str) -> None:
    """A ValidationError for text no database column holds: a NUL, a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError("Text may not hold lone surrogates.") from error
    if "\x00" in text:
        raise ValidationError("Text may not hold NUL characters.")


# A set of answers: dozens of paragraphs at their longest, every character escaped. What is
# answered is bounded by the form; this bounds what is parsed and stored before it is checked.
MAX_JSON_CHARACTERS = 1_000_000
MAX_JSON_DEPTH = 20  # far below what orjson writes back (255) and Python's recursion limit


def validate_storable_json(value) -> None:
    """JSON that every database holds and every answer can write back, of a bounded size: no
    NUL or lone surrogate in any key or string (PostgreSQL's jsonb refuses them), no infinite
    number (JSON has none), nested at most MAX_JSON_DEPTH deep."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(f"JSON nested at most {MAX_JSON_DEPTH} deep.")
        if isinstance(item, dict):
            pending += [(key, depth) for key in item] + [(inner, depth + 1) for inner in item.values()]
        elif isinstance(item, list):
            pending += [(inner, depth + 1) for inner in item]
        elif isinstance(item, str):
            check_text(item)
    try:
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValidationError("Not a JSON value (numbers are finite).") from error
    if size > MAX_JSON_CHARACTERS:
        raise ValidationError(f"At most {MAX_JSON_CHARACTERS} characters of JSON.")

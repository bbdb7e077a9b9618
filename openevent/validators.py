"""Validators that every app's models share, so the API, the pages and the admin agree."""

from datetime import UTC, datetime

from django.core.exceptions import ValidationError

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

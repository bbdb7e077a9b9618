"""Domain errors that services raise. The API answers them as 403/404/409 error objects
(openevent.api.exception_handler) and pages as Django's 403/404 or a form error."""

from django.core.exceptions import ValidationError

# What a write refused at the database for a race with another request's is told (openevent.clashes).
CLASHED = "A change made at the same time clashes with this one: nothing was saved. Try again."


class DomainError(Exception):
    pass


class Forbidden(DomainError):
    """The actor may see the object but may not do this to it."""


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does. `relationship` names
    the request's relationship that pointed at it, for the API's error pointer."""

    def __init__(self, message: str = "", relationship: str | None = None):
        super().__init__(message)
        self.relationship = relationship


class Conflict(DomainError):
    """The request clashes with the object's current state (a duplicate, an answered invite)."""


class Unavailable(DomainError):
    """Something the request needs is not there now: a device, a sandbox, a vendor."""


class PartsInvalid(ValidationError):
    """A field whose parts are wrong one by one (the answers in complex-field-values): the API
    points at each part (`/data/attributes/<field>/<part>`); elsewhere it reads as "part: message"."""

    def __init__(self, field: str, errors: dict[str, list[str]]):
        super().__init__(
            {field: [f"{part}: {message}" for part, messages in errors.items() for message in messages]}
        )
        self.parts = {field: errors}

"""Rows changed as they are now: locked, so nothing written since they were read is lost."""

from contextlib import contextmanager

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import QuerySet

from openevent.errors import DomainError, NotFound


def lock_row(rows: QuerySet, pk, what: str):
    """The row of `rows` with this key, locked FOR NO KEY UPDATE (its own row alone, not those it
    joins), which the checks of rows that refer to it do not wait for; NotFound if it was deleted
    meanwhile."""
    row = rows.select_for_update(of=("self",), no_key=True).filter(pk=pk).first()
    if row is None:
        raise NotFound(f"The {what} no longer exists.")
    return row


def changed_as_stored_now(obj, changes: dict):
    """An unsaved object, or a saved one as its row is now (locked: lock_row, within the caller's
    transaction), with `changes` made to it and checked (full_clean)."""
    if not obj._state.adding:
        obj = lock_row(type(obj).objects, obj.pk, obj._meta.verbose_name)
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.full_clean()
    return obj


DELETE_ATTEMPTS = 3

# PostgreSQL's refusals of a write that raced another request's, past every check made before it.
_CLASHES = {
    "23503": "a row referred to was deleted meanwhile",  # foreign_key_violation, checked at commit
    "40P01": "a deadlock",  # deadlock_detected
}


def clash_of(error: BaseException) -> str | None:
    """What clashed, if `error` is the database's refusal of a write that raced another's."""
    if not isinstance(error, DatabaseError):
        return None
    return _CLASHES.get(getattr(error.__cause__, "sqlstate", None))


def delete_locked(row) -> None:
    """Delete the row with its own row (not those its ordering joins) locked FOR UPDATE first. A
    reference to it that another request makes meanwhile then either commits before the lock, and
    the deletion finds it (set to null, deleted along or protecting the row), or is checked after
    the deletion commits and fails there. The rows deleted along are not locked: a reference to
    one of them committed past the deletion's look, or a deadlock with a request changing them,
    clashes, and the deletion looks again."""
    rows = type(row).objects.select_for_update(of=("self",)).filter(pk=row.pk)
    for attempt in range(1, DELETE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                if (locked := rows.first()) is not None:  # else deleted meanwhile
                    locked.delete()
            return
        except DatabaseError as error:
            if attempt == DELETE_ATTEMPTS or clash_of(error) is None:
                raise


@contextmanager
def reference_kept(refusal: DomainError):
    """Around a write's outermost transaction, where its references are checked as it commits: a
    row it refers to that another request deleted after it was checked (the deletion locks that
    row first, delete_locked, so the reference waits for it) is `refusal`, not a 500."""
    try:
        yield
    except IntegrityError as error:
        raise refusal from error


@contextmanager
def unique_checked_again(row):
    """The row's save, in a savepoint: a name or code another request took past full_clean's
    check is the ValidationError that check gives now."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        row.validate_constraints()
        raise

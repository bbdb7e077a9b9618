"""Rows changed as they are now: locked, so nothing written since they were read is lost."""

from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from openevent.errors import NotFound


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


def delete_locked(row) -> None:
    """Delete the row with its own row (not those its ordering joins) locked FOR UPDATE first. A
    reference to it that another request makes meanwhile then either commits before the lock, and
    the deletion finds it (set to null, deleted along or protecting the row), or is checked after
    the deletion commits and fails there. Unlocked, a reference committed between Django's update
    of the rows it found and its DELETE broke the deletion's commit."""
    with transaction.atomic():
        type(row).objects.select_for_update(of=("self",)).filter(pk=row.pk).first()
        row.delete()


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

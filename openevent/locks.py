"""Rows changed as they are now: locked, so nothing written since they were read is lost."""

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

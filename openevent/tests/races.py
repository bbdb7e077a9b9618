"""A request that runs at the worst moment of a deletion, on PostgreSQL with a connection of its own."""

import time
from concurrent.futures import Future, ThreadPoolExecutor
from unittest import mock

from django.db import connection
from django.db.models.sql.subqueries import DeleteQuery


def _done_or_waiting_for_a_lock(backend_pid: Future, finished: Future) -> None:
    pid = backend_pid.result(timeout=10)
    with connection.cursor() as cursor:
        for _ in range(1000):
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
            if finished.done() or cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("The other request neither finished nor waited for a lock.")


def run_just_before_the_delete(delete, model, action) -> Future:
    """Call `delete`, which deletes a `model` row. Just before Django's DELETE of it, when the rows
    that refer to it were found and set to null or deleted along, `action` starts on a connection
    of its own, and the deletion goes on once `action` finished or waits for a lock. Returns the
    future of `action`, done."""
    backend_pid, started = Future(), []

    def action_on_its_own_connection():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid.set_result(cursor.fetchone()[0])
        try:
            return action()
        finally:
            connection.close()

    delete_batch = DeleteQuery.delete_batch

    def with_action_started_first(query, pk_list, using):
        if query.model is model and not started:
            started.append(pool.submit(action_on_its_own_connection))
            _done_or_waiting_for_a_lock(backend_pid, started[0])
        return delete_batch(query, pk_list, using)

    with (
        ThreadPoolExecutor(1) as pool,
        mock.patch.object(DeleteQuery, "delete_batch", with_action_started_first),
    ):
        delete()
    assert started, f"No {model.__name__} was deleted."
    return started[0]

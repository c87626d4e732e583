"""A statement timeout for lists and searches, far below the global one.

One request must not hold a database connection and a worker for long: every list and search of
every dialect runs its queries (the count too) inside `bounded_query`, which stops them after
LIST_STATEMENT_TIMEOUT_MS and answers a 400 saying the query was too expensive.
"""

import time
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

from .listing import QueryError

# SQLite calls the progress handler every this many virtual machine instructions (well under a
# millisecond), so the deadline is kept to about that.
SQLITE_PROGRESS_STEPS = 1000


class QueryTooExpensive(QueryError):
    """The query ran out of its time (LIST_STATEMENT_TIMEOUT_MS): a 400 telling to narrow it."""

    code = "query_too_expensive"

    def __init__(self, path: str, timeout_ms: int):
        self.timeout_ms = timeout_ms
        super().__init__(path, too_expensive_message(timeout_ms))


def too_expensive_message(timeout_ms) -> str:
    return (
        f"the query is too expensive: it ran longer than {timeout_ms} ms and was stopped. Narrow it down "
        "(more selective conditions, fewer pattern operators, a smaller page)"
    )


def _cancelled(exc: OperationalError, vendor: str, interrupted: bool) -> bool:
    if vendor == "postgresql":  # QueryCanceled: statement_timeout (SQLSTATE 57014)
        return getattr(exc.__cause__, "sqlstate", None) == "57014"
    return interrupted and "interrupted" in str(exc)


@contextmanager
def bounded_query(path: str = "", using: str = DEFAULT_DB_ALIAS):
    """Stop a list's or search's queries (count, page, related documents) once they have run
    LIST_STATEMENT_TIMEOUT_MS (0: only the global STATEMENT_TIMEOUT_MS applies), and turn the
    stop into QueryTooExpensive naming `path`.

    PostgreSQL: a transaction with `set_config('statement_timeout', ..., true)`, i.e. `SET LOCAL`:
    it ends with the transaction (or is put back when this runs inside an outer one), so the
    global timeout stays for everything else; the transaction also keeps a statement PostgreSQL
    refuses (a bad regex) from poisoning an outer one. SQLite: a progress handler interrupts the
    running statement once the deadline has passed."""
    timeout_ms = settings.LIST_STATEMENT_TIMEOUT_MS
    connection = connections[using]
    vendor = connection.vendor
    nested = connection.in_atomic_block
    fired = []
    try:
        if vendor == "sqlite":  # no transaction needed: the handler belongs to the connection
            with _sqlite_deadline(connection, timeout_ms, fired):
                yield
        else:
            with transaction.atomic(using=using):
                if timeout_ms and vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)",
                            [f"{int(timeout_ms)}ms"],
                        )
                        previous = cursor.fetchone()[0]
                    yield
                    if nested:
                        with connection.cursor() as cursor:
                            cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
                else:
                    yield
    except OperationalError as exc:
        if timeout_ms and _cancelled(exc, vendor, bool(fired)):
            raise QueryTooExpensive(path, timeout_ms) from None
        raise


@contextmanager
def _sqlite_deadline(connection, timeout_ms, fired: list):
    if not timeout_ms:
        yield
        return
    deadline = time.monotonic() + timeout_ms / 1000

    def past_deadline():
        if time.monotonic() > deadline:
            fired.append(True)
            return 1  # SQLite stops the statement: OperationalError("interrupted")
        return 0

    connection.ensure_connection()
    raw = connection.connection
    raw.set_progress_handler(past_deadline, SQLITE_PROGRESS_STEPS)
    try:
        yield
    finally:
        raw.set_progress_handler(None, SQLITE_PROGRESS_STEPS)


def odata_too_expensive(exc: QueryTooExpensive, odata):
    """The same stop in OData's error shape, for a request that used OData options."""
    from .odata import ODataError

    target = "$filter" if odata.filter is not None else "$orderby" if odata.ordering else "$top"
    return ODataError(exc.message, target=target, code="query_too_complex")

"""Writing batches on other threads while the importing thread prepares the next ones.

A bulk import of clients spends about as long waiting for PostgreSQL (COPY into a table with a
dozen indexes, the deferred foreign-key checks and the WAL flush at commit) as computing in
Python (reading, converting, validating). With the writes on their own threads, each with its
own database connection, the waits overlap the work (psycopg releases the GIL while it
waits); two writers also overlap each other's waits. Outcomes are handed back to the importing
thread in file order, so the report reads as if the batches had been written one by one.
At most `workers` batches are in flight besides the one being prepared: memory stays flat.
"""

import queue
import threading
from collections import deque
from concurrent.futures import Future

from django.db import connections


def forget_logged_queries() -> None:
    """Empty DEBUG's query log of this thread's connections once a batch is done: batch lookups
    carry a thousand values each, so the log (up to 9,000 queries) would make a long import grow
    by ~50 bytes a row. A log someone is reading (CaptureQueriesContext) is left alone."""
    for connection in connections.all(initialized_only=True):
        if not connection.force_debug_cursor:
            connection.queries_log.clear()


class _Worker(threading.Thread):
    def __init__(self, write, name):
        super().__init__(name=name, daemon=True)
        self.write = write
        self.jobs: queue.Queue = queue.Queue()

    def run(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                rows, future = job
                forget_logged_queries()
                try:
                    self.write(rows)
                except BaseException as exc:  # handed to the importing thread
                    future.set_exception(exc)
                else:
                    future.set_result(None)
        finally:
            connections.close_all()  # this thread's connections


class BatchWriter:
    def __init__(self, write, done, *, workers: int = 2):
        """`write(rows)` runs on a writer thread; `done(rows)` on the importing thread, for
        each batch in submission order, once it is written."""
        self.done = done
        self.workers = [_Worker(write, f"dataio-writer-{n}") for n in range(workers)]
        for worker in self.workers:
            worker.start()
        self.in_flight: deque = deque()
        self.submitted = 0
        self.closed = False

    def submit(self, rows) -> None:
        while len(self.in_flight) >= len(self.workers):
            self._finish_oldest()
        future: Future = Future()
        self.workers[self.submitted % len(self.workers)].jobs.put((rows, future))
        self.submitted += 1
        self.in_flight.append((future, rows))

    def _finish_oldest(self) -> None:
        future, rows = self.in_flight.popleft()
        future.result()  # re-raises a writer's exception here
        self.done(rows)

    def busy(self) -> bool:
        return bool(self.in_flight)

    def drain(self) -> None:
        """Wait until every submitted batch is written (committed) and reported."""
        while self.in_flight:
            self._finish_oldest()

    def close(self) -> None:
        """Finish the batches in flight, then stop the writers."""
        try:
            self.drain()
        finally:
            self.stop()

    def stop(self) -> None:
        if not self.closed:
            self.closed = True
            for worker in self.workers:
                worker.jobs.put(None)
            for worker in self.workers:
                worker.join()

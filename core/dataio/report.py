"""What an import did: counts per outcome, each failed row's number, field and reason, a
preview of the first rows' planned actions (the admin shows it), and the terminal progress line."""

import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from rest_framework.exceptions import APIException, ValidationError

CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED = "created", "updated", "unchanged", "skipped", "failed"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, SKIPPED, FAILED)
ROW = "(row)"  # the field of an error about the row as a whole


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"row {self.row}: {self.field}: {self.message}"


@dataclass
class PlannedRow:
    row: int
    action: str
    id: str | None = None
    messages: list[str] = field(default_factory=list)


class ImportReport:
    """Counts and errors of one import. All errors go to `error_sink` (the --errors file) as
    they happen; the first `keep_errors` are also kept for the closing report."""

    def __init__(self, resource: str, *, dry_run=False, keep_errors=1000, preview=0, error_sink=None):
        self.resource = resource
        self.dry_run = dry_run
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.errors: list[RowError] = []
        self.errors_total = 0
        self.file_errors: list[str] = []
        self.preview: list[PlannedRow] = []
        self.keep_errors = keep_errors
        self.preview_rows = preview
        self.error_sink = error_sink
        self.started = time.monotonic()
        self.seconds = 0.0

    def record(self, row: int, outcome: str, *, errors=(), pk=None, note: str = "") -> None:
        self.counts[outcome] += 1
        messages = []
        for field_name, message in errors:
            error = RowError(row, field_name or ROW, message)
            self.errors_total += 1
            if len(self.errors) < self.keep_errors:
                self.errors.append(error)
            if self.error_sink is not None:
                self.error_sink(error)
            messages.append(f"{error.field}: {message}")
        if note:
            messages.append(note)
        if len(self.preview) < self.preview_rows:
            self.preview.append(PlannedRow(row, outcome, str(pk) if pk else None, messages))

    def file_error(self, message: str) -> None:
        self.file_errors.append(message)

    def finish(self) -> "ImportReport":
        self.seconds = time.monotonic() - self.started
        return self

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    @property
    def exit_code(self) -> int:
        """0: every row imported; 1: some row failed; 2: the file could not be imported."""
        if self.file_errors:
            return 2
        return 1 if self.failed else 0

    def summary(self) -> str:
        counts = ", ".join(f"{self.counts[o]:,} {o}" for o in OUTCOMES)
        rate = f" in {self.seconds:.1f} s ({self.rows / self.seconds:,.0f} rows/s)" if self.seconds > 0 else ""
        prefix = "Dry run (nothing written): " if self.dry_run else ""
        rows = f"{self.rows:,} row{'' if self.rows == 1 else 's'}"
        return f"{prefix}{self.resource}: {rows}{rate}: {counts}."

    def lines(self, *, limit: int = 1000) -> list[str]:
        out = [f"File error: {message}" for message in self.file_errors]
        if self.file_errors:
            out.append("Nothing was imported.")
            return out
        out.append(self.summary())
        if not self.rows:
            out.append("  The file has no rows to import (only a header, or no documents).")
        shown = self.errors[:limit]
        out.extend(f"  {error}" for error in shown)
        hidden = self.errors_total - len(shown)
        if hidden > 0:
            out.append(f"  ... and {hidden:,} more errors (--errors FILE writes every one).")
        return out


class Progress:
    """`12,000 / 1,000,000 rows (1.2 %)  35,000 rows/s` on one line of a terminal, redrawn at
    most five times a second; silent when the stream is not a terminal."""

    def __init__(self, stream, total: int | None, *, enabled: bool | None = None):
        self.stream = stream
        self.total = total
        self.enabled = stream.isatty() if enabled is None and hasattr(stream, "isatty") else bool(enabled)
        self.started = self.last = time.monotonic()
        self.shown = False

    def update(self, done: int, *, force=False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.2:
            return
        self.last = now
        rate = done / (now - self.started) if now > self.started else 0
        if self.total:
            share = min(100.0, 100.0 * done / self.total)
            text = f"{done:,} / {self.total:,} rows ({share:.1f} %)  {rate:,.0f} rows/s"
        else:
            text = f"{done:,} rows  {rate:,.0f} rows/s"
        self.stream.write("\r" + text.ljust(60))
        self.stream.flush()
        self.shown = True

    def finish(self, done: int) -> None:
        if self.enabled:
            self.update(done, force=True)
            self.stream.write("\n")
            self.stream.flush()


def flatten(detail, prefix="") -> list[tuple[str, str]]:
    """DRF error detail -> [(field path, message)]."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "") else str(key)
            out.extend(flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name))
        return out
    if isinstance(detail, list):
        out = []
        for index, item in enumerate(detail):
            if isinstance(item, (dict, list)):
                out.extend(flatten(item, f"{prefix}.{index}" if prefix else str(index)))
            else:
                out.append((prefix or ROW, str(item)))
        return out
    return [(prefix or ROW, str(detail))]


def describe(exc, fields=()) -> list[tuple[str, str]]:
    """A write's failure as (field, message) pairs."""
    if isinstance(exc, ValidationError):
        return flatten(exc.detail)
    if isinstance(exc, APIException):
        if isinstance(exc.detail, (dict, list)):
            return flatten(exc.detail)
        message = str(exc.detail)
        first = message.split(" ", 1)[0]
        return [(first if first in fields else ROW, message)]  # "client_code 'X' is already used ..."
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return [(name, str(m)) for name, errors in exc.message_dict.items() for m in errors]
        return [(ROW, str(m)) for m in exc.messages]
    if isinstance(exc, DatabaseError):
        text = str(exc).strip()
        reason = text.splitlines()[0] if text else type(exc).__name__
        return [(ROW, f"The database refused the row: {reason}")]
    return [(ROW, str(exc))]

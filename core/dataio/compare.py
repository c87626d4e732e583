"""Comparing what a file says with what a row is: a re-import that would change nothing is
"unchanged", not an update."""

import datetime as dt

from django.utils.dateparse import parse_datetime

from core.api.fields import from_epoch_ms

VERSION_NAMES = ("updatedAt", "modifiedAt", "updated_at", "__v", "SVClient")


def same_document(before: dict, after: dict) -> bool:
    """The same document, but for what any save changes (time, version) and the ids the
    service gives embedded sub-documents."""
    return {k: without_ids(v) for k, v in before.items() if k not in VERSION_NAMES} == {
        k: without_ids(v) for k, v in after.items() if k not in VERSION_NAMES
    }


def without_ids(value):
    """A field's value minus the `_id` of embedded sub-documents (a price list's items, a
    group's modifiers): the service assigns them, so they are no part of what a file says."""
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "_id"}
    return value


def parse_timestamp(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return from_epoch_ms(value)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
        if parsed is None:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).replace(microsecond=parsed.microsecond // 1000 * 1000)


def equal(a, b, *, refs=False) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if a == b:
        return True
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if hasattr(a, "as_tuple") and isinstance(b, (int, float)):  # a Decimal from a CSV cell
        return float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        if refs:
            return sorted(map(str, a)) == sorted(map(str, b))
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        left, right = parse_timestamp(a), parse_timestamp(b)
        return left is not None and left == right
    if isinstance(a, str) and isinstance(b, str):
        left, right = parse_timestamp(a), parse_timestamp(b)
        return left is not None and left == right
    return False

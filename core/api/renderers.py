import decimal
import json
import uuid

import orjson
from rest_framework.renderers import JSONRenderer

from .fields import format_datetime


def _default(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return format_datetime(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data) -> bytes:
    try:
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        # What orjson refuses but JSON allows: integers beyond 64 bits in a free JSON field
        # (a client may store {"id": 123456789012345678901234567890}). The standard encoder
        # writes them; ensure_ascii escapes anything that is not valid UTF-8.
        return json.dumps(data, default=_default, ensure_ascii=True, separators=(",", ":")).encode("ascii")


class FastJSONRenderer(JSONRenderer):
    """orjson: several times faster than the stdlib encoder on list pages."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)

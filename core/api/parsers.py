"""JSON from clients (request bodies and the JSON inside query parameters), decoded so that
nothing a client sends can reach the database or the renderer in a shape they cannot take.

* Nesting deeper than MAX_DEPTH is refused before decoding: the standard decoder recurses
  (a deep enough document is a RecursionError, and can bring the process down), and orjson
  refuses to encode documents nested deeper than 255 levels, so a stored one would break
  every page that shows it.
* A lone UTF-16 surrogate (`"\\ud800"`, valid JSON escape, invalid Unicode) is refused: it
  cannot be encoded as UTF-8, neither by PostgreSQL's driver nor by the renderer.
* `NaN`, `Infinity` and `-Infinity` are not JSON: refused.

Every refusal is a ValueError with a message; the body parser turns it into a 400
("Malformed request body"), the list parameters into a 400 naming the parameter.
"""

import json
import re

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64

_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _too_deep(text: str, limit: int) -> bool:
    if text.count("[") + text.count("{") <= limit:  # cheap: fewer openers than the limit at all
        return False
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _lone_surrogate(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def loads(text: str, *, max_depth: int = MAX_DEPTH):
    """json.loads for client input; ValueError (with a readable message) on anything refused."""
    if _too_deep(text, max_depth):
        raise ValueError(f"nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"nested deeper than {max_depth} levels") from None
    # Only a \\uD800-\\uDFFF escape can produce a surrogate (raw ones are not valid UTF-8).
    if _SURROGATE_ESCAPE.search(text) and _lone_surrogate(value):
        raise ValueError("a string holds a lone surrogate (\\ud800-\\udfff), which is not valid Unicode")
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the refusals above (every one a 400, never a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            return loads(text)
        except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"JSON parse error - {exc}") from None

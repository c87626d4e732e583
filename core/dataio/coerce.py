"""Spreadsheet cells to the JSON values the serializers expect.

A CSV cell is text and an XLSX cell is text, a number, a boolean or a date; the API's
serializers take strict JSON types (a number is not a string). Each writable field gets a
converter chosen by its serializer field's type; a cell the converter cannot read is that
cell's error (row, column, reason). An empty cell is an absent value: the row is imported as
if the column were not there. Reference values stay text here; references.py resolves them.
"""

import datetime as dt
import decimal
import json
import math

from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from core.api import fields as api_fields

TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


class CellError(ValueError):
    pass


def _text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number in a spreadsheet: 1001.0 -> "1001"
    if isinstance(value, dt.datetime):
        return api_fields.format_datetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_boolean(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = _text(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError("Expected true or false (also 1/0, yes/no).")


def to_integer(value):
    if isinstance(value, bool):
        raise CellError("Expected an integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise CellError("Expected an integer.") from None
        if number.is_integer():
            return int(number)
        raise CellError("Expected an integer.") from None


def to_float(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        number = float(_text(value).strip())
    except ValueError:
        raise CellError("Expected a number.") from None
    if not math.isfinite(number):
        raise CellError("Expected a finite number.")
    return number


def to_decimal(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return decimal.Decimal(str(value))
    try:
        number = decimal.Decimal(_text(value).strip())
    except decimal.InvalidOperation:
        raise CellError("Expected a number.") from None
    if not number.is_finite():
        raise CellError("Expected a finite number.")
    return number


def to_decimal_text(value):
    """A decimal the API carries as a JSON string (`"12.50"`): checked, then given as text."""
    to_decimal(value)
    return _text(value).strip()


def to_json(value):
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise CellError(f"Expected JSON ({exc.msg}).") from None


def to_json_or_text(value):
    """Any JSON value; text that is not JSON is taken as a string."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def to_list(value):
    """A JSON array, or items separated by ';' ("a; b")."""
    text = _text(value).strip()
    if text.startswith("["):
        parsed = to_json(text)
        if not isinstance(parsed, list):
            raise CellError("Expected a list.")
        return parsed
    return [item.strip() for item in text.split(";") if item.strip()]


def to_text(value):
    return _text(value)


def to_reference(value):
    return _text(value).strip()


def converter_for(field, *, cells_are_text=False):
    """The cell converter for a bound, writable serializer field; None when the cell is taken
    as it is (a text field, when every cell is text: csv)."""
    if isinstance(field, ManyRelatedField):
        return to_list
    if isinstance(field, RelatedField):
        return to_reference
    if isinstance(field, (serializers.BooleanField, api_fields.NegatedBooleanField)):
        return to_boolean
    if isinstance(field, serializers.IntegerField):
        return to_integer
    if isinstance(field, serializers.DecimalField):
        # A decimal the API writes as a string (`product.base_price`) reads back as text.
        return to_decimal_text if _written_as_text(field) else to_decimal
    if isinstance(field, (serializers.FloatField, api_fields.EpochMsField)):
        return to_float
    if isinstance(field, serializers.ListField):
        return to_list
    if isinstance(field, (serializers.DictField, api_fields.JSONObjectField)):
        return to_json
    if isinstance(field, serializers.JSONField):
        # A documented object column (default {} or null) reads JSON; an any-value column
        # (a setting's value) also takes plain text as a string.
        return to_json if _object_like(field) else to_json_or_text
    if isinstance(field, serializers.BaseSerializer):
        return to_json  # nested documents
    if _untyped(field):
        # A field of our own with no DRF type under it (a route's `clients[]`): its value may
        # be any JSON, so its cells are JSON (text that is not JSON stays text).
        return to_json_or_text
    return None if cells_are_text else to_text


def _written_as_text(field) -> bool:
    try:
        return isinstance(field.to_representation(decimal.Decimal("1")), str)
    except Exception:  # noqa: BLE001  (a field that cannot render a plain decimal: not text)
        return False


def _untyped(field) -> bool:
    drf = next(k for k in type(field).__mro__ if k.__module__.startswith("rest_framework."))
    return drf is serializers.Field and not isinstance(field, api_fields.NamespaceField)


def _object_like(field) -> bool:
    model_field = _model_field(field)
    default = getattr(model_field, "default", None)
    return default in (dict, list) or type(field) is not serializers.JSONField


def _model_field(field):
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return None
    try:
        return model._meta.get_field(field.source)
    except Exception:
        return None


def coerce_cells(plan: list, cells: list) -> tuple[dict, dict]:
    """coerce_row for a CSV row given as its cells, all text, in the order of `plan`
    ([(column, converter or None)]): the common case, kept tight."""
    values, errors = {}, {}
    for (name, convert), cell in zip(plan, cells):  # noqa: B905  (the reader checked the width)
        if not cell or cell.isspace():
            continue
        if convert is None:
            values[name] = cell
            continue
        try:
            values[name] = convert(cell)
        except CellError as exc:
            errors[name] = str(exc)
    return values, errors


def coerce_row(row: dict, converters: dict) -> tuple[dict, dict]:
    """(values, errors) for one spreadsheet row: empty (or blank) cells dropped, each other
    cell of a known field converted. Columns without a converter pass through unchanged."""
    values, errors = {}, {}
    for name, cell in row.items():
        if cell is None or cell == "" or (type(cell) is str and cell.isspace()):
            continue
        convert = converters.get(name)
        if convert is None:
            values[name] = cell
            continue
        try:
            values[name] = convert(cell)
        except CellError as exc:
            errors[name] = str(exc)
    return values, errors

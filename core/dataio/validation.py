"""Validating import rows with a resource's serializer, at import speed.

`Serializer(data=row).is_valid()` costs about 0.5 ms for the 50-field client document (most of
it walking the fields the row does not have, and building the serializer), which alone would
take 8 minutes for a million rows. `RowValidator` runs the same checks without that overhead:

* one serializer instance per import, with its bound fields, `validate_<field>` methods,
  serializer-level validators and `validate()`, all called as DRF calls them;
* per row, only the fields the row has, plus those DRF acts on when absent (required ones,
  ones with a default): for the others DRF's `to_internal_value` only raises SkipField;
* a value that is plainly valid for a common field type takes a short path that applies the
  field's own validators without DRF's bookkeeping (a non-blank string without surrounding
  spaces for a text field, a finite number for a number field, ...). Anything else, and any
  value the short path doubts, goes through the field's `run_validation`, so every error is
  DRF's own. tests/test_dataio.py checks both paths agree;
* for other fields whose validation is a pure function of the value, the result is remembered
  per value while that pays (a column of a few dozen cities, not a column of unique codes).

References come resolved from the import's cache (references.py).
"""

import math
import re

from django.core import validators as django_validators
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField, empty, get_error_detail
from rest_framework.serializers import as_serializer_error
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from core.api import fields as api_fields

TEXT_FIELDS = (
    serializers.CharField,
    serializers.EmailField,
    api_fields.StrictCharField,
    api_fields.NullableTextField,
    api_fields.StrictEmailField,
)
FLOAT_FIELDS = (serializers.FloatField, api_fields.StrictFloatField)
INTEGER_FIELDS = (serializers.IntegerField, api_fields.StrictIntegerField)
BOOLEAN_FIELDS = (serializers.BooleanField, api_fields.StrictBooleanField)
CHOICE_FIELDS = (serializers.ChoiceField,)
MEMO_FIELDS = (
    *TEXT_FIELDS,
    *FLOAT_FIELDS,
    *INTEGER_FIELDS,
    *BOOLEAN_FIELDS,
    *CHOICE_FIELDS,
    api_fields.DateTimeMsField,
)
PURE_VALIDATORS = (
    django_validators.MaxLengthValidator,
    django_validators.MinLengthValidator,
    django_validators.MaxValueValidator,
    django_validators.MinValueValidator,
    django_validators.ProhibitNullCharactersValidator,
    django_validators.EmailValidator,
    django_validators.RegexValidator,
    django_validators.DecimalValidator,
    django_validators.StepValueValidator,
    ProhibitSurrogateCharactersValidator,
)
SURROGATE = re.compile("[\ud800-\udfff]")
# Addresses Django's EmailValidator certainly accepts (a strict subset of its dot-atom user part
# and hostname rules, ASCII only); anything else is left to the validator itself.
PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
MEMO_TYPES = (str, int, float, bool)
MEMO_SIZE = 4096
MEMO_TRIAL = 2000  # lookups after which a memo that hits less than it misses is dropped
INTEGER_LIMIT = 10**18  # DRF refuses integers written with more than 1000 characters
NO = object()  # "not plainly valid: ask DRF"


def _limit(validator):
    limit = validator.limit_value
    return None if callable(limit) else limit


def _validator_checks(field):
    """(max length, min length, min value, max value, text checks, other validators) of a
    field's validator list, the common Django ones as plain comparisons."""
    max_length = min_length = min_value = max_value = None
    nul = surrogate = email = False
    others = []
    for validator in field.validators:
        kind = type(validator)
        limit = _limit(validator) if hasattr(validator, "limit_value") else None
        if kind is django_validators.MaxLengthValidator and limit is not None:
            max_length = limit if max_length is None else min(max_length, limit)
        elif kind is django_validators.MinLengthValidator and limit is not None:
            min_length = limit if min_length is None else max(min_length, limit)
        elif kind is django_validators.MinValueValidator and isinstance(limit, (int, float)):
            min_value = limit if min_value is None else max(min_value, limit)
        elif kind is django_validators.MaxValueValidator and isinstance(limit, (int, float)):
            max_value = limit if max_value is None else min(max_value, limit)
        elif kind is django_validators.ProhibitNullCharactersValidator:
            nul = True
        elif kind is ProhibitSurrogateCharactersValidator:
            surrogate = True
        elif kind is django_validators.EmailValidator:
            email = True
        else:
            others.append(validator)
    return max_length, min_length, min_value, max_value, nul, surrogate, email, others


def _passes(others, value, field) -> bool:
    for validator in others:
        try:
            if getattr(validator, "requires_context", False):
                validator(value, field)
            else:
                validator(value)
        except (DjangoValidationError, ValidationError):
            return False
    return True


def _short_path(field):
    """A function value -> validated value, or NO when DRF must decide; None if the field
    has no short path."""
    kind = type(field)
    max_length, min_length, min_value, max_value, nul, surrogate, email, others = _validator_checks(field)
    if kind in TEXT_FIELDS:
        trim = field.trim_whitespace

        def text(value):
            if type(value) is not str or not value or (trim and value.strip() != value):
                return NO
            if max_length is not None and len(value) > max_length:
                return NO
            if min_length is not None and len(value) < min_length:
                return NO
            if nul and "\x00" in value:
                return NO
            if surrogate and not value.isascii() and SURROGATE.search(value):
                return NO
            if email and not PLAIN_EMAIL.fullmatch(value):
                return NO
            return value if not others or _passes(others, value, field) else NO

        return text
    if kind in FLOAT_FIELDS or kind in INTEGER_FIELDS:
        integer = kind in INTEGER_FIELDS

        def number(value):
            if integer:
                if type(value) is not int or not -INTEGER_LIMIT < value < INTEGER_LIMIT:
                    return NO
            elif (type(value) is not float and type(value) is not int) or not math.isfinite(value):
                return NO
            else:
                value = float(value)
            if (min_value is not None and value < min_value) or (max_value is not None and value > max_value):
                return NO
            return value if not others or _passes(others, value, field) else NO

        return number
    if kind in BOOLEAN_FIELDS and not field.validators:
        return lambda value: value if value is True or value is False else NO
    if kind in CHOICE_FIELDS:
        choices = field.choice_strings_to_values

        def choice(value):
            if type(value) is not str or not value or value not in choices:
                return NO
            result = choices[value]
            return result if not field.validators or _passes(field.validators, result, field) else NO

        return choice
    return None


def _is_pure(field) -> bool:
    return type(field) in MEMO_FIELDS and all(isinstance(v, PURE_VALIDATORS) for v in field.validators)


class _FieldCheck:
    """One field's validation as DRF runs it: run_validation, then validate_<name>."""

    __slots__ = ("field", "name", "source_attrs", "method", "short", "memo", "hits", "misses")

    def __init__(self, field, method):
        self.field = field
        self.name = field.field_name
        self.source_attrs = field.source_attrs
        self.method = method
        self.short = _short_path(field) if method is None else None
        self.memo = {} if method is None and self.short is None and _is_pure(field) else None
        self.hits = self.misses = 0

    def __call__(self, value):
        if self.short is not None:
            return self.field.run_validation(value)  # the short path already declined
        memo = self.memo
        if memo is not None and type(value) in MEMO_TYPES:
            key = (type(value), value)
            found = memo.get(key, NO)
            if found is not NO:
                self.hits += 1
                return found
            result = self.field.run_validation(value)
            self.misses += 1
            if len(memo) < MEMO_SIZE and (result is None or type(result) in MEMO_TYPES):
                memo[key] = result
            if self.misses + self.hits >= MEMO_TRIAL and self.hits < self.misses:
                self.memo = None  # values rarely repeat: remembering them costs more than it saves
            return result
        result = self.field.run_validation(value)
        if self.method is not None:
            result = self.method(result)
        return result


class RowValidator:
    """Validates create rows (dicts of public names) with one serializer instance."""

    def __init__(self, serializer):
        self.serializer = serializer
        self.checks = {}
        self.plan = {}  # name -> (short path or None, check, key in the validated data or None)
        self.always = []
        for name, field in serializer.fields.items():
            if field.read_only or isinstance(field, api_fields.NamespaceField):
                continue
            check = _FieldCheck(field, getattr(serializer, f"validate_{name}", None))
            self.checks[name] = check
            key = check.source_attrs[0] if len(check.source_attrs) == 1 else None
            self.plan[name] = (check.short, check, key)
            if field.required or field.default is not empty:
                self.always.append(check)
        self.has_validators = bool(serializer.validators)
        self.set_value = serializer.set_value

    def use_short_paths(self, paths: dict) -> None:
        """Give fields a short path from outside (resolved references: references.py)."""
        for name, short in paths.items():
            if name in self.plan and self.checks[name].method is None:
                _, check, key = self.plan[name]
                self.plan[name] = (short, check, key)

    @property
    def writable(self) -> set:
        return set(self.checks)

    def validate(self, row: dict) -> dict:
        """The validated data for `row`, or ValidationError with DRF's detail."""
        ret, errors = {}, None
        plan = self.plan
        for name, value in row.items():
            entry = plan.get(name)
            if entry is None:
                continue
            short, check, key = entry
            result = short(value) if short is not None else NO
            if result is NO:
                try:
                    result = check(value)
                except (ValidationError, DjangoValidationError, SkipField) as exc:
                    errors = self._error(errors, check, exc)
                    continue
            if key is not None:
                ret[key] = result
            else:
                self.set_value(ret, check.source_attrs, result)
        for check in self.always:
            if check.name not in row:
                try:
                    self.set_value(ret, check.source_attrs, check(empty))
                except (ValidationError, DjangoValidationError, SkipField) as exc:
                    errors = self._error(errors, check, exc)
        if errors:
            raise ValidationError(errors)
        serializer = self.serializer
        try:
            if self.has_validators:
                serializer.run_validators(ret)
            ret = serializer.validate(ret)
        except (ValidationError, DjangoValidationError) as exc:
            raise ValidationError(detail=as_serializer_error(exc))
        return ret

    @staticmethod
    def _error(errors, check, exc):
        if isinstance(exc, SkipField):
            return errors
        errors = errors if errors is not None else {}
        errors[check.name] = exc.detail if isinstance(exc, ValidationError) else get_error_detail(exc)
        return errors

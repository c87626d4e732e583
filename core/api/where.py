"""Hasura-style where-clauses and orderBy, compiled to Django (QUERY-DIALECTS.md §2).

The semantics are SQL's, as Hasura emits it: three-valued logic (a NULL column satisfies
neither `_eq` nor `_neq`, and `_not` keeps rows whose inner expression is UNKNOWN out),
relationship filters as EXISTS over the target (no joins, so no duplicate rows), strict
JSON types per field kind, `_like` patterns used verbatim.

Two Django traps shape the code (§2.6):
* `~Q(col=v)` adds `OR col IS NULL`-style guards; comparisons are therefore expression
  lookups inside Q (`Q(Exact(F(col), v))`), whose negation is a bare SQL NOT. Their values are
  not prepared by the field, so every operand is coerced to the field's Python type first.
* `~Q()` and `Q() | x` treat an empty Q as "no condition", not TRUE; `_and`/`_or`/`_not`
  go through `_all`/`_any`/`_negate`, which know that an empty Q means TRUE.

Only names in the resource's field registry are reachable; everything else is a QueryError
(400) naming the JSON path (`where._and[1].active._eq`). Compiling runs no query.
On SQLite: `_like` runs as GLOB (case-sensitive), `_ilike` folds ASCII only (non-ASCII is
best effort), `_regex` uses Python `re`, `_similar` is refused (decision 3).
"""

import datetime as dt
import decimal
import math
import re
import warnings

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    IRegex,
    IsNull,
    LessThan,
    LessThanOrEqual,
    Lookup,
    Regex,
)
from django.utils.dateparse import parse_date, parse_datetime

from core.ids import parse_uuid

from . import registry as r
from .cost import QueryCost
from .listing import QueryError

LIMITS = {"depth": 10, "nodes": 200, "list": 1000, "pattern": 256}

BOOLEAN_KEYS = ("_and", "_or", "_not")
ORDER_OPERATORS = {"_gt": GreaterThan, "_gte": GreaterThanOrEqual, "_lt": LessThan, "_lte": LessThanOrEqual}
# A negated boolean field (`active` stored as `disabled`) compares the other way round.
MIRRORED = {"_gt": "_lt", "_gte": "_lte", "_lt": "_gt", "_lte": "_gte"}
PATTERN_OPERATORS = {
    # operator: (lookup name, negated)
    "_like": ("like", False),
    "_nlike": ("like", True),
    "_ilike": ("ilike", False),
    "_nilike": ("ilike", True),
    "_similar": ("similar", False),
    "_nsimilar": ("similar", True),
    "_regex": ("regex", False),
    "_nregex": ("regex", True),
    "_iregex": ("iregex", False),
    "_niregex": ("iregex", True),
}
OPERATORS = {"_eq", "_neq", "_in", "_nin", "_is_null", *ORDER_OPERATORS, *PATTERN_OPERATORS}
DIRECTIONS = {
    "asc": ("asc", False),
    "asc_nulls_last": ("asc", False),
    "asc_nulls_first": ("asc", True),
    "desc": ("desc", True),
    "desc_nulls_first": ("desc", True),
    "desc_nulls_last": ("desc", False),
}
AGGREGATE_SUFFIX = "_aggregate"
FILTERABLE_KINDS = {*r.SCALAR_KINDS, r.REFS}
MAX_BIGINT = 2**63 - 1


# Pattern lookups ---------------------------------------------------------------------------
# Not registered on any field: they are only used as expression lookups built here.


class _PatternLookup(Lookup):
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        raise NotSupportedError(f"{self.lookup_name} is not supported on {connection.vendor}")

    def _sql(self, compiler, connection, operator, pattern):
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} {operator}", (*lhs_params, pattern)


class RawLike(_PatternLookup):
    """`LIKE` with the pattern verbatim, case-sensitive (PostgreSQL `LIKE`; SQLite `GLOB`,
    since SQLite's LIKE ignores ASCII case)."""

    lookup_name = "hasura_like"

    def as_postgresql(self, compiler, connection):
        return self._sql(compiler, connection, "LIKE %s", self.rhs)

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, "GLOB %s", like_to_glob(self.rhs))


class RawILike(_PatternLookup):
    lookup_name = "hasura_ilike"

    def as_postgresql(self, compiler, connection):
        return self._sql(compiler, connection, "ILIKE %s", self.rhs)

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, "LIKE %s ESCAPE '\\'", like_for_sqlite(self.rhs))


class Similar(_PatternLookup):
    lookup_name = "hasura_similar"

    def as_postgresql(self, compiler, connection):
        return self._sql(compiler, connection, "SIMILAR TO %s", self.rhs)


def _like_tokens(pattern):
    """(char, is_literal) pairs of a LIKE pattern: `\\x` is a literal x; `%`, `_` are wildcards."""
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            yield next(chars), True  # a trailing backslash is refused by validation
        else:
            yield char, False


def like_to_glob(pattern: str) -> str:
    out = []
    for char, literal in _like_tokens(pattern):
        if not literal and char == "%":
            out.append("*")
        elif not literal and char == "_":
            out.append("?")
        elif char in "*?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def like_for_sqlite(pattern: str) -> str:
    """The pattern for SQLite `LIKE ... ESCAPE '\\'`, which only knows `\\%`, `\\_`, `\\\\`."""
    out = []
    for char, literal in _like_tokens(pattern):
        out.append("\\" + char if literal and char in "%_\\" else char)
    return "".join(out)


def _similar_to_python(pattern: str) -> str:
    """An approximate Python regex for a SIMILAR TO pattern (validation only)."""
    out = []
    for char, literal in _like_tokens(pattern):
        if literal or char == ".":
            out.append(re.escape(char))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(char)
    return "".join(out)


# PostgreSQL's ARE escapes that Python's `re` lacks, mapped to equivalents for validation.
_ARE_ESCAPES = re.compile(r"\\([yYmM])")
_ARE_FOR_PYTHON = {"y": r"\b", "Y": r"\B", "m": r"\b", "M": r"\b"}


def _vendor() -> str:
    return connections[DEFAULT_DB_ALIAS].vendor


# The compiler ------------------------------------------------------------------------------


def compile_where(where, registry, *, path="where", cost: QueryCost | None = None) -> Q:
    """The Q of a where-clause (a Hasura BoolExp) over `registry`'s resource. Its pattern
    operators count in `cost` (the query's, when it mixes dialects), within the limits."""
    return _WhereCompiler(cost or QueryCost()).bool_exp(where, registry, path, 1)


def compile_order_by(order_by, registry, *, path="orderBy") -> list:
    """OrderBy expressions for an orderBy value, with the primary key appended last."""
    if isinstance(order_by, dict):
        if len(order_by) != 1:
            raise QueryError(path, "expected a list of single-key objects")
        order_by = [order_by]
    if not isinstance(order_by, list):
        raise QueryError(path, "expected a list of single-key objects")
    if len(order_by) > LIMITS["nodes"]:
        raise QueryError(path, f"more than {LIMITS['nodes']} sort keys")
    ordering, last = [], "asc"
    for i, item in enumerate(order_by):
        item_path = f"{path}[{i}]"
        expression, last = _order_item(item, registry, item_path, "", 1)
        ordering.append(expression)
    ordering.append(F("pk").desc() if last == "desc" else F("pk").asc())
    return ordering


def FALSE() -> Q:
    return Q(pk__in=[])


def _all(parts) -> Q:
    result = Q()
    for part in parts:
        if part:  # an empty Q is TRUE, the identity of AND
            result &= part
    return result


def _any(parts) -> Q:
    if not parts:
        return FALSE()
    if any(not part for part in parts):  # TRUE absorbs OR; Django would drop it instead
        return Q()
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def _negate(q) -> Q:
    return FALSE() if not q else ~q


class _NoMatch:
    """A uuid operand that is not a UUID: equal to no row."""


NO_MATCH = _NoMatch()


class _WhereCompiler:
    def __init__(self, cost: QueryCost):
        self.nodes = 0
        self.cost = cost

    def _count(self, path):
        self.nodes += 1
        if self.nodes > LIMITS["nodes"]:
            raise QueryError(path, f"more than {LIMITS['nodes']} conditions")

    # Boolean structure -----------------------------------------------------------------
    def bool_exp(self, value, registry, path, depth) -> Q:
        if depth > LIMITS["depth"]:
            raise QueryError(path, f"nested deeper than {LIMITS['depth']} levels")
        if value is None:
            raise QueryError(path, "must not be null")
        if not isinstance(value, dict):
            raise QueryError(path, "expected an object")
        if not value:
            self._count(path)
            return Q()
        parts = []
        for key, operand in value.items():
            key_path = f"{path}.{key}"
            if key in BOOLEAN_KEYS:
                parts.append(self.boolean(key, operand, registry, key_path, depth))
            else:
                parts.append(self.field(key, operand, registry, key_path, depth))
        return _all(parts)

    def boolean(self, key, operand, registry, path, depth) -> Q:
        if operand is None:
            raise QueryError(path, "must not be null")
        if key == "_not":
            return _negate(self.bool_exp(operand, registry, path, depth + 1))
        if not isinstance(operand, list):
            raise QueryError(path, "expected a list")
        if not operand:
            self._count(path)
        parts = [self.bool_exp(item, registry, f"{path}[{i}]", depth + 1) for i, item in enumerate(operand)]
        return _all(parts) if key == "_and" else _any(parts)

    def field(self, name, operand, registry, path, depth) -> Q:
        info = registry.get(name)
        if info is None:
            raise QueryError(path, f"unknown field '{name}'")
        if info.orm_path is None or not info.filterable or info.kind not in FILTERABLE_KINDS:
            raise QueryError(path, f"field '{name}' cannot be filtered on")
        if operand is None:
            raise QueryError(path, "must not be null")
        if not isinstance(operand, dict):
            raise QueryError(path, "expected an object of operators")
        if info.kind in (r.REF, r.REFS):
            operators = [key for key in operand if key in OPERATORS]
            if operators and len(operators) != len(operand):
                raise QueryError(path, "cannot mix comparison operators and relationship fields")
            if not operators:
                return self.relationship(info, operand, registry, path, depth)
            if info.kind == r.REFS:
                raise QueryError(f"{path}.{operators[0]}", "an array relationship takes a filter on its fields")
        if not operand:
            self._count(path)
            return Q()
        return _all([self.comparison(info, op, value, f"{path}.{op}") for op, value in operand.items()])

    # Relationships ---------------------------------------------------------------------
    def relationship(self, info, inner, registry, path, depth) -> Q:
        target = registry.related(info)
        if target is None:
            raise QueryError(path, f"cannot filter through '{info.name}'")
        self._count(path)
        inner_q = self.bool_exp(inner, target, path, depth + 1)
        model_field = info.model_field
        rows = target.model._base_manager.all()
        if info.kind == r.REF:
            links = {model_field.target_field.name: OuterRef(model_field.attname)}
            return Q(Exists(rows.filter(inner_q, **links)))
        if not model_field.remote_field.hidden:
            return Q(Exists(rows.filter(inner_q, **{model_field.related_query_name(): OuterRef("pk")})))
        through = model_field.remote_field.through._base_manager.filter(
            **{model_field.m2m_field_name(): OuterRef("pk")},
            **{f"{model_field.m2m_reverse_field_name()}__in": rows.filter(inner_q).values("pk")},
        )
        return Q(Exists(through))

    # Column comparisons ----------------------------------------------------------------
    def comparison(self, info, op, value, path) -> Q:
        if op not in OPERATORS:
            raise QueryError(path, f"unknown operator '{op}'")
        self._count(path)
        column = F(info.orm_path)
        negated = bool(info.extra.get("negate")) and info.kind == r.BOOLEAN
        if op == "_is_null":
            if not isinstance(value, bool):
                raise QueryError(path, "expected true or false")
            return Q(IsNull(column, value))
        if op in PATTERN_OPERATORS:
            return self.pattern(info, op, value, path, column)
        if op in ("_in", "_nin"):
            if not isinstance(value, list):
                raise QueryError(path, "expected a list")
            if len(value) > LIMITS["list"]:
                raise QueryError(path, f"more than {LIMITS['list']} values")
            typed = [coerce_operand(info, item, f"{path}[{i}]") for i, item in enumerate(value)]
            typed = list(dict.fromkeys(v for v in typed if v is not NO_MATCH))
            if negated:
                typed = [not v for v in typed]
            if op == "_in":
                return Q(In(column, typed)) if typed else FALSE()
            if typed:
                return ~Q(In(column, typed))
            # NOT IN (): every row, NULLs too; NOT IN (ids of nothing): every row with a value.
            return Q(IsNull(column, False)) if value else Q()
        typed = coerce_operand(info, value, path)
        if negated:
            typed = not typed
            op = MIRRORED.get(op, op)
        if typed is NO_MATCH:
            if op == "_eq":
                return FALSE()
            if op == "_neq":  # differs from every id: every row with a value
                return Q(IsNull(column, False))
            raise QueryError(path, "expected an id")
        if op == "_eq":
            return Q(Exact(column, typed))
        if op == "_neq":
            return ~Q(Exact(column, typed))
        return Q(ORDER_OPERATORS[op](column, typed))

    def pattern(self, info, op, value, path, column) -> Q:
        if info.kind != r.TEXT:
            raise QueryError(path, f"'{op}' applies to text fields only")
        text_operand(value, path)
        if len(value) > LIMITS["pattern"]:
            raise QueryError(path, f"pattern longer than {LIMITS['pattern']} characters")
        kind, negated = PATTERN_OPERATORS[op]
        problem = self.cost.add(regex=kind in ("regex", "iregex", "similar"))
        if problem:
            raise QueryError(path, problem)
        vendor = _vendor()
        if kind in ("like", "ilike", "similar") and (len(value) - len(value.rstrip("\\"))) % 2:
            raise QueryError(path, "pattern ends with an unfinished escape")
        if kind == "similar":
            if vendor != "postgresql":
                raise QueryError(path, f"'{op}' is not supported on this database")
            _check_regex(_similar_to_python(value), path)
            lookup = Similar(column, value)
        elif kind == "like":
            lookup = RawLike(column, value)
        elif kind == "ilike":
            lookup = RawILike(column, value)
        else:
            check = value
            if vendor == "postgresql":  # PostgreSQL runs it; approximate its dialect to validate
                check = _ARE_ESCAPES.sub(lambda m: _ARE_FOR_PYTHON[m.group(1)], value)
            elif kind == "iregex":
                check = "(?i)" + value  # exactly what Django's SQLite REGEXP function runs
            _check_regex(check, path)
            lookup = (Regex if kind == "regex" else IRegex)(column, value)
        return ~Q(lookup) if negated else Q(lookup)


def _check_regex(pattern, path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarning on POSIX classes like [[:alpha:]]
            re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise QueryError(path, f"invalid regular expression: {exc}") from None


# Operand types -----------------------------------------------------------------------------


def coerce_operand(info, value, path):
    """A JSON operand as the Python value of the field's type (strict: no cross-type reads)."""
    if value is None:
        raise QueryError(path, "must not be null")
    kind = info.kind
    if kind == r.BOOLEAN:
        if not isinstance(value, bool):
            raise QueryError(path, "expected true or false")
        return value
    if kind in (r.NUMBER, r.INTEGER):
        return _number(info, value, path)
    if kind == r.TEXT:
        if info.extra.get("ids") and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # an id field that other systems numbered (Aiwyn's staff ids)
        return text_operand(value, path)
    if kind in (r.UUID, r.REF):
        if not isinstance(value, str):
            raise QueryError(path, "expected an id string")
        pk = parse_uuid(value)
        return NO_MATCH if pk is None else pk
    if kind == r.DATETIME:
        return _datetime(value, path)
    if kind == r.DATE:
        return _date(value, path)
    raise QueryError(path, "this field cannot be compared")


def text_operand(value, path) -> str:
    """A string the database can take: no NUL character, no lone surrogate (JSON allows both)."""
    if not isinstance(value, str):
        raise QueryError(path, "expected a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError(path, "invalid character (lone surrogate)") from None
    if "\x00" in value:
        raise QueryError(path, "invalid character (NUL)")
    return value


def _number(info, value, path):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise QueryError(path, "expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise QueryError(path, "expected a finite number")
    if info.kind == r.INTEGER:
        if isinstance(value, float):
            if not value.is_integer():
                raise QueryError(path, "expected an integer")
            value = int(value)
        if not -MAX_BIGINT <= value <= MAX_BIGINT:  # SQLite cannot bind a larger int (a 500)
            raise QueryError(path, "number out of range")
        return value
    if isinstance(info.model_field, models.DecimalField):
        try:
            return decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise QueryError(path, "expected a number") from None
    try:
        return float(value)
    except OverflowError:
        raise QueryError(path, "number out of range") from None


def _datetime(value, path) -> dt.datetime:
    if not isinstance(value, str):
        raise QueryError(path, "expected an ISO 8601 date-time string")
    text = value.strip()
    try:
        parsed = parse_datetime(text)
        if parsed is None:
            day = parse_date(text)
            parsed = dt.datetime(day.year, day.month, day.day) if day else None
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise QueryError(path, "expected an ISO 8601 date-time string")
    if parsed.tzinfo is None:  # date-only and naive timestamps are UTC (decision 2)
        return parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)  # SQLite stores UTC; year 1 / 9999 offsets overflow here
    except OverflowError:
        raise QueryError(path, "date-time out of range") from None


def _date(value, path) -> dt.date:
    if not isinstance(value, str):
        raise QueryError(path, "expected an ISO 8601 date string")
    try:
        parsed = parse_date(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise QueryError(path, "expected an ISO 8601 date string (YYYY-MM-DD)")
    return parsed


# orderBy -----------------------------------------------------------------------------------


def _direction(raw, path):
    if not isinstance(raw, str) or raw not in DIRECTIONS:
        raise QueryError(path, f"expected one of {', '.join(DIRECTIONS)}")
    return DIRECTIONS[raw]


def _order_item(item, registry, path, prefix, depth):
    """(OrderBy, direction) of one `{field: direction}` or `{relationship: {...}}` object."""
    if depth > LIMITS["depth"]:
        raise QueryError(path, f"nested deeper than {LIMITS['depth']} levels")
    if not isinstance(item, dict) or len(item) != 1:
        raise QueryError(path, "expected an object with one key")
    ((name, value),) = item.items()
    key_path = f"{path}.{name}"
    info = registry.get(name)
    if info is None and name.endswith(AGGREGATE_SUFFIX):
        info = registry.get(name[: -len(AGGREGATE_SUFFIX)])
        if info is not None and info.kind == r.REFS:
            return _order_by_count(info, value, key_path, prefix)
        info = None
    if info is None:
        raise QueryError(key_path, f"unknown field '{name}'")
    if info.kind == r.REFS:
        raise QueryError(key_path, f"cannot sort by the array relationship '{name}'; use {name}{AGGREGATE_SUFFIX}")
    if isinstance(value, dict):
        if info.kind != r.REF:
            raise QueryError(key_path, "expected a direction")
        target = registry.related(info)
        if target is None:
            raise QueryError(key_path, f"cannot sort through '{name}'")
        return _order_item(value, target, key_path, f"{prefix}{info.orm_path}__", depth + 1)
    if info.orm_path is None or not info.sortable or info.kind not in r.SCALAR_KINDS:
        raise QueryError(key_path, f"field '{name}' cannot be sorted on")
    direction, nulls_first = _direction(value, key_path)
    column = F(prefix + (info.model_field.attname if info.kind == r.REF else info.orm_path))
    sql_direction = direction
    if info.kind == r.BOOLEAN and info.extra.get("negate"):
        sql_direction = "asc" if direction == "desc" else "desc"
    if sql_direction == "asc":
        expression = column.asc(nulls_first=True) if nulls_first else column.asc(nulls_last=True)
    else:
        expression = column.desc(nulls_first=True) if nulls_first else column.desc(nulls_last=True)
    return expression, direction


def _order_by_count(info, value, path, prefix):
    """`{<refs>_aggregate: {count: dir}}`: by the number of linked rows (a correlated count)."""
    if prefix:
        raise QueryError(path, "aggregates are only supported on the resource's own relationships")
    if not isinstance(value, dict) or set(value) != {"count"}:
        raise QueryError(path, 'expected {"count": <direction>}')
    direction, _nulls_first = _direction(value["count"], f"{path}.count")  # a count is never NULL
    model_field = info.model_field
    source = model_field.m2m_field_name()
    counts = (
        model_field.remote_field.through._base_manager.filter(**{source: OuterRef("pk")})
        .order_by()
        .values(source)
        .annotate(n=Count("*"))
        .values("n")
    )
    expression = Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    return (expression.asc() if direction == "asc" else expression.desc()), direction

"""Translation of the `$filter` syntax tree to Django `Q` with OData's null semantics (§3.2)."""

import datetime as dt
import decimal
import math
import operator
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models import lookups as dj_lookups
from django.db.models.functions import Lower, Upper

from core.ids import parse_uuid

from .. import registry as r
from ..cost import QueryCost
from .errors import CANONICAL_FUNCTIONS, ODataError, _too_complex, _unsupported
from .syntax import _Node

# Compilation -----------------------------------------------------------------------------


class _SQLiteCaseSensitive:
    """SQLite's LIKE ignores ASCII case; OData's string functions do not."""

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        sql, extra = self.sqlite_sql(lhs, self.rhs)
        return sql, (*params, *extra)


class _Contains(_SQLiteCaseSensitive, dj_lookups.Contains):
    @staticmethod
    def sqlite_sql(lhs, value):
        return f"instr({lhs}, %s) > 0", (value,)


class _StartsWith(_SQLiteCaseSensitive, dj_lookups.StartsWith):
    @staticmethod
    def sqlite_sql(lhs, value):
        return f"substr({lhs}, 1, %s) = %s", (len(value), value)


class _EndsWith(_SQLiteCaseSensitive, dj_lookups.EndsWith):
    @staticmethod
    def sqlite_sql(lhs, value):
        return f"substr({lhs}, %s) = %s", (-len(value), value)


_STRING_PREDICATES = {
    "contains": (_Contains, operator.contains),
    "startswith": (_StartsWith, str.startswith),
    "endswith": (_EndsWith, str.endswith),
}
_CASE_MAPS = {"tolower": (Lower, str.lower), "toupper": (Upper, str.upper)}
_LOOKUPS = {
    "eq": dj_lookups.Exact,
    "gt": dj_lookups.GreaterThan,
    "ge": dj_lookups.GreaterThanOrEqual,
    "lt": dj_lookups.LessThan,
    "le": dj_lookups.LessThanOrEqual,
}
_KEYWORD_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
_MIRRORED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
_PY_OPERATORS = {name: getattr(operator, name) for name in ("eq", "ne", "gt", "ge", "lt", "le")}
_LITERAL_FAMILY = {"int": "number", "decimal": "number", "string": "text", "bool": "bool", "datetime": "datetime"}
_COMPARABLE_KINDS = [{r.TEXT}, {r.INTEGER, r.NUMBER}, {r.DATETIME}, {r.DATE}, {r.BOOLEAN}, {r.UUID, r.REF}]
_EXPECTED = {
    r.TEXT: "a quoted string",
    r.INTEGER: "an integer",
    r.NUMBER: "a number",
    r.BOOLEAN: "true or false",
    r.DATETIME: "a date-time such as 2020-01-01T00:00:00Z",
    r.DATE: "a date such as 2020-01-01",
    r.UUID: "an id",
    r.REF: "an id",
}


def _true() -> Q:
    return ~Q(pk__in=[])  # not Q(): an empty Q vanishes when combined with `|` or negated


def _false() -> Q:
    return Q(pk__in=[])


@dataclass
class _Lit:
    type: str
    value: Any


@dataclass
class _Column:
    """A property (or tolower/toupper of one): its ORM path and what a comparison needs."""

    name: str  # public path, for messages
    kind: str
    path: str
    nullable: bool
    model_field: Any = None
    negate: bool = False  # a boolean shown inverted (`active` over a `disabled` column)
    expression: Any = None  # None: the bare column, so keyword lookups apply

    def expr(self):
        return self.expression if self.expression is not None else F(self.path)

    def guard(self) -> Q | None:
        return Q(**{f"{self.path}__isnull": False}) if self.nullable else None


@dataclass
class _Scope:
    registry: r.ResourceFields
    variable: str | None = None  # inside a lambda: paths start with it
    outer: tuple = ()  # enclosing lambdas' variables


def _guarded(condition, *columns) -> Q:
    q = Q(condition)
    for column in columns:
        guard = column.guard()
        if guard is not None:
            q &= guard
    return q


def _in_range(column: _Column, value: int) -> bool:
    try:
        low, high = connection.ops.integer_field_range(column.model_field.get_internal_type())
    except (AttributeError, KeyError):
        low, high = -(2**63), 2**63 - 1
    return (low is None or value >= low) and (high is None or value <= high)


def _nullable(info: r.FieldInfo) -> bool:
    return info.model_field.null if info.model_field is not None else True


class _Compiler:
    def __init__(self, target="$filter", cost: QueryCost | None = None):
        self.target = target
        self.cost = cost or QueryCost()

    def error(self, message) -> ODataError:
        return ODataError(message, target=self.target)

    # Properties ------------------------------------------------------------------------
    def property_info(self, registry, name, display, for_sort) -> r.FieldInfo:
        info = registry.get(name)
        if info is None:
            raise self.error(f"unknown property '{display}'")
        usable = info.sortable and info.kind in r.SCALAR_KINDS if for_sort else info.filterable
        if info.orm_path is None or info.kind in (r.JSON, r.OTHER) or not usable:
            raise self.error(f"property '{display}' cannot be used in {self.target}")
        return info

    def resolve(self, segments, scope: _Scope, for_sort=False) -> _Column:
        display = "/".join(segments)
        segments = list(segments)
        if scope.variable is not None:
            if segments[0] != scope.variable:
                where = "an enclosing lambda's variable" if segments[0] in scope.outer else "the outer resource"
                raise _unsupported(f"'{display}' refers to {where}; start paths with '{scope.variable}/'")
            segments = segments[1:]
            if not segments:  # the child itself: its id
                return _Column(display, r.UUID, "pk", False)
        if segments[0].startswith("$"):
            raise _unsupported(f"'{segments[0]}' is not supported", self.target)
        info = self.property_info(scope.registry, segments[0], display, for_sort)
        if len(segments) == 1:
            path = info.model_field.attname if for_sort and info.kind == r.REF else info.orm_path
            negate = bool(info.extra.get("negate"))
            return _Column(display, info.kind, path, _nullable(info), info.model_field, negate)
        if info.kind == r.REFS:
            raise self.error(f"'{segments[0]}' is a collection; use {segments[0]}/any(...) or all(...)")
        if info.kind != r.REF:
            raise self.error(f"'{segments[0]}' is not a navigation property")
        if len(segments) > 2:
            raise _unsupported(f"'{display}': only one level of navigation is supported", self.target)
        related = scope.registry.related(info)
        if related is None:
            raise self.error(f"'{segments[0]}' cannot be navigated")
        sub = self.property_info(related, segments[1], display, for_sort)
        if sub.kind in (r.REF, r.REFS):
            raise _unsupported(f"'{display}': only one level of navigation is supported", self.target)
        path = f"{info.orm_path}__{sub.orm_path}"
        negate = bool(sub.extra.get("negate"))
        return _Column(display, sub.kind, path, _nullable(info) or _nullable(sub), sub.model_field, negate)

    # Expressions -----------------------------------------------------------------------
    def operand(self, node: _Node, scope: _Scope):
        if node.kind == "lit":
            return _Lit(node.op, node.value)
        if node.kind == "path":
            return self.resolve(node.value, scope)
        if node.kind == "call":
            return self.call(node, scope)
        if node.kind in ("neg", "arith"):
            raise _unsupported("arithmetic operators are not supported")
        return self.predicate(node, scope)

    def predicate(self, node: _Node, scope: _Scope, negated=False) -> Q:
        kind = node.kind
        if kind in ("and", "or"):
            return Q(*(self.predicate(arg, scope) for arg in node.args), _connector=Q.AND if kind == "and" else Q.OR)
        if kind == "not":
            return ~self.predicate(node.args[0], scope, negated=True)
        if kind == "cmp":
            return self.comparison(node, scope)
        if kind == "in":
            return self.membership(node, scope)
        if kind == "lambda":
            return self.lambda_(node, scope)
        value = self.operand(node, scope)
        if isinstance(value, Q):
            return value
        if isinstance(value, _Column) and value.kind == r.BOOLEAN:
            return self.column_vs_literal(value, "eq", _Lit("bool", True))
        if isinstance(value, _Lit) and value.type in ("bool", "null"):
            return _true() if value.value is True else _false()
        hint = "; 'not' binds tighter than 'eq': write not (name eq 'x')" if negated else ""
        raise self.error(f"expected a boolean expression{hint}")

    def scalar(self, column: _Column) -> _Column:
        if column.kind == r.REFS:
            raise self.error(f"'{column.name}' is a collection; use {column.name}/any(...) or all(...)")
        return column

    def coerce(self, column: _Column, lit: _Lit):
        kind, kind_of_literal, value = self.scalar(column).kind, lit.type, lit.value
        if kind == r.TEXT and kind_of_literal == "string":
            return value
        if kind == r.BOOLEAN and kind_of_literal == "bool":
            return value
        if kind in (r.INTEGER, r.NUMBER) and kind_of_literal in ("int", "decimal"):
            if kind == r.INTEGER:
                if value != int(value):
                    raise self.error(f"'{column.name}' expects an integer")
                return int(value)
            if isinstance(column.model_field, models.FloatField):
                number = float(value)
                if not math.isfinite(number):
                    raise self.error(f"number out of range for '{column.name}'")
                return number
            return decimal.Decimal(value)
        if kind == r.DATETIME and kind_of_literal == "datetime":
            return value
        if kind == r.DATETIME and kind_of_literal == "date":  # a date reads as its UTC midnight
            return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
        if kind == r.DATE and kind_of_literal == "date":
            return value
        if kind in (r.UUID, r.REF) and kind_of_literal in ("guid", "string"):
            pk = parse_uuid(value)
            if pk is None:
                raise self.error(f"'{column.name}' expects an id; '{value}' is not one")
            return pk
        expected = _EXPECTED.get(kind)
        if expected is None:
            raise self.error(f"'{column.name}' cannot be compared")
        raise self.error(f"type mismatch: '{column.name}' expects {expected}")

    def comparison(self, node: _Node, scope: _Scope) -> Q:
        op = node.op
        left, right = (self.operand(arg, scope) for arg in node.args)
        if isinstance(left, _Lit) and not isinstance(right, _Lit):
            left, right, op = right, left, _MIRRORED[op]
        if op not in ("eq", "ne") and any(isinstance(s, _Lit) and s.type == "null" for s in (left, right)):
            raise self.error(f"'{op}' cannot compare with null (use eq null or ne null)")
        if isinstance(left, _Lit):
            return _true() if self.fold(left, op, right) else _false()
        if isinstance(left, Q) or isinstance(right, Q):
            return self.boolean_comparison(left, op, right)
        if isinstance(right, _Lit):
            return self.column_vs_literal(left, op, right)
        return self.column_vs_column(left, op, right)

    def fold(self, left: _Lit, op, right: _Lit) -> bool:
        if "null" in (left.type, right.type):
            return _PY_OPERATORS[op](left.type, right.type)  # null eq null; x ne null
        family = _LITERAL_FAMILY.get(left.type, left.type)
        if family != _LITERAL_FAMILY.get(right.type, right.type):
            raise self.error(f"type mismatch: cannot compare {left.type} with {right.type}")
        return _PY_OPERATORS[op](left.value, right.value)

    def boolean_comparison(self, left, op, right) -> Q:
        if op not in ("eq", "ne"):
            raise self.error(f"'{op}' does not apply to boolean expressions")
        sides = []
        for side in (left, right):
            if isinstance(side, _Column):
                if side.kind != r.BOOLEAN:
                    raise self.error(f"type mismatch: '{side.name}' is not a boolean")
                side = self.column_vs_literal(side, "eq", _Lit("bool", True))
            sides.append(side)
        left, right = sides
        if isinstance(right, _Lit):
            if right.type == "null":  # a predicate is never null
                return _false() if op == "eq" else _true()
            if right.type != "bool":
                raise self.error("type mismatch: a boolean expression compares with true or false")
            return left if right.value == (op == "eq") else ~left
        equal = (left & right) | (~left & ~right)
        return equal if op == "eq" else ~equal

    def column_vs_literal(self, column: _Column, op, lit: _Lit) -> Q:
        self.scalar(column)
        if lit.type == "null":
            return Q(**{f"{column.path}__isnull": op == "eq"})
        value = self.coerce(column, lit)
        if column.negate:
            value, op = not value, _MIRRORED[op]
        if column.kind == r.INTEGER and op in _KEYWORD_LOOKUPS and not _in_range(column, value):
            # Django turns `c < <beyond the column's range>` into "every row", NULLs included
            if (op in ("lt", "le")) == (value > 0):
                return column.guard() or _true()
            return _false()
        if column.expression is None:
            if op in ("eq", "ne"):
                return Q(**{column.path: value}) if op == "eq" else ~Q(**{column.path: value})
            return Q(**{f"{column.path}__{_KEYWORD_LOOKUPS[op]}": value})
        positive = _guarded(_LOOKUPS["eq" if op == "ne" else op](column.expression, value), column)
        return ~positive if op == "ne" else positive

    def column_vs_column(self, left: _Column, op, right: _Column) -> Q:
        self.scalar(left), self.scalar(right)
        if not any(left.kind in group and right.kind in group for group in _COMPARABLE_KINDS):
            raise self.error(f"type mismatch: cannot compare '{left.name}' with '{right.name}'")
        if left.negate or right.negate:
            raise _unsupported(f"comparing '{left.name}' with another property is not supported")
        positive = _guarded(_LOOKUPS["eq" if op == "ne" else op](left.expr(), right.expr()), left, right)
        if op in ("eq", "ne") and left.nullable and right.nullable:  # null eq null is true
            positive |= Q(**{f"{left.path}__isnull": True}) & Q(**{f"{right.path}__isnull": True})
        return ~positive if op == "ne" else positive

    def membership(self, node: _Node, scope: _Scope) -> Q:
        subject = self.operand(node.args[0], scope)
        items = [_Lit(item.op, item.value) for item in node.value]
        if isinstance(subject, _Lit):
            return _true() if any(self.fold(subject, "eq", item) for item in items) else _false()
        if isinstance(subject, Q):
            raise self.error("'in' applies to a property")
        self.scalar(subject)
        values = [self.coerce(subject, item) for item in items if item.type != "null"]
        if subject.kind == r.INTEGER:  # beyond the column's range: matches nothing (and SQLite would overflow)
            values = [value for value in values if _in_range(subject, value)]
        if subject.negate:
            values = [not value for value in values]
        if not values:
            q = _false()
        elif subject.expression is None:
            q = Q(**{f"{subject.path}__in": values})
        else:
            q = _guarded(dj_lookups.In(subject.expression, values), subject)
        if any(item.type == "null" for item in items):
            q |= Q(**{f"{subject.path}__isnull": True})
        return q

    def call(self, node: _Node, scope: _Scope):
        name = node.op
        if name in _STRING_PREDICATES:
            lookup, python = _STRING_PREDICATES[name]
            subject, pattern = self.arguments(node, scope, 2)
            if isinstance(pattern, _Column):
                raise _unsupported(f"{name}(): the second argument must be a string literal")
            if not isinstance(pattern, _Lit) or pattern.type != "string":
                raise self.error(f"type mismatch: {name}() takes a string as its second argument")
            if isinstance(subject, _Lit) and subject.type == "string":
                return _true() if python(subject.value, pattern.value) else _false()
            if not isinstance(subject, _Column) or subject.kind != r.TEXT:
                raise self.error(f"type mismatch: {name}() applies to a text property")
            if pattern.value == "":
                return subject.guard() or _true()
            problem = self.cost.add()
            if problem:
                raise _too_complex(problem, self.target)
            return _guarded(lookup(subject.expr(), pattern.value), subject)
        if name in _CASE_MAPS:
            function, python = _CASE_MAPS[name]
            (subject,) = self.arguments(node, scope, 1)
            if isinstance(subject, _Lit) and subject.type == "string":
                return _Lit("string", python(subject.value))
            if not isinstance(subject, _Column) or subject.kind != r.TEXT:
                raise self.error(f"type mismatch: {name}() applies to text")
            return replace(subject, name=f"{name}({subject.name})", expression=function(subject.expr()))
        if name.lower() in CANONICAL_FUNCTIONS:
            raise _unsupported(f"function '{node.value}' is not supported")
        raise self.error(f"unknown function '{node.value}'")

    def arguments(self, node: _Node, scope: _Scope, count: int) -> list:
        if len(node.args) != count:
            raise self.error(f"{node.value}() takes {count} argument{'s' if count > 1 else ''}")
        return [self.operand(arg, scope) for arg in node.args]

    def lambda_(self, node: _Node, scope: _Scope) -> Q:
        segments, variable = node.value
        display = "/".join(segments)
        if scope.variable is not None:
            if segments[0] != scope.variable:
                raise _unsupported(f"'{display}': start paths inside a lambda with '{scope.variable}/'")
            segments = segments[1:]
        if len(segments) != 1:
            raise self.error(f"'{display}' is not a collection property")
        info = self.property_info(scope.registry, segments[0], display, for_sort=False)
        model_field = info.model_field
        if info.kind != r.REFS or not isinstance(model_field, models.ManyToManyField):
            raise self.error(f"'{display}' is not a collection; any/all apply to collections")
        target = scope.registry.related(info)
        if target is None or model_field.remote_field.hidden:
            raise self.error(f"'{display}' cannot be filtered through")
        children = info.related_model._base_manager.filter(**{model_field.related_query_name(): OuterRef("pk")})
        if not node.args:
            if node.op == "all":
                raise self.error("all() needs a condition, as in all(c: c/email ne null)")
            return Q(Exists(children))
        outer = (*scope.outer, scope.variable) if scope.variable else scope.outer
        body = self.predicate(node.args[0], _Scope(target, variable, outer))
        if node.op == "any":
            return Q(Exists(children.filter(body)))
        return ~Q(Exists(children.filter(~body)))  # vacuously true without children

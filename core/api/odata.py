"""OData v4 system query options (`$filter`, `$orderby`, `$select`, `$top`, `$skip`, `$count`),
compiled to Django through a resource's field registry (QUERY-DIALECTS.md §3).

Our own tokenizer and precedence-climbing parser, not the odata-query package (§3.4: it drops
NULL rows on `ne`/`not`, gets `all()` wrong on Django 5, has no allow-list and no types).
Meaning, where it differs from SQL or from the Hasura dialect:

* Comparisons are two-valued (ODATA-166): `c ne v` and `not (c gt 5)` keep rows where `c` is
  NULL; `eq null`/`ne null` are IS NULL / IS NOT NULL; a relational operator against the `null`
  literal is a 400. Django's keyword lookups already negate that way; expression lookups
  (`tolower(c)`, property against property, string functions) carry an explicit
  `c IS NOT NULL` so that their negation does too. A string function of a NULL column counts as
  false, so `not contains(c,'x')` keeps NULL rows.
* contains/startswith/endswith are case-sensitive on both databases (`instr`/`substr` on
  SQLite, whose LIKE ignores ASCII case). tolower/toupper of non-ASCII text are ASCII-only on
  SQLite (PostgreSQL is the reference engine).
* `coll/any(x: p)` is EXISTS(child AND p); `coll/all(x: p)` is NOT EXISTS(child AND NOT p),
  true for a row without children. `coll/any()` means "has children".
* Navigation is one level over a reference (`channel/name`), checked against the target
  resource's own public fields; a NULL reference makes the value NULL (`ne` keeps the row).
* Literals are typed strictly against the property; datetimes without an offset and dates
  read as UTC. Valid OData we do not implement (arithmetic, other functions, `$expand`, ...)
  is 501; everything else wrong is 400 naming the option.
"""

import datetime as dt
import decimal
import math
import operator
import re
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection, models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models import lookups as dj_lookups
from django.db.models.functions import Lower, Upper
from django.utils.dateparse import parse_datetime

from core.ids import parse_uuid

from . import registry as r

MAX_FILTER_LENGTH = 2000
MAX_DEPTH = 20
MAX_NODES = 200
MAX_IN_ITEMS = 1000
MAX_SKIP = 2**31 - 1


class ODataError(Exception):
    """A wrong or unsupported OData query: its status and the OData JSON error body."""

    def __init__(self, message, *, target="$filter", code="invalid_query", status=400):
        super().__init__(message)
        self.message, self.target, self.code, self.status = message, target, code, status
        self.details: list[dict] = []

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "target": self.target, "details": self.details}}


def _unsupported(message, target="$filter") -> ODataError:
    return ODataError(message, target=target, code="not_implemented", status=501)


def _too_complex(message, target="$filter") -> ODataError:
    return ODataError(message, target=target, code="query_too_complex")


@dataclass
class ODataQuery:
    filter: Q | None = None
    ordering: list = field(default_factory=list)  # empty: the resource's default order applies
    select: list[str] | None = None  # None: every field
    top: int | None = None
    skip: int = 0
    count: bool = False


# Tokens ----------------------------------------------------------------------------------

_BINARY_LEVELS = [("or",), ("and",), ("eq", "ne", "has"), ("gt", "ge", "lt", "le"), ("add", "sub")]
_MULTIPLICATIVE = ("mul", "div", "divby", "mod")
_RESERVED = {w for level in _BINARY_LEVELS for w in level} | set(_MULTIPLICATIVE) | {"not", "in"}

_LEXER = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<guid>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})"
    r"|(?P<datetime>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?)"
    r"|(?P<date>\d{4}-\d{2}-\d{2})"
    r"|(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?)"
    r"|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<name>\$?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
    r"|(?P<punct>[(),/:-])",
    re.ASCII,
)
_WORD_CHAR = re.compile(r"[\w.']")
_PLUS_AS_SPACE = re.compile(r"\s+\d{2}:\d{2}")
_EXPONENT_AS_SPACE = re.compile(r"[eE]\s+\d")
_PLUS_HINT = "an unencoded '+' arrives as a space; send it as %2B"
_V2_LITERALS = {"datetime", "datetimeoffset", "guid"}


@dataclass
class _Token:
    kind: str  # string guid datetime date time int decimal name punct end
    text: str
    pos: int
    value: Any = None
    word: str | None = None  # a name in lower case: keywords are case-insensitive


def _tokenize(text: str, target: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _LEXER.match(text, pos)
        if match is None:
            hint = "; strings use single quotes" if text[pos] == '"' else ""
            hint = " (unterminated string)" if text[pos] == "'" else hint
            raise ODataError(f"syntax error at character {pos + 1}: unexpected '{text[pos]}'{hint}", target=target)
        kind, raw, end = match.lastgroup, match.group(), match.end()
        if kind != "ws":
            if kind == "name" and raw.lower() not in _RESERVED and end < len(text) and text[end] == "'":
                word = raw.lower()
                if word in _V2_LITERALS:
                    raise ODataError(
                        f"{raw}'...' literals are OData v2 syntax; write the value unquoted, e.g. "
                        "2020-01-01T00:00:00Z or 01234567-89ab-cdef-0123-456789abcdef",
                        target=target,
                    )
                raise _unsupported(f"typed literals ({raw}'...') are not supported", target)
            if kind not in ("name", "punct", "string") and end < len(text) and _WORD_CHAR.match(text[end]):
                hint = f" ({_PLUS_HINT})" if kind == "number" and _EXPONENT_AS_SPACE.match(text, end) else ""
                raise ODataError(f"syntax error at character {pos + 1}: invalid literal '{raw}'{hint}", target=target)
            tokens.append(_literal(kind, raw, pos, match, text, target))
        pos = end
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _literal(kind, raw, pos, match, text, target) -> _Token:
    def bad(what):
        return ODataError(f"invalid {what} '{raw}' at character {pos + 1}", target=target)

    if kind == "string":
        return _Token(kind, raw, pos, raw[1:-1].replace("''", "'"))
    if kind == "guid":
        return _Token(kind, raw, pos, parse_uuid(raw))
    if kind == "datetime":
        if not match.group("offset") and _PLUS_AS_SPACE.match(text, match.end()):
            raise ODataError(f"invalid date-time offset after '{raw}': {_PLUS_HINT}", target=target)
        try:
            value = parse_datetime(raw.upper())
            if value is None:
                raise ValueError
            value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            raise bad("date-time") from None
        return _Token(kind, raw, pos, value)
    if kind == "date":
        try:
            return _Token(kind, raw, pos, dt.date.fromisoformat(raw))
        except ValueError:
            raise bad("date") from None
    if kind == "time":
        return _Token(kind, raw, pos, raw)
    if kind == "number":
        if "." not in raw and "e" not in raw.lower():
            return _Token("int", raw, pos, int(raw))
        value = decimal.Decimal(raw)
        if abs(value.adjusted()) > 400:
            raise bad("number")
        return _Token("decimal", raw, pos, value)
    return _Token(kind, raw, pos, word=raw.lower() if kind == "name" else None)


# Syntax tree -----------------------------------------------------------------------------

_LITERAL_TOKENS = {"string", "guid", "datetime", "date", "time", "int", "decimal"}


@dataclass
class _Node:
    kind: str  # lit path call lambda not neg cmp arith in and or
    pos: int
    op: str | None = None  # operator, function name, lambda kind, or literal type
    value: Any = None  # literal value, path segments, (segments, variable), in-list items
    args: list = field(default_factory=list)


class _Parser:
    """Recursive descent with an explicit nesting limit, so no input reaches RecursionError."""

    def __init__(self, text: str, target: str):
        self.target = target
        self.tokens = _tokenize(text, target)
        self.i = self.depth = self.nodes = 0

    # Token helpers
    def peek(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)
        return token

    def is_punct(self, char) -> bool:
        token = self.peek()
        return token.kind == "punct" and token.text == char

    def keyword(self, words) -> str | None:
        word = self.tokens[self.i].word
        return word if word in words else None

    def error(self, message, token=None) -> ODataError:
        token = token or self.peek()
        where = "at the end" if token.kind == "end" else f"at character {token.pos + 1} ('{token.text}')"
        return ODataError(f"syntax error {where}: {message}", target=self.target)

    def expect(self, char):
        if not self.is_punct(char):
            raise self.error(f"expected '{char}'")
        self.advance()

    def node(self, kind, pos, **kwargs) -> _Node:
        self.count()
        return _Node(kind, pos, **kwargs)

    def count(self):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _too_complex(f"{self.target} is too complex (more than {MAX_NODES} terms)", self.target)

    @contextmanager
    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _too_complex(f"{self.target} is nested too deeply (more than {MAX_DEPTH} levels)", self.target)
        yield
        self.depth -= 1

    # Grammar
    def parse(self) -> _Node:
        node = self.expression()
        if self.peek().kind != "end":
            raise self.error("unexpected token")
        return node

    def expression(self, level=0) -> _Node:
        if level == len(_BINARY_LEVELS):
            return self.multiplicative()
        left = self.expression(level + 1)
        words = _BINARY_LEVELS[level]
        if words in (("or",), ("and",)):
            items = [left]
            while self.keyword(words):
                token = self.advance()
                items.append(self.expression(level + 1))
            if len(items) == 1:
                return left
            flat = [arg for item in items for arg in (item.args if item.kind == words[0] else [item])]
            return self.node(words[0], token.pos, args=flat)
        while op := self.keyword(words):
            token = self.advance()
            if op == "has":
                raise _unsupported("the 'has' operator is not supported", self.target)
            right = self.expression(level + 1)
            left = self.node("cmp" if level in (2, 3) else "arith", token.pos, op=op, args=[left, right])
        return left

    def multiplicative(self) -> _Node:
        left = self.unary()
        while op := self.keyword(_MULTIPLICATIVE):
            token = self.advance()
            left = self.node("arith", token.pos, op=op, args=[left, self.unary()])
        return left

    def unary(self) -> _Node:
        token = self.peek()
        if self.keyword({"not"}):  # `not(` without a space is accepted (decision 4)
            self.advance()
            with self.nested():
                return self.node("not", token.pos, args=[self.unary()])
        if self.is_punct("-"):
            self.advance()
            with self.nested():
                operand = self.unary()
            if operand.kind == "lit" and operand.op in ("int", "decimal"):
                operand.value = -operand.value
                return operand
            if operand.kind == "lit":
                raise self.error("'-' applies to numbers only", token)
            return self.node("neg", token.pos, args=[operand])
        return self.postfix()

    def postfix(self) -> _Node:
        node = self.primary()
        if self.keyword({"in"}):
            token = self.advance()
            node = self.node("in", token.pos, args=[node], value=self.literal_list())
        return node

    def literal(self, token) -> _Node | None:
        if token.kind in _LITERAL_TOKENS:
            return _Node("lit", token.pos, op=token.kind, value=token.value)
        word = token.text.lower() if token.kind == "name" else None
        if word in ("true", "false"):
            return _Node("lit", token.pos, op="bool", value=word == "true")
        if word == "null":
            return _Node("lit", token.pos, op="null", value=None)
        return None

    def primary(self) -> _Node:
        token = self.advance()
        if token.kind == "punct" and token.text == "(":
            with self.nested():
                node = self.expression()
            self.expect(")")
            return node
        literal = self.literal(token)
        if literal is not None:
            self.count()
            return literal
        if token.kind != "name" or token.text.lower() in _RESERVED:
            raise self.error("expected a property, a literal or a function", token)
        if self.is_punct("("):
            return self.call(token)
        return self.path(token)

    def call(self, name) -> _Node:
        self.expect("(")
        args = []
        with self.nested():
            if not self.is_punct(")"):
                args.append(self.expression())
                while self.is_punct(","):
                    self.advance()
                    args.append(self.expression())
        self.expect(")")
        return self.node("call", name.pos, op=name.text.lower(), value=name.text, args=args)

    def path(self, first) -> _Node:
        segments = [first.text]
        while self.is_punct("/"):
            self.advance()
            token = self.advance()
            if token.kind != "name" or token.text.lower() in _RESERVED:
                raise self.error("expected a property name after '/'", token)
            if token.text.lower() in ("any", "all") and self.is_punct("("):
                return self.lambda_(first.pos, segments, token.text.lower())
            segments.append(token.text)
        return self.node("path", first.pos, value=segments)

    def lambda_(self, pos, segments, kind) -> _Node:
        self.expect("(")
        variable, body = None, []
        if not self.is_punct(")"):
            token = self.advance()
            if token.kind != "name" or token.text.lower() in _RESERVED or token.text.startswith("$"):
                raise self.error("expected a lambda variable, as in any(c: c/email eq 'x')", token)
            variable = token.text
            self.expect(":")
            with self.nested():
                body = [self.expression()]
        self.expect(")")
        return self.node("lambda", pos, op=kind, value=(segments, variable), args=body)

    def literal_list(self) -> list[_Node]:
        self.expect("(")
        items = []
        while True:
            token = self.advance()
            negative = token.kind == "punct" and token.text == "-"
            if negative:
                token = self.advance()
            item = self.literal(token)
            if item is None or (negative and item.op not in ("int", "decimal")):
                raise self.error("an 'in' list holds literals only", token)
            if negative:
                item.value = -item.value
            items.append(item)
            if len(items) > MAX_IN_ITEMS:
                raise _too_complex(f"an 'in' list holds at most {MAX_IN_ITEMS} values", self.target)
            if not self.is_punct(","):
                self.expect(")")
                return items
            self.advance()


def _depth(node: _Node) -> int:
    return 1 + max((_depth(arg) for arg in node.args), default=0)


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
    def __init__(self, target="$filter"):
        self.target = target

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
            return _guarded(lookup(subject.expr(), pattern.value), subject)
        if name in _CASE_MAPS:
            function, python = _CASE_MAPS[name]
            (subject,) = self.arguments(node, scope, 1)
            if isinstance(subject, _Lit) and subject.type == "string":
                return _Lit("string", python(subject.value))
            if not isinstance(subject, _Column) or subject.kind != r.TEXT:
                raise self.error(f"type mismatch: {name}() applies to text")
            return replace(subject, name=f"{name}({subject.name})", expression=function(subject.expr()))
        raise _unsupported(f"function '{node.value}' is not supported")

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


# Entry points ----------------------------------------------------------------------------


def _check_text(text, target, limit=None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ODataError(f"{target} is empty", target=target)
    if "\x00" in text:
        raise ODataError(f"{target} contains a NUL character", target=target)
    if limit is not None and len(text) > limit:
        raise _too_complex(f"{target} is longer than {limit} characters", target)
    return text


def compile_filter(text, registry) -> Q:
    """`$filter` text as a Q over the registry's model (public names only)."""
    _check_text(text, "$filter", MAX_FILTER_LENGTH)
    try:
        tree = _Parser(text, "$filter").parse()
        if _depth(tree) > MAX_DEPTH:
            raise _too_complex(f"$filter is nested too deeply (more than {MAX_DEPTH} levels)")
        return _Compiler().predicate(tree, _Scope(registry))
    except RecursionError:  # defence in depth: the limits above keep the parser far from it
        raise _too_complex("$filter is too complex") from None


def compile_orderby(text, registry) -> list:
    """`$orderby` as order expressions: NULLs first ascending, last descending (ODATA-330); PK last."""
    target = "$orderby"
    _check_text(text, target, MAX_FILTER_LENGTH)
    parser, compiler = _Parser(text, target), _Compiler(target)
    ordering, has_pk, last_descending = [], False, False
    while True:
        token = parser.advance()
        if token.kind != "name" or token.text.lower() in _RESERVED:
            raise parser.error("expected a property name", token)
        if parser.is_punct("("):
            raise _unsupported("ordering by a function is not supported", target)
        segments = [token.text]
        while parser.is_punct("/"):
            parser.advance()
            segment = parser.advance()
            if segment.kind != "name":
                raise parser.error("expected a property name after '/'", segment)
            segments.append(segment.text)
        column = compiler.resolve(segments, _Scope(registry), for_sort=True)
        direction = parser.keyword({"asc", "desc"})
        if direction:
            parser.advance()
        last_descending = direction == "desc"
        expression = F(column.path)
        if last_descending != column.negate:
            expression = expression.desc(**({"nulls_last": True} if last_descending else {"nulls_first": True}))
        else:
            expression = expression.asc(**({"nulls_last": True} if last_descending else {"nulls_first": True}))
        ordering.append(expression)
        has_pk = has_pk or column.path in ("id", "pk")
        if parser.peek().kind == "end":
            break
        if not parser.is_punct(","):
            raise parser.error("expected asc, desc or ','")
        parser.advance()
        if parser.peek().kind == "end":
            raise parser.error("trailing ','")
    if not has_pk:
        ordering.append(F("pk").desc() if last_descending else F("pk").asc())
    return ordering


def compile_select(text, registry) -> list[str] | None:
    """`$select` as public names in the order given; None for `*` (every field)."""
    target = "$select"
    _check_text(text, target, MAX_FILTER_LENGTH)
    names = [name.strip() for name in text.split(",")]
    if "*" in names:
        if any(not name for name in names):
            raise ODataError("empty item in $select", target=target)
        return None
    for name in names:
        if not name:
            raise ODataError("empty item in $select (trailing ',')", target=target)
        if "/" in name or "(" in name:
            raise _unsupported(f"selecting '{name}' is not supported", target)
        if registry.get(name) is None:
            raise ODataError(f"unknown property '{name}'", target=target)
    return list(dict.fromkeys(names))


def _non_negative(name, raw) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ODataError(f"{name} must be a non-negative integer", target=name)
    return int(text)


_OPTIONS = {"$filter", "$orderby", "$select", "$top", "$skip", "$count"}
_IGNORED = {"$format"}
_UNSUPPORTED = {"$expand", "$search", "$apply", "$compute", "$levels", "$index", "$skiptoken", "$deltatoken"}


def parse_odata(params, registry, *, default_top=None, max_top=1000) -> ODataQuery | None:
    """The OData options among `params` (a QueryDict), or None when none is given. System
    option names are case-insensitive; given twice, unknown or malformed is 400; reserved but
    unimplemented (`$expand`, `$search`, ...) is 501. Other parameters are not ours to judge."""
    options: dict[str, str] = {}
    for key in params:
        if not key.startswith("$"):
            continue
        name = key.lower()
        values = params.getlist(key)
        if name in options or len(values) > 1:
            raise ODataError(f"{name} is given more than once", target=name)
        if name in _UNSUPPORTED:
            raise _unsupported(f"{name} is not supported", name)
        if name not in _OPTIONS and name not in _IGNORED:
            raise ODataError(f"unknown system query option '{key}'", target=key)
        options[name] = values[0] if values else ""
    if not set(options) - _IGNORED:
        return None
    query = ODataQuery(top=default_top)
    if "$filter" in options:
        query.filter = compile_filter(options["$filter"], registry)
    if "$orderby" in options:
        query.ordering = compile_orderby(options["$orderby"], registry)
    if "$select" in options:
        query.select = compile_select(options["$select"], registry)
    if "$top" in options:
        query.top = _non_negative("$top", options["$top"])
        if query.top > max_top:
            raise ODataError(f"$top must be at most {max_top}", target="$top")
    if "$skip" in options:
        query.skip = _non_negative("$skip", options["$skip"])
        if query.skip > MAX_SKIP:
            raise ODataError(f"$skip must be at most {MAX_SKIP}", target="$skip")
    if "$count" in options:
        count = options["$count"].strip().lower()
        if count not in ("true", "false"):
            raise ODataError("$count must be true or false", target="$count")
        query.count = count == "true"
    return query

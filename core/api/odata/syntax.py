"""Tokenizer and precedence-climbing parser of `$filter` (QUERY-DIALECTS.md §3.1)."""

import datetime as dt
import decimal
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.utils.dateparse import parse_datetime

from core.ids import parse_uuid

from .errors import MAX_DEPTH, MAX_IN_ITEMS, MAX_NODES, ODataError, _too_complex, _unsupported

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

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

from django.db.models import F, Q

from ..cost import QueryCost
from .compiler import _Compiler, _Scope
from .errors import (
    CANONICAL_FUNCTIONS,
    MAX_DEPTH,
    MAX_FILTER_LENGTH,
    MAX_SKIP,
    ODataError,
    ODataQuery,
    _too_complex,
    _unsupported,
)
from .syntax import _RESERVED, _depth, _Parser

# Entry points ----------------------------------------------------------------------------


def _check_text(text, target, limit=None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ODataError(f"{target} is empty", target=target)
    if "\x00" in text:
        raise ODataError(f"{target} contains a NUL character", target=target)
    if limit is not None and len(text) > limit:
        raise _too_complex(f"{target} is longer than {limit} characters", target)
    return text


def compile_filter(text, registry, cost: QueryCost | None = None) -> Q:
    """`$filter` text as a Q over the registry's model (public names only); its string functions
    count in `cost` (the query's), within the limits."""
    _check_text(text, "$filter", MAX_FILTER_LENGTH)
    try:
        tree = _Parser(text, "$filter").parse()
        if _depth(tree) > MAX_DEPTH:
            raise _too_complex(f"$filter is nested too deeply (more than {MAX_DEPTH} levels)")
        return _Compiler(cost=cost).predicate(tree, _Scope(registry))
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
            if token.text.lower() in CANONICAL_FUNCTIONS:
                raise _unsupported("ordering by a function is not supported", target)
            raise ODataError(f"unknown function '{token.text}'", target=target)
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
        head = name.split("/", 1)[0]
        if "/" in name and registry.get(head) is not None:
            # A path through a known property is valid OData that we do not serve yet.
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


def parse_odata(params, registry, *, default_top=None, max_top=1000, cost=None) -> ODataQuery | None:
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
        query.filter = compile_filter(options["$filter"], registry, cost)
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


__all__ = ["ODataError", "ODataQuery", "compile_filter", "compile_orderby", "compile_select", "parse_odata"]

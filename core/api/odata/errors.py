"""Limits, the error type and the parsed query of the OData dialect."""

from dataclasses import dataclass, field

from django.db.models import Q

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


# OData 4.01's built-in functions (part 2, 5.1.1): those a $filter or $orderby may name and we do
# not serve yet answer 501; any other name is a mistake in the query, a 400.
CANONICAL_FUNCTIONS = frozenset(
    [
        "concat",
        "contains",
        "endswith",
        "indexof",
        "length",
        "startswith",
        "substring",
        "matchespattern",
        "tolower",
        "toupper",
        "trim",
        "date",
        "day",
        "fractionalseconds",
        "hour",
        "maxdatetime",
        "mindatetime",
        "minute",
        "month",
        "now",
        "second",
        "time",
        "totaloffsetminutes",
        "totalseconds",
        "year",
        "ceiling",
        "floor",
        "round",
        "cast",
        "isof",
        "hassubset",
        "hassubsequence",
        "case",
        "geo.distance",
        "geo.intersects",
        "geo.length",
    ]
)


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

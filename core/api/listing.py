"""Repzo list parameters (QUERY-DIALECTS.md §4), on every resource.

page/per_page, or limit/offset; sort + sortPageOrder|order, sortBy (SDK shape `[{field, type}]`
and map shape `[{field: dir}]`); search; `_id` in every wire form; from_X/to_X inclusive ranges
(epoch ms or ISO 8601); from__id/to__id exclusive cursors; populatedKeys; disabled/withDisabled;
`filter` (a JSON object of equalities); and each resource's documented filters.
Unknown query parameters are ignored; unknown names inside structured JSON are 400.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, ExpressionWrapper, F, JSONField, OuterRef, Q
from django.db.models.fields.json import (
    KeyTransform,
    KeyTransformExact,
    KeyTransformIContains,
    KeyTransformIn,
    KeyTransformIsNull,
)
from django.utils.dateparse import parse_date, parse_datetime

from core.ids import parse_uuid

from . import registry as r
from .cost import QueryCost
from .fields import from_epoch_ms
from .parsers import loads


class QueryError(Exception):
    """A client's query is wrong: 400 naming the parameter."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


TRUE_WORDS, FALSE_WORDS = {"true", "1"}, {"false", "0"}


def parse_bool(name, raw) -> bool:
    value = str(raw).strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise QueryError(name, "expected true or false")


MAX_INT = 2**31 - 1  # beyond any real page or offset, and inside every SQL integer type


def parse_int(name, raw, minimum=None) -> int:
    text = str(raw).strip()
    if len(text) > 12:
        raise QueryError(name, "expected an integer")
    try:
        value = int(text)
    except ValueError:
        raise QueryError(name, "expected an integer") from None
    if minimum is not None and value < minimum:
        raise QueryError(name, f"must be at least {minimum}")
    if value > MAX_INT:
        raise QueryError(name, f"must be at most {MAX_INT}")
    return value


def get_list(params, name) -> list[str] | None:
    """A list-valued parameter in any of its wire forms: `k=v`, `k=["a","b"]` (JSON, what the
    SDK sends), `k[]=a&k[]=b`, or repeated `k=a&k=b`. None when absent."""
    values = params.getlist(name) + params.getlist(f"{name}[]")
    if not values:
        return None
    out = []
    for value in values:
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                decoded = loads(stripped)
            except ValueError as exc:
                raise QueryError(name, f"malformed JSON array: {exc}") from None
            if not isinstance(decoded, list):
                raise QueryError(name, "expected a JSON array")
            out.extend(decoded)
        else:
            out.append(value)
    return out


def parse_instant(name, raw) -> dt.datetime:
    """Epoch milliseconds, or an ISO 8601 date/datetime (naive means UTC)."""
    text = str(raw).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        try:
            return from_epoch_ms(number)
        except (OverflowError, OSError, ValueError):
            raise QueryError(name, "epoch milliseconds out of range") from None
    try:
        value = parse_datetime(text)
        if value is None:
            day = parse_date(text)
            value = dt.datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        value = None
    if value is None:
        raise QueryError(name, "expected epoch milliseconds or an ISO 8601 date-time")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def coerce(info: r.FieldInfo, name: str, raw):
    """A filter value from the query string (text) or from JSON, typed for the field."""
    kind = info.kind
    if kind in (r.REF, r.REFS, r.UUID):
        pk = parse_uuid(raw)
        return pk if pk is not None else _NO_MATCH
    if kind == r.BOOLEAN:
        return raw if isinstance(raw, bool) else parse_bool(name, raw)
    if kind == r.INTEGER:
        if isinstance(raw, bool):
            raise QueryError(name, "expected an integer")
        return raw if isinstance(raw, int) else parse_int(name, raw)
    if kind == r.NUMBER:
        if isinstance(raw, bool):
            raise QueryError(name, "expected a number")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise QueryError(name, "expected a number") from None
        if not math.isfinite(value):  # nan, inf, 1e400: no column holds them (Decimal refuses)
            raise QueryError(name, "expected a finite number")
        return value
    if kind in (r.DATETIME, r.DATE):
        value = parse_instant(name, raw)
        return value.date() if kind == r.DATE else value
    if raw is None or isinstance(raw, (dict, list)):
        raise QueryError(name, "expected a text value")
    return str(raw)


class _NoMatch:
    """A value that can match no row (an id that is not a UUID)."""


_NO_MATCH = _NoMatch()


def equality_q(info: r.FieldInfo, name: str, values: list) -> Q:
    typed = [coerce(info, name, v) for v in values]
    typed = [v for v in typed if v is not _NO_MATCH]
    if not typed:
        return Q(pk__in=[])
    if info.extra.get("negate"):  # a boolean shown inverted (active = not disabled)
        typed = [not v for v in typed]
    path = info.orm_path
    if info.kind == r.REFS:  # any overlap, as EXISTS: a join would repeat the row per match
        m2m = info.model_field
        links = m2m.remote_field.through.objects.filter(
            **{m2m.m2m_field_name(): OuterRef("pk"), f"{m2m.m2m_reverse_field_name()}__in": typed}
        )
        return Q(Exists(links))
    if len(typed) == 1:
        return Q(**{path: typed[0]})
    return Q(**{f"{path}__in": typed})


# Dotted JSON filters: `<field>.<key>[.<key>...][.<lookup>]=value`. The last segment is a lookup
# only when it is one of these; any other name Django knows as a lookup is refused (it could reach
# the ORM's own lookups: `range`, `isnull`, `regex`, ...), and every other segment is a key.
JSON_KEY_LOOKUPS = ("in", "exists", "icontains")
_ORM_LOOKUP_NAMES = frozenset(JSONField.get_lookups()) | frozenset(KeyTransform.get_lookups())


def json_key_filter(info: r.FieldInfo, param: str, rest: str, params, cost: QueryCost) -> Q:
    """The condition of one dotted JSON parameter: equality with the value (text from the query
    string; a JSON array is any of its values, typed), `.in` (the same), `.exists` (true/false:
    the key is there), `.icontains` (case-insensitive text inside the value)."""
    segments = rest.split(".")
    lookup = segments[-1] if segments[-1] in JSON_KEY_LOOKUPS and len(segments) > 1 else None
    keys = segments[:-1] if lookup else segments
    if any(not k or not k.replace("_", "").isalnum() for k in keys):
        raise QueryError(param, "invalid key: keys are letters, digits and '_', separated by '.'")
    if keys[-1] in _ORM_LOOKUP_NAMES:
        allowed = ", ".join(f".{name}" for name in JSON_KEY_LOOKUPS)
        raise QueryError(param, f"unsupported lookup '{keys[-1]}': use equality, {allowed}")
    # The column with its field, so the lookups below encode their values as JSON.
    value = ExpressionWrapper(F(info.orm_path), output_field=info.model_field)
    for k in keys:  # explicit key transforms: no segment can be read as an ORM lookup
        value = KeyTransform(k, value)
    if lookup == "exists":
        return Q(KeyTransformIsNull(value, not parse_bool(param, params.get(param, ""))))
    if lookup == "icontains":
        text = params.get(param, "")
        if not text:
            raise QueryError(param, "must not be empty")
        problem = cost.add()
        if problem:
            raise QueryError(param, problem)
        return Q(KeyTransformIContains(value, text))
    # Equality, or `.in`: one value or a list in any wire form (a JSON array keeps JSON types).
    values = get_list(params, param) or []
    if any(v is None or isinstance(v, (dict, list)) for v in values):
        raise QueryError(param, "expected text, number or boolean values")
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):  # 1e400: no JSON for it
        raise QueryError(param, "expected a finite number")
    if len(values) > 1000:
        raise QueryError(param, "more than 1000 values")
    if len(values) == 1:
        return Q(KeyTransformExact(value, values[0]))
    return Q(KeyTransformIn(value, values)) if values else Q(pk__in=[])


@dataclass
class ListQuery:
    filters: list = field(default_factory=list)  # Q objects, ANDed
    # Keyset cursors (from__id / to__id) position the page inside the filtered set; they are
    # not filters of it, so `total` stays the size of the set (and stays cheap at any depth).
    position: list = field(default_factory=list)
    ordering: list = field(default_factory=list)
    page: int = 1
    per_page: int = 25
    offset: int = 0
    paging: str = "page"  # the request's paging parameters: page (page/per_page), offset (limit/offset), odata
    populate: list = field(default_factory=list)
    has_filters: bool = False  # anything beyond the tenant (decides whether a kept count applies)
    cost: QueryCost = field(default_factory=QueryCost)  # pattern operators of every dialect used


class ListParams:
    """The list parameters of one resource, read from its viewset's declaration."""

    def __init__(self, view):
        self.view = view
        self.registry: r.ResourceFields = view.registry()
        self.search_fields = list(getattr(view, "search_fields", ()))
        self.filter_fields = list(getattr(view, "filter_fields", ()))
        self.populate = dict(getattr(view, "populate", {}) or {})
        self.default_per_page = getattr(view, "default_per_page", 25)
        self.default_ordering = getattr(view, "default_ordering", ("_id",))
        self.hide_disabled = getattr(view, "hide_disabled_by_default", False)

    def _field(self, name, path):
        info = self.registry.get(name)
        if info is None or info.orm_path is None:
            raise QueryError(path, f"unknown field '{name}'")
        return info

    def parse(self, params) -> ListQuery:
        query = ListQuery()
        self._paging(params, query)
        self._ordering(params, query)
        self._filters(params, query)
        populate = get_list(params, "populatedKeys")
        if populate:
            for key in populate:
                if not isinstance(key, str) or key not in self.populate:
                    raise QueryError("populatedKeys", f"unknown key '{key}'; allowed: {sorted(self.populate)}")
            query.populate = list(dict.fromkeys(populate))
        return query

    # Paging ------------------------------------------------------------------------------
    def _paging(self, params, query):
        maximum = settings.API_MAX_PAGE_SIZE
        if "limit" in params and "per_page" not in params and "page" not in params:
            limit = parse_int("limit", params["limit"], minimum=1)
            if limit > maximum:
                raise QueryError("limit", f"must be at most {maximum}")
            offset = parse_int("offset", params.get("offset", 0), minimum=0)
            query.per_page, query.offset = limit, offset
            query.page = offset // limit + 1
            query.paging = "offset"
            return
        per_page = parse_int("per_page", params.get("per_page", self.default_per_page), minimum=1)
        if per_page > maximum:
            raise QueryError("per_page", f"must be at most {maximum}")
        page = parse_int("page", params.get("page", 1), minimum=1)
        query.page, query.per_page, query.offset = page, per_page, (page - 1) * per_page

    # Ordering ----------------------------------------------------------------------------
    def _order_expr(self, name, direction, path):
        info = self._field(name, path)
        if not info.sortable:
            raise QueryError(path, f"field '{name}' cannot be sorted on")
        orm = "pk" if name == "_id" else info.orm_path
        if info.kind == r.REF:
            orm = info.model_field.attname
        if direction == "desc":
            return F(orm).desc(nulls_first=True)
        return F(orm).asc(nulls_last=True)

    @staticmethod
    def _direction(raw, path):
        value = str(raw).strip().lower()
        if value in ("asc", "1", "ascending"):
            return "asc"
        if value in ("desc", "dsc", "-1", "descending"):
            return "desc"
        raise QueryError(path, "expected asc or desc")

    def _default_keys(self):
        return [(name.lstrip("-"), "desc" if name.startswith("-") else "asc", "sort") for name in self.default_ordering]

    def default_order(self) -> list:
        keys = self._default_keys()
        ordering = [self._order_expr(name, direction, path) for name, direction, path in keys]
        if not any(name == "_id" for name, _, _ in keys):
            ordering.append(F("pk").desc() if keys and keys[-1][1] == "desc" else F("pk").asc())
        return ordering

    def _ordering(self, params, query):
        keys = []
        raw_sort_by = params.get("sortBy")
        if raw_sort_by:
            try:
                sort_by = loads(raw_sort_by)
            except ValueError as exc:
                raise QueryError("sortBy", f"malformed JSON: {exc}") from None
            if isinstance(sort_by, dict):
                sort_by = [sort_by]
            if not isinstance(sort_by, list):
                raise QueryError("sortBy", "expected a JSON array")
            for i, item in enumerate(sort_by):
                path = f"sortBy[{i}]"
                if not isinstance(item, dict):
                    raise QueryError(path, "expected an object")
                if "field" in item:  # SDK shape {field, type}
                    unknown = set(item) - {"field", "type"}
                    if unknown:
                        raise QueryError(path, f"unknown keys {sorted(unknown)}")
                    keys.append((item["field"], self._direction(item.get("type", "asc"), f"{path}.type"), path))
                elif len(item) == 1:  # map shape {field: dir}
                    ((name, direction),) = item.items()
                    keys.append((name, self._direction(direction, f"{path}.{name}"), path))
                else:
                    raise QueryError(path, "expected {field, type} or {<field>: asc|desc}")
        elif params.get("sort"):
            direction = params.get("sortPageOrder") or params.get("order") or "asc"
            name = params["sort"].strip()
            if name.startswith("-"):
                name, direction = name[1:], "desc"
            keys.append((name, self._direction(direction, "sortPageOrder"), "sort"))
        else:
            keys = self._default_keys()
        for name, _direction, path in keys:
            if not isinstance(name, str):
                raise QueryError(path, "expected a field name")
        query.ordering = [self._order_expr(name, direction, path) for name, direction, path in keys]
        if not any(name == "_id" for name, _, _ in keys):
            last = keys[-1][1] if keys else "asc"
            query.ordering.append(F("pk").desc() if last == "desc" else F("pk").asc())

    # Filters -----------------------------------------------------------------------------
    def _filters(self, params, query):
        add = query.filters.append

        ids = get_list(params, "_id")
        if ids is not None:
            add(equality_q(self.registry.get("_id"), "_id", ids))
        for bound, lookup in (("from__id", "gt"), ("to__id", "lt")):
            if bound in params:
                pk = parse_uuid(params[bound].strip())
                if pk is None:
                    raise QueryError(bound, "expected an id")
                query.position.append(Q(**{f"pk__{lookup}": pk}))

        search = params.get("search")
        if search and search.strip() and self.search_fields:
            problem = query.cost.add(expensive=False)  # one term, served by trigram indexes
            if problem:
                raise QueryError("search", problem)
            term = search.strip()
            q = Q()
            for path in self.search_fields:
                q |= Q(**{f"{path}__icontains": term})
            add(q)

        namespaces = get_list(params, "company_namespace")
        if namespaces is not None and self.view.request.user.tenant.namespace not in namespaces:
            add(Q(pk__in=[]))

        if "disabled" in params and self.registry.get("disabled"):
            add(Q(**{self.registry.get("disabled").orm_path: parse_bool("disabled", params["disabled"])}))
        elif self.hide_disabled and self.registry.get("disabled"):
            with_disabled = params.get("withDisabled")
            if not (with_disabled and parse_bool("withDisabled", with_disabled)):
                add(Q(**{self.registry.get("disabled").orm_path: False}))

        for name in self.filter_fields:
            values = get_list(params, name)
            if values is not None:
                add(equality_q(self._field(name, name), name, values))

        # from_X / to_X on any date, time or number field (inclusive bounds).
        for key in params:
            for prefix, lookup in (("from_", "gte"), ("to_", "lte")):
                if key.startswith(prefix) and key not in ("from__id", "to__id"):
                    name = key[len(prefix) :]
                    info = self.registry.get(name)
                    if (
                        info is None
                        or info.orm_path is None
                        or info.kind not in (r.DATETIME, r.DATE, r.NUMBER, r.INTEGER)
                    ):
                        continue  # unknown parameters are ignored (compatibility)
                    add(Q(**{f"{info.orm_path}__{lookup}": coerce(info, key, params[key])}))

        raw_filter = params.get("filter")
        if raw_filter:
            try:
                conditions = loads(raw_filter)
            except ValueError as exc:
                raise QueryError("filter", f"malformed JSON: {exc}") from None
            if not isinstance(conditions, dict):
                raise QueryError("filter", "expected a JSON object")
            for name, value in conditions.items():
                info = self._field(name, f"filter.{name}")
                if info.kind == r.JSON:
                    raise QueryError(f"filter.{name}", "cannot filter on this field")
                values = value if isinstance(value, list) else [value]
                if any(v is None for v in values):
                    add(Q(**{f"{info.orm_path}__isnull": True}))
                    continue
                add(equality_q(info, f"filter.{name}", values))

        # Dotted keys name nested JSON values: integration_meta.<key>=value, customFields.<key>=value
        dotted = dict.fromkeys(key.removesuffix("[]") for key in params if "." in key)  # `k[]=a&k[]=b` is one
        for key in dotted:
            head, _dot, rest = key.partition(".")
            info = self.registry.get(head)
            if info is not None and info.kind == r.JSON and info.orm_path:
                add(json_key_filter(info, key, rest, params, query.cost))

        # A resource's own filters (aliases, computed conditions): `list_filters(params)` on the view.
        list_filters = getattr(self.view, "list_filters", None)
        if list_filters is not None:
            for condition in list_filters(params):
                add(condition)

        query.has_filters = bool(query.filters)

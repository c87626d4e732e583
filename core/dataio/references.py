"""What a file writes in a reference column, resolved to a row of the tenant.

A value may be
* one of our ids (a UUID of a row of this tenant);
* a foreign id: a Repzo ObjectId or another tenant's UUID, for a row imported earlier (ids.py
  maps it to ours the same way the import of that row did; a row tagged with the ObjectId in
  `integration_meta.repzo_id` is found too);
* anything else: the target resource's natural key (a channel's name, a client's code).

Values are resolved a batch at a time (a few queries per target model) and kept in a bounded
cache, so a million rows naming a dozen channels cost a dozen lookups. The serializer's own
reference fields then find the resolved rows in the same cache instead of querying once per
row (`wrap_fields`); anything not in the cache goes through the field as usual.
"""

from collections import OrderedDict, defaultdict

from django.db.models.functions import Lower
from rest_framework.relations import ManyRelatedField

from core.api.fields import RefField, RefListField

from . import ids
from .bulk import among
from .resources import resource_for_model

CACHE_SIZE = 20_000  # values (and rows) kept per target model between batches


class _Lru(OrderedDict):
    """A bounded cache whose bound is enforced between batches only: the values a batch needs
    are marked recent (`touch`) and trimmed last, so one batch never loses what it resolved
    before it is used, whatever its size (the cache may hold one batch beyond its bound)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def remember(self, key, value):
        self[key] = value
        self.move_to_end(key)

    def touch(self, keys) -> None:
        for key in keys:
            if key in self:
                self.move_to_end(key)

    def trim(self, keep: int = 0) -> None:
        """Drop the least recently used entries beyond the bound, never the `keep` newest."""
        while len(self) > max(self.size, keep):
            self.popitem(last=False)


class Unresolved(LookupError):
    pass


class References:
    def __init__(self, tenant, *, cache_size: int | None = None):
        self.tenant = tenant
        size = cache_size or CACHE_SIZE
        self.by_value = defaultdict(lambda: _Lru(size))  # model -> value -> pk string
        self.rows = defaultdict(lambda: _Lru(size))  # model -> pk string -> instance

    def clear(self) -> None:
        """Forget every resolved value (after a rolled-back write). In place: the wrapped
        fields hold these caches."""
        for cache in (*self.by_value.values(), *self.rows.values()):
            cache.clear()

    # Targets of a serializer -------------------------------------------------------------------
    @staticmethod
    def targets(fields: dict) -> dict:
        """{public name: (target model, many)} for the reference fields among `fields`."""
        out = {}
        for name, f in fields.items():
            if isinstance(f, ManyRelatedField):
                out[name] = (f.child_relation.queryset.model, True)
            elif isinstance(f, RefField):
                out[name] = (f.queryset.model, False)
        return out

    @staticmethod
    def nested_targets(fields: dict) -> dict:
        """{public name: {key: target model}} for the fields whose objects name rows by a key
        of theirs: a field declares `nested_references = {"client_id": Client}` (a route's
        `clients[{client_id, priority}]`), and the values under that key are resolved as
        references are (our id, a foreign id, or the target's natural key)."""
        return {name: dict(f.nested_references) for name, f in fields.items() if getattr(f, "nested_references", None)}

    # Resolving ----------------------------------------------------------------------------------
    def prefetch(self, model, values) -> bool:
        """Resolve in bulk the values not in the cache yet (misses are not cached: a later
        batch of the same import may create the row). True when some value stays unknown."""
        cache = self.by_value[model]
        texts = {v for v in values if isinstance(v, str)}
        self._keep(model, texts - {v for v in texts if v not in cache})  # cached values: recent again
        wanted = {v for v in texts if v not in cache}
        if not wanted:
            return False
        rows = model.objects.filter(tenant=self.tenant)
        own, mapped, natural = {}, {}, set()
        for value in wanted:
            if ids.is_object_id(value):
                mapped[self._mapped(model, value)] = value
            elif (parsed := ids.parse_id(value)) is not None:
                own[parsed] = value
                mapped[self._mapped(model, value)] = value
            else:
                natural.add(value)
        if own:
            for row in rows.filter(among(model, "pk", own, using=rows.db)):
                self._found(model, own[row.pk], row)
        left = {pk: value for pk, value in mapped.items() if value not in cache}
        if left:
            for row in rows.filter(among(model, "pk", left, using=rows.db)):
                self._found(model, left[row.pk], row)
        tagged = [v for v in mapped.values() if ids.is_object_id(v) and v not in cache]
        if tagged:
            keys = {ids.source_key(v): v for v in tagged}
            for row in rows.filter(integration_meta__repzo_id__in=list(keys)):
                value = keys.get(row.integration_meta.get("repzo_id"))
                if value is not None:
                    self._found(model, value, row)
        if natural:
            self._prefetch_natural(model, natural)
        self._keep(model, texts)
        return any(value not in cache for value in wanted)

    def _keep(self, model, values) -> None:
        """Make `values` (and their rows) the most recent entries, then trim the caches to
        their bound without dropping any of them: resolve() is about to read them."""
        cache, rows = self.by_value[model], self.rows[model]
        found = [value for value in values if value in cache]
        cache.touch(found)
        cache.trim(keep=len(found))
        pks = {cache[value] for value in found if isinstance(cache[value], str)}
        rows.touch(pks)
        rows.trim(keep=len([pk for pk in pks if pk in rows]))

    def _prefetch_natural(self, model, values) -> None:
        resource = resource_for_model(model)
        if resource is None or len(resource.natural_key) != 1:
            return
        (path,) = resource.natural_key_paths()
        keys = {value: resource.natural_value(value) for value in values}  # "VIP" and "vip" alike
        matches = defaultdict(list)
        rows = model.objects.filter(tenant=self.tenant)
        if resource.natural_key_ignores_case:
            found = rows.annotate(_natural=Lower(path)).filter(_natural__in=set(keys.values()))
            for row in found:
                matches[row._natural].append(row)
        else:
            for row in rows.filter(among(model, path, values, using=rows.db)):
                matches[str(getattr(row, path))].append(row)
        for value, key in keys.items():
            rows = matches.get(key)
            if not rows:
                continue
            if len(rows) == 1:
                self._found(model, value, rows[0])
            else:
                self.by_value[model].remember(value, Unresolved(self._ambiguous(resource, value, len(rows))))

    def _found(self, model, value, row) -> None:
        pk = str(row.pk)
        self.by_value[model].remember(value, pk)
        self.rows[model].remember(pk, row)

    def _mapped(self, model, value):
        return ids.mapped_id(tenant_id=self.tenant.pk, model_label=ids.model_label(model), source=value)

    def resolve(self, model, value) -> str:
        """Our id (text) for `value`, from the cache (call prefetch first); raises Unresolved."""
        if not isinstance(value, str):
            raise Unresolved("Expected an id or a name (text).")
        found = self.by_value[model].get(value)
        if isinstance(found, Unresolved):
            raise found
        if found is not None:
            return found
        raise Unresolved(self._not_found(model, value))

    def row(self, model, pk: str):
        return self.rows[model].get(pk)

    # Messages ----------------------------------------------------------------------------------
    @staticmethod
    def _ambiguous(resource, value, count) -> str:
        key = resource.natural_key[0]
        return f"Ambiguous: {count} {resource.name} rows have {key} '{value}'; use the _id."

    @staticmethod
    def _not_found(model, value) -> str:
        resource = resource_for_model(model)
        name = resource.name if resource else model._meta.model_name
        if ids.is_object_id(value):
            return f"Not found: {value} (no {name} was imported with this id; import the {name} file first)."
        if ids.parse_id(value) is not None:
            return f"Not found: {value} (no {name} has this id)."
        if resource is None or len(resource.natural_key) != 1:
            return f"Not found: '{value}' is not an id, and {name} rows are referred to by id only."
        return f"Not found: no {name} has {resource.natural_key[0]} '{value}'."

    # The serializer's reference fields ----------------------------------------------------------
    def wrap_fields(self, fields: dict) -> None:
        """Let the bound reference fields of an import serializer take resolved rows from the
        cache. Only fields over the model's plain queryset: a field narrowed to some rows keeps
        its own lookup, so it still refuses the rows it excludes."""
        for f in fields.values():
            if type(f) is RefListField and _plain(f.child_relation):
                f.to_internal_value = self._cached_many(f, f.child_relation.queryset.model)
            elif isinstance(f, RefField) and _plain(f):
                f.to_internal_value = self._cached_one(f, f.queryset.model)

    def short_paths(self, fields: dict) -> dict:
        """{name: value -> row(s) or NO} for the wrapped reference fields without validators:
        what their run_validation returns for ids found in the cache, without DRF's steps."""
        from .validation import NO

        out = {}
        for name, f in fields.items():
            if f.read_only or f.validators:
                continue
            if type(f) is RefListField and _plain(f.child_relation) and not f.child_relation.validators:
                rows = self.rows[f.child_relation.queryset.model]

                def many(value, rows=rows):
                    if type(value) is not list or not value:
                        return NO
                    found = [rows.get(v) if type(v) is str else None for v in value]
                    return NO if None in found else list({id(row): row for row in found}.values())

                out[name] = many
            elif type(f) is RefField and _plain(f):
                rows = self.rows[f.queryset.model]

                def one(value, rows=rows):
                    row = rows.get(value) if type(value) is str else None
                    return NO if row is None else row

                out[name] = one
        return out

    def _cached_one(self, f, model):
        original = f.to_internal_value

        def to_internal_value(data):
            if isinstance(data, str):
                row = self.rows[model].get(data)
                if row is not None:
                    return row
            return original(data)

        return to_internal_value

    def _cached_many(self, f, model):
        original = f.to_internal_value
        rows = self.rows[model]

        def to_internal_value(data):
            if isinstance(data, list) and data and all(isinstance(v, str) for v in data):
                found = [rows.get(v) for v in data]
                if None not in found:
                    return list({id(row): row for row in found}.values())
            return original(data)

        return to_internal_value


def _plain(f) -> bool:
    """A reference field that only scopes its model's rows to the tenant (no narrower rule)."""
    queryset = getattr(f, "queryset", None)
    return (
        type(f).get_queryset is RefField.get_queryset
        and type(f).to_internal_value is RefField.to_internal_value
        and queryset is not None
        and not queryset.all().query.where.children
    )

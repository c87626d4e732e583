"""Writing many new rows at once, for imports.

`insert_rows` is what `Model(tenant=..., **data).save()` plus `m2m.set(...)` does, for a batch
and in one statement per table: COPY on PostgreSQL (psycopg 3), bulk_create elsewhere. It
writes columns only: the rules belong to the caller, a create service that applies them to the
whole batch (`create_rows_bulk` for resources without rules of their own,
`clients.services.client.create_clients_bulk` for clients). The kept row counts stay exact: the
counting triggers fire on COPY and on multi-row INSERTs alike.
"""

import json
import uuid
from dataclasses import dataclass, field

from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import NOT_PROVIDED, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.models.base import now_ms

# Defaults that give the same (empty) value every time: prepared once per batch.
CONSTANT_FACTORIES = (list, dict, tuple, set, str, int, float, bool)


@dataclass
class BulkOutcome:
    """What a bulk create service did with each row of a batch (by the row's index)."""

    created: dict = field(default_factory=dict)  # index -> new id
    existing: dict = field(default_factory=dict)  # index -> id of the row returned instead (idempotent create)
    errors: dict = field(default_factory=dict)  # index -> (field name or "", message): the rule that refused it


NULL = "\\N"
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_MISSING = object()


def _text(value) -> str:
    if not isinstance(value, str):
        value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(ESCAPES)  # rare: a translate costs more than the four scans
    return value


def _formatter(f, connection):
    """value (not None) -> the column's text in COPY's text format."""
    if isinstance(f, models.JSONField):
        encoder = f.encoder
        return lambda value: _text(json.dumps(value, cls=encoder, ensure_ascii=False))
    if f.is_relation:
        texts = {}  # a batch names the same few channels over and over

        def reference(value):
            pk = value.pk if isinstance(value, models.Model) else value
            text = texts.get(pk)
            if text is None:
                text = str(pk)
                if len(texts) < 10_000:
                    texts[pk] = text
            return text

        return reference
    if isinstance(f, models.BooleanField):
        return lambda value: "t" if value else "f"
    if isinstance(f, (models.DateTimeField, models.DateField, models.TimeField)):
        last = [None, None]  # a batch stamps many rows with the same moment

        def moment(value):
            if value is not last[0]:
                last[0], last[1] = value, value.isoformat()
            return last[1]

        return moment
    if isinstance(f, models.UUIDField):
        # 32 hex digits (PostgreSQL reads them without hyphens): a third of UUID.__str__.
        return lambda value: f"{value.int:032x}" if isinstance(value, uuid.UUID) else str(value)
    if isinstance(f, (models.IntegerField, models.FloatField, models.DecimalField)):
        return str
    if isinstance(f, (models.CharField, models.TextField)):
        return _text
    return lambda value: _text(f.get_db_prep_save(value, connection))


class _CopyFormat:
    """How a model's rows become lines of COPY's text format. The columns no row of a batch
    sets are written once per batch (their defaults, already formatted); only the others are
    formatted per row."""

    def __init__(self, model, connection):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.position = {}
        for index, f in enumerate(self.fields):
            self.position[f.name] = index
            self.position[f.attname] = index
        self.m2m = {f.name for f in model._meta.many_to_many}
        self.format = [_formatter(f, connection) for f in self.fields]
        self.quoted = [connection.ops.quote_name(f.column) for f in self.fields]
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.per_row, self.per_batch, self.default_text = {}, {}, {}
        for index, f in enumerate(self.fields):
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.per_batch[index] = timezone.now  # what pre_save() would set
            elif f.has_default() and callable(f.default) and f.default not in CONSTANT_FACTORIES:
                (self.per_batch if f.default is now_ms else self.per_row)[index] = f.default
            else:
                self.default_text[index] = self.text(index, f.get_default())
        self.pk_index = self.position[model._meta.pk.name]
        self.tenant_index = self.position["tenant"]
        self.null_default = {
            i
            for i, f in enumerate(self.fields)
            if f.null and self.default_text.get(i) == NULL and f.db_default is NOT_PROVIDED
        }

    def text(self, index, value) -> str:
        return NULL if value is None else self.format[index](value)

    def batch(self, rows: list[dict], tenant) -> tuple[str, bytes, list, list]:
        """(COPY statement, data, ids, many-to-many values per row) for a batch of rows.
        Formatted column by column: one tight loop per column the batch sets."""
        position, m2m_names = self.position, self.m2m
        indexed, links = [], []
        present = {*self.per_row, *self.per_batch}
        for data in rows:
            values, m2m = {}, {}
            for key, value in data.items():
                index = position.get(key)
                if index is None:
                    if key in m2m_names:
                        m2m[key] = value
                        continue
                    raise TypeError(f"{self.model.__name__} has no field {key!r}")
                values[index] = value
            present.update(values)
            indexed.append(values)
            links.append(m2m)
        pk_index, new_pk = self.pk_index, self.per_row[self.pk_index]
        ids = []
        for values in indexed:
            pk = values.get(pk_index)
            if pk is None:
                pk = values[pk_index] = new_pk()
            ids.append(pk)
        present.discard(self.tenant_index)
        varying = sorted(present)
        # Columns no row sets: their defaults, written once per row from a preformatted tail;
        # nullable ones whose default is NULL are left out (the server fills them in).
        constant = [i for i in range(len(self.fields)) if i not in present and i not in self.null_default]
        tail_values = dict(self.default_text)
        tail_values[self.tenant_index] = self.text(self.tenant_index, tenant.pk)
        tail = "\t".join(tail_values[i] for i in constant)
        tail = ("\t" + tail if varying else tail) + "\n" if constant else "\n"
        columns = [self._column(i, indexed) for i in varying]
        data = "".join(["\t".join(cells) + tail for cells in zip(*columns, strict=True)]).encode()
        names = ", ".join(self.quoted[i] for i in (*varying, *constant))
        return f"COPY {self.table} ({names}) FROM STDIN", data, ids, links

    def _column(self, index, indexed) -> list[str]:
        fmt = self.format[index]
        generate = self.per_row.get(index)
        if generate is not None:  # a value per row (the id): generated where the row has none
            return [NULL if v is None else fmt(generate() if v is _MISSING else v) for v in _get(indexed, index)]
        if index in self.per_batch:
            fill = self.text(index, self.per_batch[index]())
        else:
            fill = self.default_text[index]
        values = _get(indexed, index)
        if fmt is _text:
            # Text needs escaping only if some value has a backslash, tab or line break:
            # look at the whole column at once instead of value by value.
            texts = [v for v in values if v.__class__ is str]
            if len(texts) == len(values):
                blob = "\x00".join(texts)
                if "\\" not in blob and "\t" not in blob and "\n" not in blob and "\r" not in blob:
                    return values
        return [fill if v is _MISSING else NULL if v is None else fmt(v) for v in values]


def _get(indexed, index) -> list:
    return [values.get(index, _MISSING) for values in indexed]


SEPARATOR = "\x1f"  # ASCII unit separator: never part of a code, a name or an id


def among(model, path: str, values, *, using: str = "default") -> Q:
    """`Q(<path>__in=values)` for a batch of values of a column of `model`. On PostgreSQL it
    is written as `IN (SELECT unnest(string_to_array(<one text>, <separator>)::<type>[]))`:
    the planner estimates a literal IN list element by element (25 ms for 1,000 client codes,
    more than running the query), and a single text parameter costs the driver nothing to
    send, where a list is quoted value by value."""
    values = list(values)
    connection = connections[using]
    if len(values) > 20 and connection.vendor == "postgresql":
        field = model._meta.pk if path == "pk" else model._meta.get_field(path)
        db_type = field.rel_db_type(connection) if field.is_relation else field.db_type(connection)
        texts = [str(v) for v in values]
        if db_type and not any(SEPARATOR in t for t in texts):
            sql = f"SELECT unnest(string_to_array(%s, chr(31))::{db_type}[])"
            return Q(**{f"{path}__in": RawSQL(sql, [SEPARATOR.join(texts)])})
    return Q(**{f"{path}__in": values})


_formats: dict = {}


def _copy_format(model, connection) -> _CopyFormat:
    key = (model, connection.alias)
    if key not in _formats:
        _formats[key] = _CopyFormat(model, connection)
    return _formats[key]


def _pk(value):
    return value.pk if isinstance(value, models.Model) else value


@transaction.atomic
def insert_rows(model, *, tenant, rows: list[dict]) -> list:
    """Insert new rows of `model` for `tenant` (each a dict of field name -> value, as given to
    `Model(**data)`; many-to-many values as lists of rows or ids). Returns their ids in order."""
    if not rows:
        return []
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return _bulk_create(model, tenant=tenant, rows=rows, using=using)
    sql, data, ids, links = _copy_format(model, connection).batch(rows, tenant)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(sql) as copy:
            copy.write(data)
        _copy_links(model, connection, cursor, ids, links)
    return ids


def _copy_links(model, connection, cursor, ids, links) -> None:
    quote = connection.ops.quote_name
    for name, f in {f.name: f for f in model._meta.many_to_many}.items():
        pairs = []
        for pk, m2m in zip(ids, links, strict=True):
            targets = m2m.get(name)
            if targets:
                pairs.extend((pk, target) for target in dict.fromkeys(_pk(t) for t in targets))
        if not pairs:
            continue
        through = f.remote_field.through
        src = through._meta.get_field(f.m2m_field_name()).column
        dst = through._meta.get_field(f.m2m_reverse_field_name()).column
        data = "".join(f"{pk}\t{target}\n" for pk, target in pairs).encode()
        with cursor.copy(f"COPY {quote(through._meta.db_table)} ({quote(src)}, {quote(dst)}) FROM STDIN") as copy:
            copy.write(data)


def _bulk_create(model, *, tenant, rows, using) -> list:
    m2m_names = {f.name for f in model._meta.many_to_many}
    objs, links = [], []
    for data in rows:
        data = dict(data)
        links.append({name: data.pop(name) for name in list(data) if name in m2m_names})
        data.setdefault("tenant", tenant)
        objs.append(model(**data))
    model.objects.using(using).bulk_create(objs, batch_size=500)
    for f in model._meta.many_to_many:
        through = f.remote_field.through
        src, dst = f.m2m_field_name() + "_id", f.m2m_reverse_field_name() + "_id"
        pairs = [
            through(**{src: obj.pk, dst: target})
            for obj, m2m in zip(objs, links, strict=True)
            for target in dict.fromkeys(_pk(t) for t in m2m.get(f.name) or ())
        ]
        through.objects.using(using).bulk_create(pairs, batch_size=500)
    return [obj.pk for obj in objs]


@transaction.atomic
def create_rows_bulk(*, model, tenant, rows: list[dict]) -> BulkOutcome:
    """`core.services.create_row` for a batch: the create of every resource without rules."""
    ids = insert_rows(model, tenant=tenant, rows=rows)
    return BulkOutcome(created=dict(enumerate(ids)))


class PlannerStatistics:
    """Keeps PostgreSQL's statistics of the tables an import grows up to date.

    The per-batch lookups (`tenant_id = X AND client_code IN (...)`) are planned on what the
    statistics say the tenant has. A tenant that grows by a million rows within minutes (and
    autovacuum may be off, or not have run yet) still looks empty to the planner, which then
    hashes all of the tenant's rows for every batch instead of probing the index 1,000 times:
    the import slows down as it goes. A table never analyzed at all is worse: the deferred
    foreign-key checks of every inserted row can pick a wrong index and scan it whole (3 s per
    1,000-row commit instead of 30 ms). So the tables are analyzed before the import when they
    never were, then after the import's first 5,000 rows and each time it has doubled them
    (seven times for a million rows). Of the model's own table only the tenant column is
    analyzed: it refreshes the table's size and the tenant's share, where the whole table with
    the high statistics targets of searched columns would sample 300,000 rows each time.
    """

    FIRST = 5000

    def __init__(self, model, using):
        self.connection = connections[using]
        self.enabled = self.connection.vendor == "postgresql"
        self.tables = [model._meta.db_table] + [
            f.remote_field.through._meta.db_table
            for f in model._meta.many_to_many
            if f.remote_field.through._meta.auto_created
        ]
        tenant = next((f for f in model._meta.concrete_fields if f.name == "tenant"), None)
        self.columns = {self.tables[0]: f" ({self.connection.ops.quote_name(tenant.column)})" if tenant else ""}
        self.imported, self.next_at = 0, self.FIRST
        if self.enabled:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [self.tables[0]])
                row = cursor.fetchone()
            if row is not None and row[0] < 0:  # never analyzed
                self.analyze()

    def grew(self, rows: int) -> None:
        if not self.enabled or not rows:
            return
        self.imported += rows
        if self.imported >= self.next_at:
            self.next_at = self.imported * 2
            self.analyze()

    def analyze(self) -> None:
        quote = self.connection.ops.quote_name
        try:
            with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
                for table in self.tables:
                    cursor.execute(f"ANALYZE {quote(table)}{self.columns.get(table, '')}")
        except DatabaseError:
            self.enabled = False  # not the table's owner: the planner keeps what it has

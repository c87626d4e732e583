"""The import engine: rows of a file -> the resource's serializer and services.

For each batch of rows (one transaction each; the whole run in one rolled-back transaction
for a dry run):

1. cells are converted to JSON values (csv/xlsx), and the read-only names a document carries
   are set aside: `_id` identifies the row, `createdAt`/`updatedAt` are kept after the write;
2. a key met twice in the file (the same `_id` or natural key) fails the second row;
3. existing rows are found by `_id` (our id, or the id a foreign one maps to: ids.py), else by
   the resource's natural key;
4. references are resolved (references.py);
5. new rows are validated by the serializer's own fields and rules (validation.py) and written
   through the resource's create: in bulk by its bulk service when it has one (bulk.py), else
   one by one through `serializer.create()` in a savepoint, so a row that fails leaves nothing;
6. an existing row whose values are the same is "unchanged"; otherwise it is updated through
   `serializer.update()` (--update), skipped (--skip-existing) or reported (the default). An
   update that changes nothing once the service has normalised it is undone and "unchanged".

Every row ends as created, updated, unchanged, skipped or failed (with its field and reason).
"""

import uuid
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, router, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from rest_framework.exceptions import APIException, ValidationError

from core.ids import uuid7

from . import ids
from .bulk import PlannerStatistics, among
from .coerce import coerce_cells, coerce_row, converter_for
from .compare import equal, parse_timestamp, same_document, without_ids
from .keys import SeenKeys, fingerprint
from .pipeline import BatchWriter, forget_logged_queries
from .readers import FileError, Malformed, open_source
from .references import References, Unresolved
from .report import CREATED, FAILED, ROW, SKIPPED, UNCHANGED, UPDATED, ImportReport, describe, flatten
from .resources import CREATED_NAMES, ID_NAME, IGNORED_NAMES, UPDATED_NAMES, Resource, get_resource
from .validation import NO, RowValidator

MODES = ("create", "update", "skip")
WRITE_ERRORS = (APIException, DjangoValidationError, DatabaseError, ObjectDoesNotExist)
IMPORT_ACTOR = {"_id": None, "name": "import", "type": "admin"}


@dataclass
class ImportOptions:
    mode: str = "create"  # an existing row is: "create" an error, "update" updated, "skip" skipped
    dry_run: bool = False
    batch_size: int = 1000
    actor: dict | None = None


class _Row:
    """One row of the file on its way in (a plain slotted class: a million are made)."""

    __slots__ = (
        "number", "raw", "values", "errors", "source_id", "candidates", "pk", "natural", "created_at",
        "updated_at", "repzo_id", "existing", "deferred", "data", "planned", "outcome", "note",
    )  # fmt: skip

    def __init__(self, number, raw):
        self.number, self.raw = number, raw
        self.values: dict = {}
        self.errors: list = []  # (field, message)
        self.source_id = self.pk = self.natural = self.repzo_id = None
        self.candidates: tuple = ()  # ids the row may already have
        self.created_at = self.updated_at = None
        self.existing = self.data = None  # the matched row; validated data for a bulk create
        self.deferred = False
        self.planned = 0  # errors found before the write
        self.outcome = self.note = ""


def import_file(*, resource, tenant, path, fmt=None, options=None, report=None, progress=None) -> ImportReport:
    """Import a file into `tenant`; returns the report (its exit_code says how it went)."""
    options = options or ImportOptions()
    if isinstance(resource, str):
        resource = get_resource(resource)
    report = report or ImportReport(resource.name, dry_run=options.dry_run)
    try:
        source = open_source(path, fmt)
    except FileError as exc:
        report.file_error(str(exc))
        return report.finish()
    if progress is not None:
        progress.total = source.total
    Importer(resource, tenant, options, report, progress).run(source)
    return report.finish()


class Importer:
    def __init__(self, resource: Resource, tenant, options: ImportOptions, report: ImportReport, progress=None):
        if options.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.resource, self.tenant, self.options, self.report, self.progress = (
            resource,
            tenant,
            options,
            report,
            progress,
        )
        self.model = resource.model
        self.label = ids.model_label(self.model)
        # `importing` lets a serializer relax what no export can carry (a rep's password).
        self.context = {"tenant": tenant, "actor": options.actor or IMPORT_ACTOR, "importing": True}
        self.serializer = resource.serializer_class(context=self.context)
        self.fields = self.serializer.fields
        self.validator = RowValidator(self.serializer)
        self.writable = self.validator.writable
        self.refs = References(tenant)
        self.targets = References.targets({name: self.fields[name] for name in self.writable})
        self.nested = References.nested_targets({name: self.fields[name] for name in self.writable})
        self.refs.wrap_fields(self.fields)
        self.validator.use_short_paths(self.refs.short_paths(self.fields))
        self.natural_key = resource.natural_key
        self.bulk = resource.bulk_create
        self.accepted = {*self.fields, ID_NAME, *CREATED_NAMES, *UPDATED_NAMES, *IGNORED_NAMES}
        self.converters = None
        self.using = router.db_for_write(self.model)

    # The file ----------------------------------------------------------------------------------
    def check_columns(self, source) -> bool:
        unknown = [c for c in source.columns if c not in self.accepted]
        if unknown:
            what = "column" if not source.typed else "key"
            known = ", ".join(sorted(self.writable))
            self.report.file_error(
                f"Unknown {what}{'s' if len(unknown) > 1 else ''} for {self.resource.name}: "
                f"{', '.join(unknown)}. Writable fields: {known}."
            )
        if not source.typed and self.options.mode != "update":
            columns = set(source.columns)
            missing = [n for n in self.writable if self.fields[n].required and n not in columns]
            if missing:
                self.report.file_error(
                    f"Missing required column{'s' if len(missing) > 1 else ''} for {self.resource.name}: "
                    f"{', '.join(missing)}."
                )
        return not self.report.file_errors

    def run(self, source) -> None:
        if not self.check_columns(source):
            return
        columns = set(source.columns)
        self.cell_plan = None
        if not source.typed:
            text = source.format == "csv"
            self.converters = {}
            for name in self.writable & columns:
                convert = converter_for(self.fields[name], cells_are_text=text)
                if convert is not None:
                    self.converters[name] = convert
            if text:
                self.cell_plan = [(name, self.converters.get(name)) for name in source.columns]
        # Only what the file has: per row, the loops below then touch just these names.
        self.targets = {name: target for name, target in self.targets.items() if name in columns}
        self.nested = {name: keys for name, keys in self.nested.items() if name in columns}
        self.created_names = [n for n in CREATED_NAMES if n in columns]
        self.updated_names = [n for n in UPDATED_NAMES if n in columns]
        self.dropped = [n for n in columns if n not in self.writable and n != ID_NAME]
        self.seen = SeenKeys(self.using)
        statistics = PlannerStatistics(self.model, self.using)
        self.writer = None
        try:
            with transaction.atomic(using=self.using) if self.options.dry_run else nullcontext():
                if self._can_overlap():
                    self.writer = BatchWriter(self.write_batch, self.record)
                rows = source.iter_cells() if self.cell_plan is not None else iter(source)
                self.statistics = statistics
                while batch := list(islice(rows, self.options.batch_size)):
                    self.process(batch)
                if self.writer is not None:
                    self.writer.close()
                if self.options.dry_run:
                    transaction.set_rollback(True, using=self.using)
        finally:
            if self.writer is not None:
                self.writer.stop()  # after an error: the one being raised is the one to report
            self.seen.close()
            if self.progress is not None:
                self.progress.finish(self.report.rows)

    def _can_overlap(self) -> bool:
        """Write batches in a second thread (its own connection) while this one prepares the
        next: for bulk creates on PostgreSQL, outside any transaction of the caller (the other
        connection could not see its rows) and not in a dry run (one transaction)."""
        from django.db import connections

        connection = connections[self.using]
        return (
            self.bulk is not None
            and not self.options.dry_run
            and connection.vendor == "postgresql"
            and not connection.in_atomic_block
        )

    # A batch -----------------------------------------------------------------------------------
    def process(self, batch) -> None:
        forget_logged_queries()
        rows = [self.prepare(number, raw) for number, raw in batch]
        self.plan(rows)
        if self.writer is not None:
            self.writer.submit(rows)
        else:
            self.write_batch(rows)
            self.record(rows)

    def plan(self, rows) -> None:
        """What needs only reading: duplicates, existing rows, references, and (for bulk
        creates) validation. Runs on the importing thread's connection."""
        self.claim_keys(rows)
        live = [r for r in rows if not r.errors]
        self.find_existing(live)
        pending = {}
        for row in live:
            if row.existing is None and not row.errors:
                for key in self._reference_keys(row):
                    pending.setdefault(key, row.number)
        self.resolve_references(live, pending=pending)
        if self.bulk is not None and self.resource.can_create:
            for row in live:
                if not row.errors and not row.deferred and row.existing is None:
                    row.data = self._validated(row)
        for row in rows:
            row.planned = len(row.errors)

    def write_batch(self, rows) -> None:
        """Write a planned batch in one transaction (on a writer thread when overlapping)."""
        try:
            with transaction.atomic(using=self.using):
                self.write(rows, bulk=self.bulk is not None)
        except DatabaseError:
            if self.bulk is None:
                raise
            # The bulk write hit something the checks did not foresee: redo the batch row by
            # row, each in its own savepoint, so only the offending rows fail.
            for row in rows:
                del row.errors[row.planned :]
                row.outcome = row.note = ""
            with transaction.atomic(using=self.using):
                self.write(rows, bulk=False)

    def record(self, rows) -> None:
        """Report a written batch's outcomes (on the importing thread, in file order)."""
        report = self.report
        created = report.counts[CREATED]
        for row in rows:
            if row.errors:
                report.record(row.number, FAILED, errors=row.errors, pk=row.pk)
            elif len(report.preview) < report.preview_rows:
                report.record(row.number, row.outcome, pk=row.pk, note=row.note)
            else:
                report.counts[row.outcome] += 1  # all record() would do for it
        self.statistics.grew(self.report.counts[CREATED] - created)
        if self.progress is not None:
            self.progress.update(self.report.rows)

    def write(self, rows, *, bulk: bool) -> None:
        live = [r for r in rows if not r.errors]
        existing = [r for r in live if not r.deferred and r.existing is not None]
        creates = [r for r in live if not r.deferred and r.existing is None]
        if existing:
            self.handle_existing(existing)
        if creates:
            if not self.resource.can_create:
                for row in creates:
                    row.errors.append((ROW, f"Not found, and {self.resource.name} rows cannot be created."))
            elif bulk:
                self.create_bulk([r for r in creates if not r.errors])
            else:
                for row in creates:
                    self.create_one(row)
        for row in (r for r in live if r.deferred):
            # It names a row created earlier in this batch, which now exists.
            self.resolve_references([row], final=True)
            if row.errors:
                continue
            if row.existing is not None:
                self.handle_existing([row])
            else:
                self.create_one(row)  # deferred rows are only ever new rows of a creatable resource

    # 1. Cells and identity ---------------------------------------------------------------------
    def prepare(self, number, raw) -> _Row:
        row = _Row(number, raw)
        if isinstance(raw, Malformed):
            row.errors.append((ROW, raw.message))
            return row
        if self.cell_plan is not None:
            values, cell_errors = coerce_cells(self.cell_plan, raw)
            row.errors.extend(cell_errors.items())
        elif self.converters is not None:
            values, cell_errors = coerce_row(raw, self.converters)
            row.errors.extend(cell_errors.items())
        else:
            values = dict(raw)
        source_id = values.pop(ID_NAME, None)
        if self.created_names:
            row.created_at = self._timestamp(row, self.created_names, values)
        if self.updated_names:
            row.updated_at = self._timestamp(row, self.updated_names, values)
        for name in self.dropped:
            values.pop(name, None)  # read-only names of the document (__v, company_namespace, ...)
        if source_id not in (None, ""):
            self._identify(row, source_id)
        if self.natural_key:
            parts = tuple(self._clean(name, values.get(name)) for name in self.natural_key)
            if all(isinstance(p, (str, int, float)) and p != "" for p in parts):
                row.natural = tuple(self.resource.natural_value(str(p)) for p in parts)
        if row.repzo_id and isinstance(values.get("integration_meta"), dict):
            values["integration_meta"] = {**values["integration_meta"], "repzo_id": row.repzo_id}
        row.values = values
        return row

    def _clean(self, name, value):
        """`value` as the field validates it (" a@b.com " -> "a@b.com"), to compare with what
        is stored; the value itself when the field refuses it (the row reports that later)."""
        if value is None or name in self.targets or name in self.nested:
            return value
        short, check, _ = self.validator.plan[name]
        result = short(value) if short is not None else NO
        if result is NO:
            try:
                result = check(value)
            except Exception:  # noqa: BLE001  (any refusal: compare the raw value)
                return value
        return result

    def _identify(self, row, source_id) -> None:
        if not isinstance(source_id, str):
            source_id = str(source_id) if isinstance(source_id, int) and not isinstance(source_id, bool) else None
        if source_id is not None and ids.is_object_id(source_id):
            row.repzo_id = ids.source_key(source_id)
            row.pk = self._mapped(source_id)
            row.candidates = (row.pk,)
        elif source_id is not None and (own := ids.parse_id(source_id)) is not None:
            row.pk = self._mapped(source_id)  # a new row never takes a foreign id as its own
            row.candidates = (own, row.pk)
        else:
            row.errors.append((ID_NAME, "Expected an id: a UUID or a 24-hex ObjectId."))
            return
        row.source_id = source_id

    def _mapped(self, source_id):
        return ids.mapped_id(tenant_id=self.tenant.pk, model_label=self.label, source=source_id)

    @staticmethod
    def _timestamp(row, names, values):
        found = None
        for name in names:
            value = values.pop(name, None)
            if value in (None, "") or found is not None:
                continue
            parsed = parse_timestamp(value)
            if parsed is None:
                row.errors.append((name, "Expected an ISO 8601 date-time (or epoch milliseconds)."))
            found = parsed
        return found

    # 2. Duplicates in the file -----------------------------------------------------------------
    def _keys(self, row):
        if row.source_id is not None:
            yield fingerprint(("id", ids.source_key(row.source_id))), ID_NAME
        if row.natural is not None:
            yield fingerprint(("nk", *row.natural)), self.natural_key[0]

    def _duplicate(self, row, field_name, earlier) -> None:
        if field_name == ID_NAME:
            label = f"_id {row.source_id}"
        else:
            label = ", ".join(
                f"{n} '{row.values.get(n, v)}'" for n, v in zip(self.natural_key, row.natural, strict=True)
            )
        row.errors.append((field_name, f"Duplicate: {label} already appears at row {earlier}."))

    def claim_keys(self, rows) -> None:
        first, claims = {}, {}
        for row in rows:
            for key, field_name in self._keys(row):
                if key in first:
                    self._duplicate(row, field_name, first[key][0].number)
                else:
                    first[key] = (row, field_name)
                    claims[key] = row.number
        for key, earlier in self.seen.claim(claims).items():
            row, field_name = first[key]
            self._duplicate(row, field_name, earlier)

    # 3. Existing rows --------------------------------------------------------------------------
    def find_existing(self, rows) -> None:
        """Match rows to the tenant's rows: by id, else by natural key. Only ids and keys are
        read for the whole batch; full rows only for the matches (updates are the rare case)."""
        objects = self.model.objects.filter(tenant=self.tenant)
        matched = {}  # row -> pk
        with_ids = [r for r in rows if r.candidates]
        if with_ids:
            wanted = [c for r in with_ids for c in r.candidates]
            found = set(objects.filter(among(self.model, "pk", wanted, using=self.using)).values_list("pk", flat=True))
            for row in with_ids:
                pk = next((c for c in row.candidates if c in found), None)
                if pk is not None:
                    matched[row] = pk
        by_key = [r for r in rows if r not in matched and r.natural is not None]
        if by_key:
            paths = self.resource.natural_key_paths()
            if self.resource.natural_key_ignores_case:
                objects = objects.annotate(_natural=Lower(paths[0]))
                query, paths = Q(_natural__in={r.natural[0] for r in by_key}), ("_natural",)
            elif len(paths) == 1:
                query = among(self.model, paths[0], {r.natural[0] for r in by_key}, using=self.using)
            else:
                query = Q()
                for row in by_key:
                    query |= Q(**dict(zip(paths, row.natural, strict=True)))
            owners = defaultdict(list)
            for pk, *key in objects.filter(query).values_list("pk", *paths):
                owners[tuple(str(part) for part in key)].append(pk)
            for row in by_key:
                pks = owners.get(row.natural, [])
                if len(pks) > 1:
                    row.errors.append(
                        (self.natural_key[0], f"Ambiguous: {len(pks)} rows have this {self.natural_key[0]}; use _id.")
                    )
                elif pks:
                    matched[row] = pks[0]
        if matched:
            instances = objects.in_bulk(list(set(matched.values())))
            for row, pk in matched.items():
                row.existing = instances.get(pk)
        for row in rows:
            if row.existing is not None:
                row.pk = row.existing.pk  # a new row's id: mapped (set above) or minted on insert

    # 4. References -----------------------------------------------------------------------------
    def _reference_keys(self, row):
        """How other rows of the file may name this one."""
        if row.source_id is not None:
            yield ("id", ids.source_key(row.source_id))
        if row.natural is not None and len(row.natural) == 1:
            yield ("nk", row.natural[0])

    def resolve_references(self, rows, *, pending=None, final=False) -> None:
        """Replace reference values by our ids. A value naming a row created earlier in the
        same batch defers its row to the end of the batch's write (`pending`: how the batch's
        new rows may be named); `final` is that second look, from the writing transaction."""
        refs = References(self.tenant) if final else self.refs  # final: rows not committed yet
        wanted = defaultdict(set)
        for row in rows:
            for name, (model, many) in self.targets.items():
                value = row.values.get(name)
                if many and isinstance(value, list):
                    wanted[model].update(v for v in value if isinstance(v, str))
                elif isinstance(value, str):
                    wanted[model].add(value)
            for _path, item, key, model in self._nested_references(row):
                wanted[model].add(item[key])
        unresolved = False
        for model, values in wanted.items():
            unresolved |= refs.prefetch(model, values)
        if unresolved and self.writer is not None and not final and self.writer.busy():
            # A row being written by the other thread may be the one named: wait for it.
            self.writer.drain()
            for model, values in wanted.items():
                refs.prefetch(model, values)
        for row in rows:
            for name, (model, many) in self.targets.items():
                value = row.values.get(name)
                if many and isinstance(value, list):
                    resolved, missing = [], []
                    for item in value:
                        try:
                            resolved.append(refs.resolve(model, item))
                        except Unresolved as exc:
                            missing.append((item, str(exc)))
                    if not missing:
                        row.values[name] = resolved
                    elif not self._defer(row, model, [m for m, _ in missing], pending):
                        row.errors.append((name, " ".join(message for _, message in missing)))
                elif not many and isinstance(value, str):
                    try:
                        row.values[name] = refs.resolve(model, value)
                    except Unresolved as exc:
                        if not self._defer(row, model, [value], pending):
                            row.errors.append((name, str(exc)))
            for path, item, key, model in self._nested_references(row):
                try:
                    item[key] = refs.resolve(model, item[key])
                except Unresolved as exc:
                    row.errors.append((f"{path}.{key}", str(exc)))
        if final:
            for row in rows:
                row.deferred = False

    def _nested_references(self, row):
        """(path, object, key, target model) for each text value of a row that names a row
        from inside a document (a field's `nested_references`)."""
        for name, keys in self.nested.items():
            for path, item in _nested_items(name, row.values.get(name)):
                for key, model in keys.items():
                    if isinstance(item.get(key), str):
                        yield path, item, key, model

    def _defer(self, row, model, values, pending) -> bool:
        """Wait for the end of the batch when every missing value names an earlier row of it."""
        if not pending or model is not self.model:
            return False
        for value in values:
            if not isinstance(value, str):
                return False
            is_id = ids.is_object_id(value) or ids.parse_id(value) is not None
            earlier = pending.get(
                ("id", ids.source_key(value)) if is_id else ("nk", self.resource.natural_value(value))
            )
            if earlier is None or earlier >= row.number:
                return False
        row.deferred = True
        return True

    # 5. New rows -------------------------------------------------------------------------------
    def _validated(self, row):
        try:
            return self.validator.validate(row.values)
        except ValidationError as exc:
            row.errors.extend(flatten(exc.detail))
            return None

    def create_one(self, row) -> None:
        validated = self._validated(row)
        if validated is None:
            return
        if row.pk is None:
            row.pk = uuid7()  # chosen here, so a service that returns another row shows
        data = {**validated, "id": row.pk}
        if row.repzo_id and "integration_meta" not in row.values:
            data["integration_meta"] = {"repzo_id": row.repzo_id}
        savepoint = transaction.savepoint(using=self.using)
        try:
            instance = self.serializer.create(data)
            if instance.pk == row.pk:
                self.keep(row, instance)
        except WRITE_ERRORS as exc:
            transaction.savepoint_rollback(savepoint, using=self.using)
            row.errors.extend(describe(exc, self.writable))
            return
        transaction.savepoint_commit(savepoint, using=self.using)
        if instance.pk != row.pk:
            row.outcome, row.note = SKIPPED, f"The service returned the existing row {instance.pk}."
            row.pk = instance.pk
        else:
            row.outcome = CREATED

    def create_bulk(self, rows) -> None:
        batch = []
        for row in rows:
            data = row.data if row.data is not None else self._validated(row)
            if data is None:
                continue
            if row.pk is not None:
                data["id"] = row.pk  # a mapped id; others are minted by the insert
            if row.repzo_id and "integration_meta" not in row.values:
                data["integration_meta"] = {"repzo_id": row.repzo_id}
            if row.created_at is not None:
                data["created_at"] = row.created_at
            if row.updated_at is not None:
                data["updated_at"] = row.updated_at
            batch.append((row, data))
        if not batch:
            return
        outcome = self.bulk(tenant=self.tenant, rows=[data for _, data in batch])
        for index, (row, _data) in enumerate(batch):
            if index in outcome.errors:
                row.errors.append(outcome.errors[index])
            elif index in outcome.existing:
                row.outcome, row.note = SKIPPED, f"The service returned the existing row {outcome.existing[index]}."
                row.pk = outcome.existing[index]
            else:
                row.outcome, row.pk = CREATED, outcome.created.get(index, row.pk)

    def keep(self, row, instance) -> None:
        """Write what the file says that the services do not take: its timestamps and the
        Repzo id (after the save, which stamps its own)."""
        changes = {}
        if row.created_at is not None:
            changes["created_at"] = row.created_at
        if row.updated_at is not None:
            changes["updated_at"] = row.updated_at
        meta = instance.integration_meta if isinstance(instance.integration_meta, dict) else {}
        if row.repzo_id and meta.get("repzo_id") != row.repzo_id:
            changes["integration_meta"] = {**meta, "repzo_id": row.repzo_id}
        if changes:
            type(instance).objects.filter(pk=instance.pk).update(**changes)

    # 6. Existing rows --------------------------------------------------------------------------
    def documents(self, instances) -> dict:
        registry = self.resource.registry
        pks = [obj.pk for obj in instances]
        if registry.fast:
            docs = registry.render_rows(self.model.objects.filter(pk__in=pks).order_by("pk"), self.tenant)
        else:
            queryset = self.model.objects.filter(pk__in=pks).order_by("pk")
            docs = self.resource.serializer_class(list(queryset), many=True, context=self.context).data
        return {uuid.UUID(str(doc[ID_NAME])): doc for doc in docs}

    def handle_existing(self, rows) -> None:
        docs = self.documents([r.existing for r in rows])
        for row in rows:
            doc = docs.get(row.existing.pk, {})
            if self.same(row, doc):
                row.outcome = UNCHANGED
            elif self.options.mode == "skip":
                row.outcome, row.note = SKIPPED, "Exists with other values."
            elif not self.resource.can_update:
                row.errors.append(
                    (ROW, f"Already exists as {row.existing.pk}, and {self.resource.name} rows cannot be updated.")
                )
            else:
                self.update_one(row, doc)

    def update_one(self, row, before) -> None:
        savepoint = transaction.savepoint(using=self.using)
        serializer = self.resource.serializer_class(row.existing, data=row.values, partial=True, context=self.context)
        try:
            if not serializer.is_valid():
                transaction.savepoint_rollback(savepoint, using=self.using)
                row.errors.extend(flatten(serializer.errors))
                return
            saved = serializer.save()
            self.keep(row, saved)
            after = self.documents([saved]).get(saved.pk, {})
        except WRITE_ERRORS as exc:
            transaction.savepoint_rollback(savepoint, using=self.using)
            row.errors.extend(describe(exc, self.writable))
            return
        if same_document(before, after):
            transaction.savepoint_rollback(savepoint, using=self.using)
            row.outcome = UNCHANGED
        elif self.options.mode == "create":
            transaction.savepoint_rollback(savepoint, using=self.using)
            row.errors.append(
                (
                    ROW,
                    f"Already exists as {row.existing.pk} with other values: "
                    "use --update to change it or --skip-existing to leave it.",
                )
            )
        else:
            transaction.savepoint_commit(savepoint, using=self.using)
            row.outcome = UPDATED

    def same(self, row, doc) -> bool:
        """The row would change nothing in the document it matched."""
        for name, value in row.values.items():
            target = self.targets.get(name)
            mine, theirs = self._clean(name, value), doc.get(name)
            if isinstance(mine, (list, dict)):
                mine, theirs = without_ids(mine), without_ids(theirs)
            if not equal(mine, theirs, refs=bool(target and target[1])):
                return False
        for wanted, names in ((row.created_at, CREATED_NAMES), (row.updated_at, UPDATED_NAMES)):
            if wanted is not None:
                current = next((doc[n] for n in names if n in doc), None)
                if parse_timestamp(current) != wanted.replace(microsecond=wanted.microsecond // 1000 * 1000):
                    return False
        if row.repzo_id and "integration_meta" not in row.values:
            meta = row.existing.integration_meta
            if not isinstance(meta, dict) or meta.get("repzo_id") != row.repzo_id:
                return False
        return True


def _nested_items(name, value):
    """(path, object) for the objects of a field's value that may hold references: the items
    of a list of objects (`clients.0`), or the object itself."""
    if isinstance(value, dict):
        yield name, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{name}.{index}", item

"""Export a resource's rows as the API renders them, in any import format.

Rows are read in id order, a page at a time (keyset on the id, so page 500 costs what page 1
does), rendered by the field registry's values() path when the resource has one (the list
endpoint's fast path) or by its serializer, and streamed to the writer: memory stays flat
whatever the number of rows. What is exported imports back (import_data) to the same rows.
"""

from core.api.fields import NamespaceField

from .coerce import converter_for, to_json_or_text
from .resources import Resource, get_resource
from .writers import make_writer

PAGE = 2000


def export_columns(resource: Resource) -> tuple[list[str], set[str]]:
    """(the document's field names in order, the names whose cells are always JSON)."""
    serializer = resource.serializer_class(context={})
    fields = serializer.fields
    if resource.registry.fast:
        names = list(resource.registry.fields)
    else:
        names = [name for name, f in fields.items() if not f.write_only]
    json_columns = {
        name
        for name in names
        if name in fields
        and not fields[name].read_only
        and not isinstance(fields[name], NamespaceField)
        and converter_for(fields[name]) is to_json_or_text
    }
    return names, json_columns


def iter_documents(resource: Resource, tenant, queryset=None, *, page=PAGE):
    """The tenant's documents of `resource` (or of the rows of `queryset`), in id order."""
    base = (queryset if queryset is not None else resource.model.objects.all()).filter(tenant=tenant)
    registry = resource.registry
    last = None
    while True:
        window = base.order_by("pk")
        if last is not None:
            window = window.filter(pk__gt=last)
        window = window[:page]
        if registry.fast:
            docs = registry.render_rows(window, tenant)
        else:
            rows = list(window)
            docs = resource.serializer_class(rows, many=True, context={"tenant": tenant}).data
        if not docs:
            return
        yield from docs
        if len(docs) < page:
            return
        last = docs[-1]["_id"]


def export_resource(resource, tenant, fmt: str, stream, *, queryset=None, bom=False, progress=None) -> int:
    """Write the documents to a binary stream; returns how many were written. `progress` (a
    report.Progress) is told the rows written as they go, and their total first when it shows."""
    if isinstance(resource, str):
        resource = get_resource(resource)
    columns, json_columns = export_columns(resource)
    writer = make_writer(fmt, stream, columns, json_columns=json_columns, title=resource.name, bom=bom)
    if progress is not None and progress.enabled:  # the count only for a terminal that shows it
        progress.total = (
            (queryset if queryset is not None else resource.model.objects.all()).filter(tenant=tenant).count()
        )
    try:
        for doc in iter_documents(resource, tenant, queryset):
            writer.write(doc)
            if progress is not None:
                progress.update(writer.count)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    if progress is not None:
        progress.finish(writer.count)
    return writer.count

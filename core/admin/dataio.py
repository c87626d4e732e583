"""Import and export in the admin, on the engine of import_data/export_data (core/dataio/).

Every resource admin (TenantScopedAdmin inherits this) gets
* an "Import" button on its change list: upload a file (csv, json, jsonl, xlsx) and choose
  what an existing row means; the engine runs as a dry run and the page shows what would
  happen (counts, each failed row's field and reason, the first rows' planned actions); then
  "Confirm" imports the same file, kept meanwhile in a private temporary directory;
* "Export selected rows as CSV / JSON / JSONL / XLSX" actions: the documents as the API renders them.

Staff import into their own tenant; a superuser picks the tenant.
"""

import os
import secrets
import tempfile
import time

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.dataio import FORMATS, ImportOptions, ImportReport, export_resource, import_file, resource_for_model
from core.dataio.readers import guess_format
from core.dataio.writers import CONTENT_TYPES, ExportError
from core.models import Tenant

UPLOAD_DIR = os.path.join(tempfile.gettempdir(), "dataio-uploads")
UPLOAD_MAX_AGE = 24 * 3600  # an upload never confirmed is deleted after a day
SESSION_KEY = "dataio_uploads"
EXPORT_FORMATS = ("csv", "json", "jsonl", "xlsx")
MODES = [
    ("create", "Create new rows; a row that already exists is an error"),
    ("update", "Create new rows and update existing ones"),
    ("skip", "Create new rows and leave existing ones as they are"),
]


class ImportForm(forms.Form):
    file = forms.FileField()
    format = forms.ChoiceField(
        choices=[("", "From the file name"), *[(f, f) for f in FORMATS]], required=False, label="Format"
    )
    mode = forms.ChoiceField(choices=MODES, initial="create", label="Existing rows")
    tenant = forms.ModelChoiceField(queryset=Tenant.objects.order_by("namespace"), required=False)


def _actor(request) -> dict:
    user = request.user
    return {"_id": str(user.pk), "name": user.get_username(), "type": "admin"}


def _export_action(fmt):
    def action(modeladmin, request, queryset):
        return modeladmin.export_rows(request, queryset, fmt)

    action.__name__ = f"export_{fmt}"
    return action


class DataImportExportMixin:
    change_list_template = "admin/dataio/change_list.html"
    import_template = "admin/dataio/import.html"
    import_preview_rows = 50

    def dataio_resource(self):
        return resource_for_model(self.model)

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    # Wiring ------------------------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="{}_{}_import".format(*info)), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        can_import = self.dataio_resource() is not None and self.has_import_permission(request)
        return super().changelist_view(request, {**(extra_context or {}), "dataio_import": can_import})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.dataio_resource() is not None and self.has_view_permission(request):
            for fmt in EXPORT_FORMATS:
                action = _export_action(fmt)
                actions[action.__name__] = (action, action.__name__, f"Export selected rows as {fmt.upper()}")
        return actions

    # Export ------------------------------------------------------------------------------------
    def export_rows(self, request, queryset, fmt):
        resource = self.dataio_resource()
        tenant_ids = list(queryset.order_by().values_list("tenant_id", flat=True).distinct()[:2])
        if len(tenant_ids) != 1:
            self.message_user(request, "Select rows of one tenant to export.", messages.ERROR)
            return None
        tenant = Tenant.objects.get(pk=tenant_ids[0])
        buffer = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115  (FileResponse closes it)
        try:
            export_resource(resource, tenant, fmt, buffer, queryset=queryset, bom=fmt == "csv")
        except ExportError as exc:
            buffer.close()
            self.message_user(request, str(exc), messages.ERROR)
            return None
        buffer.seek(0)
        stem = resource.name.replace("/", "-")
        filename = f"{stem}-{tenant.namespace}-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"
        return FileResponse(buffer, as_attachment=True, filename=filename, content_type=CONTENT_TYPES[fmt])

    # Import ------------------------------------------------------------------------------------
    def import_view(self, request):
        resource = self.dataio_resource()
        if resource is None:
            raise Http404("This model is not an API resource.")
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request, resource)
        form = ImportForm(request.POST or None, request.FILES or None)
        if not request.user.is_superuser:
            del form.fields["tenant"]
        context = {**self.admin_site.each_context(request), "opts": self.opts, "resource": resource, "form": form}
        context["title"] = f"Import {self.opts.verbose_name_plural}"
        if request.method == "POST" and form.is_valid():
            preview = self._preview(request, resource, form)
            if preview is not None:
                context.update(preview)
        return TemplateResponse(request, self.import_template, context)

    def _tenant(self, request, form):
        if request.user.is_superuser:
            tenant = form.cleaned_data.get("tenant") or getattr(request.user, "tenant", None)
            if tenant is None:
                form.add_error("tenant", "Choose the tenant to import into.")
            return tenant
        tenant = getattr(request.user, "tenant", None)
        if tenant is None:
            form.add_error(None, "Your user has no tenant to import into.")
        return tenant

    def _preview(self, request, resource, form) -> dict | None:
        tenant = self._tenant(request, form)
        upload = form.cleaned_data["file"]
        fmt = form.cleaned_data["format"] or guess_format(upload.name)
        if fmt is None:
            form.add_error("format", f"Cannot tell the format from '{upload.name}': choose one.")
        if tenant is None or fmt is None:
            return None
        token, stored = _store_upload(upload, fmt)
        mode = form.cleaned_data["mode"]
        report = ImportReport(resource.name, dry_run=True, preview=self.import_preview_rows, keep_errors=200)
        options = ImportOptions(mode=mode, dry_run=True, actor=_actor(request))
        import_file(resource=resource, tenant=tenant, path=stored, fmt=fmt, options=options, report=report)
        if report.file_errors:
            os.unlink(stored)
        else:
            uploads = request.session.get(SESSION_KEY, {})
            uploads[token] = {
                "path": stored,
                "format": fmt,
                "mode": mode,
                "tenant": str(tenant.pk),
                "resource": resource.name,
                "name": upload.name,
            }
            request.session[SESSION_KEY] = uploads
        return {"report": report, "token": token, "tenant": tenant, "upload_name": upload.name, "mode": mode}

    def _confirm(self, request, resource):
        uploads = request.session.get(SESSION_KEY, {})
        entry = uploads.pop(request.POST.get("token", ""), None)
        request.session[SESSION_KEY] = uploads
        import_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        if entry is None or entry["resource"] != resource.name or not os.path.exists(entry["path"]):
            self.message_user(request, "That upload has expired: upload the file again.", messages.ERROR)
            return redirect(import_url)
        tenant = Tenant.objects.filter(pk=entry["tenant"]).first()
        if tenant is None or not (request.user.is_superuser or tenant == getattr(request.user, "tenant", None)):
            raise PermissionDenied
        report = ImportReport(resource.name, keep_errors=200)
        options = ImportOptions(mode=entry["mode"], actor=_actor(request))
        try:
            import_file(
                resource=resource,
                tenant=tenant,
                path=entry["path"],
                fmt=entry["format"],
                options=options,
                report=report,
            )
        finally:
            os.unlink(entry["path"])
        if report.exit_code == 0:
            self.message_user(request, report.summary(), messages.SUCCESS)
            return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "resource": resource,
            "title": f"Import {self.opts.verbose_name_plural}",
            "report": report,
            "done": True,
            "tenant": tenant,
            "upload_name": entry["name"],
        }
        return TemplateResponse(request, self.import_template, context)


def _store_upload(upload, fmt) -> tuple[str, str]:
    """Keep an upload until it is confirmed (or a day has passed)."""
    os.makedirs(UPLOAD_DIR, mode=0o700, exist_ok=True)
    now = time.time()
    for name in os.listdir(UPLOAD_DIR):
        stale = os.path.join(UPLOAD_DIR, name)
        try:
            if now - os.path.getmtime(stale) > UPLOAD_MAX_AGE:
                os.unlink(stale)
        except OSError:
            pass
    token = secrets.token_hex(16)
    stored = os.path.join(UPLOAD_DIR, f"{token}.{fmt}")
    with open(stored, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return token, stored

"""Admin of the invoice serial counters. Writes go through finance/services/serials.py: a
counter is unique per rep, warehouse and invoice type, `current_serial` is never lowered (the
form checks it against the stored value, the service again under the row lock), the key is
fixed once created, and a counter that has issued numbers is not deleted."""

from django import forms
from django.contrib import admin

from core.admin.base import TenantScopedAdmin, user_tenant
from finance.models import InvoiceSerialCounter
from finance.services import serials as services

KEY_FIELDS = ("rep", "warehouse", "invoice_type")


class InvoiceSerialCounterForm(forms.ModelForm):
    class Meta:
        model = InvoiceSerialCounter
        fields = ["tenant", "rep", "warehouse", "invoice_type", "current_serial", "prefix", "suffix", "pad_length"]
        help_texts = dict.fromkeys(KEY_FIELDS, "Fixed once the counter is created.") | {
            "current_serial": "The last number issued. It can be raised (numbers are skipped), never lowered."
        }

    def clean(self):
        cleaned = super().clean()
        counter = self.instance
        if counter._state.adding:
            tenant = cleaned.get("tenant") or (counter.tenant if counter.tenant_id else None)
            if tenant is not None and all(cleaned.get(name) for name in KEY_FIELDS):
                existing = services.find_counter(
                    tenant=tenant,
                    rep_id=cleaned["rep"].pk,
                    warehouse_id=cleaned["warehouse"].pk,
                    invoice_type=cleaned["invoice_type"],
                )
                if existing is not None:
                    self.add_error("invoice_type", "This rep and warehouse already have a counter of this type.")
            return cleaned
        for name in KEY_FIELDS:
            if name in self.changed_data and name in cleaned:
                self.add_error(name, "Cannot be changed: a counter's rep, warehouse and invoice type are fixed.")
        if "current_serial" in self.changed_data and cleaned.get("current_serial") is not None:
            stored = InvoiceSerialCounter.objects.filter(pk=counter.pk).values_list("current_serial", flat=True).first()
            error = services.lowering_error(stored=stored or 0, requested=cleaned["current_serial"])
            if error:
                self.add_error("current_serial", error)
        return cleaned

    def _get_validation_exclusions(self):
        # The key's uniqueness is checked above within the tenant (and by the service).
        return {*super()._get_validation_exclusions(), *KEY_FIELDS}


@admin.register(InvoiceSerialCounter)
class InvoiceSerialCounterAdmin(TenantScopedAdmin):
    form = InvoiceSerialCounterForm
    list_display = ("rep", "warehouse", "invoice_type", "formatted_current", "last_used_date")
    list_filter = ("invoice_type",)
    search_fields = ("rep__name", "warehouse__name", "prefix", "suffix")
    autocomplete_fields = ("rep", "warehouse")
    list_select_related = ("rep", "warehouse")
    readonly_fields = ("formatted_current", "last_used_date")

    @admin.display(description="Last number issued")
    def formatted_current(self, obj):
        return obj.formatted_current if obj is not None and obj.pk else "-"

    def save_model(self, request, obj, form, change):
        if not change:
            if not obj.tenant_id:
                obj.tenant = user_tenant(request)
            data = {
                name: getattr(obj, name) for name in (*KEY_FIELDS, "current_serial", "prefix", "suffix", "pad_length")
            }
            saved = services.create_counter(tenant=obj.tenant, data=data)
            obj.pk, obj._state.adding = saved.pk, False
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name not in KEY_FIELDS}
        services.update_counter(counter=obj, data=changes)
        obj.refresh_from_db()

    def get_deleted_objects(self, objs, request):
        # A counter that has issued numbers shows as protected: Django's delete page and the
        # bulk delete action then refuse it, as the service would (409 in the API).
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for counter in objs:
            if counter.current_serial > 0:
                protected.append(f"{counter}: has issued numbers up to {counter.formatted_current}")
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        services.delete_counter(counter=obj)

    def delete_queryset(self, request, queryset):
        for counter in queryset:
            services.delete_counter(counter=counter)

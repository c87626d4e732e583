"""Admin of the sales organisation. Reps, routes and warehouses save through their services
(hashed passwords and unique identities, route client lists, GeoJSON locations)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from core.admin.base import ScopedChoicesMixin, TenantScopedAdmin, user_tenant
from sales.models import InventoryAdjustmentReason, Rep, ReturnReason, Route, RouteClient, Supplier, Team, Warehouse
from sales.services import organisation as services


def _object_errors(form, name, check) -> None:
    """Report a JSON object's problems (a service check) on its form field."""
    value = form.cleaned_data.get(name)
    if value is None:
        return
    errors = check(value)
    if errors:
        form.add_error(name, "; ".join(f"{path}: {message}" if path else message for path, message in errors.items()))


@admin.register(Team)
class TeamAdmin(TenantScopedAdmin):
    list_display = ("name", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("disabled",)
    readonly_fields = ("members",)

    @admin.display(description="Members")
    def members(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        reps = obj.reps.order_by("name").values_list("name", "role")
        return format_html_join(", ", "{} ({})", reps) or "-"


class RepAdminForm(forms.ModelForm):
    """The stored hash is never shown; a new password is typed in (required when adding)."""

    new_password = forms.CharField(
        required=False, strip=False, widget=forms.PasswordInput(render_value=False), help_text="Leave empty to keep."
    )

    class Meta:
        model = Rep
        fields = [
            "tenant", "name", "email", "username", "phone", "role", "team", "disabled", "permissions", "settings",
            "integration_meta",
        ]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if self.instance._state.adding and not cleaned.get("new_password"):
            self.add_error("new_password", "A new rep needs a password.")
        _object_errors(self, "permissions", services.rep_permissions_errors)
        _object_errors(self, "settings", services.rep_settings_errors)
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        if tenant is not None and cleaned.get("email"):
            conflicts = services.rep_identity_conflicts(
                tenant=tenant,
                email=cleaned["email"].strip(),
                username=(cleaned.get("username") or "").strip(),
                exclude_pk=None if self.instance._state.adding else self.instance.pk,
            )
            for field, message in conflicts.items():
                self.add_error(field, message)
        return cleaned

    def _get_validation_exclusions(self):
        # Email/username uniqueness is checked above per tenant and case-insensitively.
        return {*super()._get_validation_exclusions(), "email", "username"}


@admin.register(Rep)
class RepAdmin(TenantScopedAdmin):
    form = RepAdminForm
    exclude = ("password",)
    list_display = ("name", "email", "role", "team", "disabled")
    search_fields = ("name", "email", "username", "phone")
    list_filter = ("disabled", "role", "team")
    autocomplete_fields = ("team",)
    list_select_related = ("team",)

    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        services.save_rep(rep=obj, password=form.cleaned_data.get("new_password") or None)


class RouteClientFormSet(forms.BaseInlineFormSet):
    """Checks the whole list with the service's rules (each client once, distinct priorities)."""

    def entries(self) -> list[dict]:
        return [
            {"client": form.cleaned_data["client"], "priority": form.cleaned_data.get("priority")}
            for form in self.forms
            if form.cleaned_data and form.cleaned_data.get("client") and not form.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        tenant_id = self.instance.tenant_id
        errors = services.route_clients_errors(self.entries(), tenant_id=tenant_id)
        if errors:
            raise ValidationError([f"Row {i + 1}, {name}: {message}" for (i, name), message in sorted(errors.items())])


class RouteClientInline(ScopedChoicesMixin, admin.TabularInline):
    model = RouteClient
    formset = RouteClientFormSet
    fields = ("client", "priority")
    autocomplete_fields = ("client",)
    ordering = ("position",)
    extra = 1

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "priority":
            kwargs.update(required=False, initial=None, help_text="Empty: numbered after the others.")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Route)
class RouteAdmin(TenantScopedAdmin):
    list_display = ("name", "rep", "day", "disabled", "updated_at")
    search_fields = ("name", "rep__name")
    list_filter = ("day", "disabled")
    autocomplete_fields = ("rep",)
    inlines = (RouteClientInline,)

    def save_formset(self, request, form, formset, change):
        if formset.model is RouteClient:
            services.set_route_clients(route=form.instance, entries=formset.entries())
            # The change message reads what formset.save() would have recorded.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        else:
            super().save_formset(request, form, formset, change)


class WarehouseAdminForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def clean(self):
        cleaned = super().clean()
        _object_errors(self, "location", services.location_errors)
        return cleaned


@admin.register(Warehouse)
class WarehouseAdmin(TenantScopedAdmin):
    form = WarehouseAdminForm
    list_display = ("name", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("disabled",)

    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        services.save_warehouse(warehouse=obj)


@admin.register(Supplier)
class SupplierAdmin(TenantScopedAdmin):
    list_display = ("name", "email", "phone", "disabled", "updated_at")
    search_fields = ("name", "email", "phone")
    list_filter = ("disabled",)


@admin.register(ReturnReason)
class ReturnReasonAdmin(TenantScopedAdmin):
    list_display = ("name", "local_name", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("disabled",)


@admin.register(InventoryAdjustmentReason)
class InventoryAdjustmentReasonAdmin(TenantScopedAdmin):
    list_display = ("name", "type", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("type", "disabled")

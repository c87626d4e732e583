"""Admin of the sales pricing models. Rows save through sales/services/pricing.py; the models'
clean() runs the services' checks, so a form shows the errors the API answers with."""

from django import forms
from django.contrib import admin

from core.admin.base import TenantScopedAdmin, user_tenant
from sales.models import MeasureUnit, MeasureUnitFamily, Msl, MslProduct, PriceList, PriceListItem, Tax
from sales.services import pricing as services


def _set_tenant(request, obj, change):
    if not change and not obj.tenant_id:
        obj.tenant = user_tenant(request)


@admin.register(Tax)
class TaxAdmin(TenantScopedAdmin):
    list_display = ("name", "rate", "type", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("type", "disabled")

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        services.save_tax(tax=obj)


@admin.register(MeasureUnit)
class MeasureUnitAdmin(TenantScopedAdmin):
    list_display = ("name", "factor", "parent", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("disabled", ("parent", admin.RelatedOnlyFieldListFilter))
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        services.save_measure_unit(unit=obj)


class MeasureUnitFamilyForm(forms.ModelForm):
    class Meta:
        model = MeasureUnitFamily
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def clean(self):
        cleaned = super().clean()
        units = cleaned.get("measureunits")
        if units is not None:
            for field, message in services.family_units_errors(units).items():
                self.add_error(field, message)
        return cleaned


@admin.register(MeasureUnitFamily)
class MeasureUnitFamilyAdmin(TenantScopedAdmin):
    form = MeasureUnitFamilyForm
    list_display = ("name", "local_name", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("disabled",)
    autocomplete_fields = ("measureunits",)

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        services.save_measure_unit_family(family=obj, measureunits=form.cleaned_data.get("measureunits"))


@admin.register(PriceList)
class PriceListAdmin(TenantScopedAdmin):
    list_display = ("name", "created_by_name", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("disabled",)
    readonly_fields = ("createdby",)

    @admin.display(description="created by")
    def created_by_name(self, obj):
        return (obj.createdby or {}).get("name") or ""

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        user = request.user
        services.save_price_list(price_list=obj, actor={"_id": str(user.pk), "name": user.get_username()})

    def delete_model(self, request, obj):
        services.delete_price_list(price_list=obj)

    def delete_queryset(self, request, queryset):
        services.delete_price_lists(queryset=queryset)


@admin.register(PriceListItem)
class PriceListItemAdmin(TenantScopedAdmin):
    list_display = ("pricelist", "product", "variant", "price", "disabled")
    search_fields = ("pricelist__name", "product__name", "variant__name")
    list_filter = ("disabled", ("pricelist", admin.RelatedOnlyFieldListFilter))
    autocomplete_fields = ("pricelist", "product", "variant")
    list_select_related = ("pricelist", "product", "variant")

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        services.save_price_list_item(item=obj)


@admin.register(Msl)
class MslAdmin(TenantScopedAdmin):
    list_display = ("name", "client", "rep", "start_date", "end_date")
    search_fields = ("name", "client__name", "rep__name")
    list_filter = ("disabled", "start_date")
    autocomplete_fields = ("client", "rep")
    list_select_related = ("client", "rep")

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        services.save_msl(msl=obj)


@admin.register(MslProduct)
class MslProductAdmin(TenantScopedAdmin):
    list_display = ("msl", "product", "variant", "target_quantity", "disabled")
    search_fields = ("msl__name", "product__name", "variant__name")
    list_filter = ("disabled", ("msl", admin.RelatedOnlyFieldListFilter))
    autocomplete_fields = ("msl", "product", "variant")
    list_select_related = ("msl", "product", "variant")

    def save_model(self, request, obj, form, change):
        _set_tenant(request, obj, change)
        services.save_msl_product(line=obj)

"""Admin of the sales catalogue. Products, variants, sub-categories and modifier groups save
through their services (one default variant, sub-categories inside the product's category,
modifier ids and rules, groups pulled from products when deleted)."""

from django import forms
from django.contrib import admin
from django.db.models import F
from rest_framework.exceptions import ValidationError as ApiValidationError

from core import services as core_services
from core.admin.base import ScopedChoicesMixin, TenantScopedAdmin, user_tenant
from core.api.exceptions import flatten_errors, summary
from sales.models import (
    Product,
    ProductBrand,
    ProductCategory,
    ProductGroup,
    ProductModifiersGroup,
    ProductSubCategory,
    Variant,
)
from sales.services import catalogue as services


class CrossGroupAutocomplete:
    """Autocomplete for references to other groups' models once their admin can search them
    (declared as `autocomplete_fields` it would fail the admin checks until then)."""

    cross_group_autocomplete: tuple = ()

    def get_autocomplete_fields(self, request):
        fields = list(super().get_autocomplete_fields(request))
        for name in self.cross_group_autocomplete:
            target = self.model._meta.get_field(name).related_model
            target_admin = self.admin_site._registry.get(target)
            if target_admin is not None and target_admin.search_fields:
                fields.append(name)
        return fields


def _tenant_of(request, obj):
    if not obj.tenant_id:
        obj.tenant = user_tenant(request)


@admin.register(ProductCategory)
class ProductCategoryAdmin(TenantScopedAdmin):
    list_display = ("name", "type", "position", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("type", "disabled")


class ProductSubCategoryForm(forms.ModelForm):
    class Meta:
        model = ProductSubCategory
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def clean(self):
        cleaned = super().clean()
        parent = cleaned.get("parent")
        instance = self.instance
        if parent is not None and not instance._state.adding and parent.pk != instance.parent_id:
            try:
                services.refuse_moving_used_sub_category(instance)
            except Exception as exc:  # Conflict: shown on the form instead of a 409
                self.add_error("parent", str(getattr(exc, "detail", exc)))
        return cleaned


@admin.register(ProductSubCategory)
class ProductSubCategoryAdmin(TenantScopedAdmin):
    form = ProductSubCategoryForm
    list_display = ("name", "parent", "position", "disabled", "updated_at")
    search_fields = ("name", "local_name", "parent__name")
    list_filter = ("disabled",)
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)


@admin.register(ProductBrand)
class ProductBrandAdmin(TenantScopedAdmin):
    list_display = ("name", "local_name", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("disabled",)


@admin.register(ProductGroup)
class ProductGroupAdmin(TenantScopedAdmin):
    list_display = ("name", "local_name", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("disabled",)


class ProductModifiersGroupForm(forms.ModelForm):
    class Meta:
        model = ProductModifiersGroup
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def clean_modifiers(self):
        from sales.serializers.catalogue import ModifiersField

        try:
            return ModifiersField().to_internal_value(self.cleaned_data.get("modifiers") or [])
        except ApiValidationError as exc:
            raise forms.ValidationError(summary(flatten_errors(exc.detail, "modifiers"))) from None

    def clean(self):
        cleaned = super().clean()
        errors = services.modifiers_group_errors(
            modifiers=cleaned.get("modifiers") or [],
            is_required=cleaned.get("is_required", False),
            max_selection=cleaned.get("max_selection") or 0,
        )
        for name, messages in errors.items():
            self.add_error(name, messages)
        return cleaned


@admin.register(ProductModifiersGroup)
class ProductModifiersGroupAdmin(TenantScopedAdmin):
    form = ProductModifiersGroupForm
    list_display = ("name", "is_required", "max_selection", "disabled", "updated_at")
    search_fields = ("name", "description")
    list_filter = ("is_required", "disabled")

    def save_model(self, request, obj, form, change):
        _tenant_of(request, obj)
        services.save_modifiers_group(group=obj)

    def delete_model(self, request, obj):
        services.delete_modifiers_groups(tenant=obj.tenant, ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        for tenant_id in set(queryset.values_list("tenant_id", flat=True)):
            rows = queryset.filter(tenant_id=tenant_id)
            services.delete_modifiers_groups(tenant=rows.first().tenant, ids=list(rows.values_list("pk", flat=True)))


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def clean(self):
        cleaned = super().clean()
        category = cleaned.get("category")
        subs = cleaned.get("sub_category")
        if category is not None and subs is not None:
            errors = services.sub_category_errors(category, subs)
            if errors:
                self.add_error(
                    "sub_category", " ".join(message for messages in errors.values() for message in messages)
                )
        return cleaned


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def _get_validation_exclusions(self):
        # One default per product is kept by the service (the new default unsets the old one),
        # so the form must not refuse a second default up front.
        return {*super()._get_validation_exclusions(), "is_default"}


class VariantInline(ScopedChoicesMixin, admin.TabularInline):
    model = Variant
    form = VariantForm
    fields = ("name", "price", "sku", "barcode", "is_default", "disabled", "position")
    # The default first, then as the catalogue places them; ties in creation order (UUIDv7 ids).
    ordering = ("-is_default", F("position").asc(nulls_last=True), "pk")
    extra = 0
    show_change_link = True


@admin.register(Product)
class ProductAdmin(CrossGroupAutocomplete, TenantScopedAdmin):
    form = ProductForm
    list_display = ("name", "sku", "category", "base_price", "active")
    search_fields = ("name", "local_name", "sku", "barcode")
    list_filter = ("active", "featured", "frozen_sales", "frozen_pre_sales", "category")
    autocomplete_fields = ("category", "sub_category", "brand", "product_groups", "modifiers_group", "assigned_media")
    cross_group_autocomplete = ("sv_tax", "sv_measure_unit", "measureunit_family", "assigned_to", "teams")
    list_select_related = ("category",)

    def get_inlines(self, request, obj):
        return [VariantInline] if obj is not None else []  # variants of a saved product

    def save_formset(self, request, form, formset, change):
        """Inline variants save through the service (one default per product)."""
        if formset.model is not Variant:
            return super().save_formset(request, form, formset, change)
        variants = formset.save(commit=False)
        for variant in formset.deleted_objects:
            core_services.delete_row(instance=variant)
        # Defaults last, so the new default unsets the old one rather than the reverse.
        for variant in sorted(variants, key=lambda v: v.is_default):
            variant.tenant_id = variant.tenant_id or form.instance.tenant_id
            services.save_variant(variant=variant)
        formset.save_m2m()


@admin.register(Variant)
class VariantAdmin(TenantScopedAdmin):
    form = VariantForm
    list_display = ("name", "product", "sku", "price", "is_default")
    search_fields = ("name", "local_name", "sku", "barcode", "product__name")
    list_filter = ("disabled", "is_default")
    autocomplete_fields = ("product", "modifiers_groups")
    list_select_related = ("product",)

    def save_model(self, request, obj, form, change):
        _tenant_of(request, obj)
        services.save_variant(variant=obj)

"""Viewsets of the sales catalogue resources.

Documented list filters are only the opaque `params` object for the family-D resources; the
filters declared here are the obvious ones (references, codes, flags). `populatedKeys` on a
reference to another group's resource (tax, measure unit, rep, team, media) expands through
whatever serializer the router registered for that model.
"""

from django.apps import apps
from django.db.models import Q

from core import rowcounts
from core.api.listing import get_list
from core.api.registry import RESOURCE_SERIALIZERS
from core.api.viewsets import ResourceViewSet
from core.ids import parse_uuid
from sales.models import (
    Product,
    ProductBrand,
    ProductCategory,
    ProductGroup,
    ProductModifiersGroup,
    ProductSubCategory,
    Variant,
)
from sales.serializers import catalogue as s
from sales.services import catalogue as services


class PopulateOtherResources:
    """`populate` = `own_populate` plus `foreign_populate` ({key: "app.Model"}) resolved to the
    serializer registered for that model, so this group needs no import of the others'."""

    own_populate: dict = {}
    foreign_populate: dict = {}

    @property
    def populate(self) -> dict:
        expansions = dict(self.own_populate)
        for key, label in self.foreign_populate.items():
            serializer = RESOURCE_SERIALIZERS.get(apps.get_model(label))
            if serializer is not None:
                expansions[key] = serializer
        return expansions


class ProductCategoryViewSet(ResourceViewSet):
    queryset = ProductCategory.objects.all()
    serializer_class = s.ProductCategorySerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name", "type"]


class ProductSubCategoryViewSet(ResourceViewSet):
    queryset = ProductSubCategory.objects.all()
    serializer_class = s.ProductSubCategorySerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name", "parent_id"]
    populate = {"parent_id": s.ProductCategorySerializer}


class ProductBrandViewSet(ResourceViewSet):
    queryset = ProductBrand.objects.all()
    serializer_class = s.ProductBrandSerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name"]


class ProductGroupViewSet(ResourceViewSet):
    queryset = ProductGroup.objects.all()
    serializer_class = s.ProductGroupSerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name"]


class ProductModifiersGroupViewSet(ResourceViewSet):
    """Family B. Deleting groups (one, or `/remove`) pulls them from products and variants."""

    queryset = ProductModifiersGroup.objects.all()
    serializer_class = s.ProductModifiersGroupSerializer
    natural_key = ("name",)
    search_fields = ["name", "description"]
    filter_fields = ["name", "is_required"]
    operations = {"list", "create", "retrieve", "update", "destroy", "remove"}

    def perform_destroy(self, instance):
        services.delete_modifiers_groups(tenant=self.tenant, ids=[instance.pk])

    def perform_remove(self, ids):
        services.delete_modifiers_groups(tenant=self.tenant, ids=ids)


class ProductViewSet(PopulateOtherResources, ResourceViewSet):
    queryset = Product.objects.all()
    serializer_class = s.ProductSerializer
    natural_key = ("sku",)
    search_fields = ["name", "local_name", "sku", "barcode"]
    filter_fields = [
        "name", "sku", "barcode", "category", "sub_category", "brand", "product_groups", "modifiers_group",
        "sv_tax", "sv_measureUnit", "measureunit_family", "assigned_to", "teams", "active", "featured",
        "auditable", "frozen_sales", "frozen_pre_sales",
    ]  # fmt: skip
    own_populate = {
        "category": s.ProductCategorySerializer,
        "sub_category": s.ProductSubCategorySerializer,
        "brand": s.ProductBrandSerializer,
        "product_groups": s.ProductGroupSerializer,
        "modifiers_group": s.ProductModifiersGroupSerializer,
    }
    foreign_populate = {
        "sv_tax": "sales.Tax",
        "sv_measureUnit": "sales.MeasureUnit",
        "measureunit_family": "sales.MeasureUnitFamily",
        "assigned_to": "sales.Rep",
        "teams": "sales.Team",
        "assigned_media": "core.Media",
    }


HIDE_DISABLED = Q(disabled=False)


class VariantViewSet(ResourceViewSet):
    """Disabled variants are hidden unless `withDisabled=true` (or `disabled=` asks for them).
    `category` lists the variants of that category's products."""

    queryset = Variant.objects.all()
    serializer_class = s.VariantSerializer
    natural_key = ("sku",)
    search_fields = ["name", "local_name", "sku", "barcode"]
    filter_fields = ["product", "sku", "barcode", "name", "uuid", "default", "modifiers_groups"]
    hide_disabled_by_default = True
    populate = {"product": s.ProductSerializer, "modifiers_groups": s.ProductModifiersGroupSerializer}
    narrowed = False  # get_queryset applied `category`

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            categories = get_list(self.request.query_params, "category")
            if categories is not None:
                ids = [pk for pk in (parse_uuid(str(c)) for c in categories) if pk is not None]
                products = Product.objects.filter(tenant=self.tenant, category_id__in=ids).values("pk")
                queryset = queryset.filter(product_id__in=products)
                self.narrowed = True
        return queryset

    def count(self, queryset, query) -> int:
        """The default list hides disabled variants, so it is always filtered. Its total is the
        kept count less the (few) disabled rows, rather than a COUNT(*) of the whole catalogue."""
        if self.action == "list" and not self.narrowed and query.filters == [HIDE_DISABLED]:
            everything = rowcounts.kept_count(tenant=self.tenant, table=Variant._meta.db_table)
            return everything - Variant.objects.filter(tenant=self.tenant, disabled=True).count()
        return super().count(queryset, query)


def register(router) -> None:
    """Register this group's routes (called by sales/urls.py, in order). The sub-category routes
    come before /product so `/product/sub-categories` is not read as a product id."""
    router.register("product/sub-categories", ProductSubCategoryViewSet, sdk_alias="product-sub-category")
    router.register("product", ProductViewSet)
    router.register("variant", VariantViewSet)
    router.register("product-category", ProductCategoryViewSet)
    router.register("product-brand", ProductBrandViewSet)
    router.register("product-group", ProductGroupViewSet)
    router.register("product-modifiers-group", ProductModifiersGroupViewSet)

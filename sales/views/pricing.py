"""Viewsets of the sales pricing resources: tax, measure-unit, measureunitfamily, pricelist,
pricelistitem (family D), msl, msl-products (family E)."""

from django.db.models import Q

from core.api.listing import get_list
from core.api.viewsets import ResourceViewSet
from core.ids import parse_uuid
from sales.models import MeasureUnit, MeasureUnitFamily, Msl, MslProduct, PriceList, PriceListItem, Tax
from sales.serializers import pricing as s
from sales.services import pricing as services

# Other groups' serializers by dotted path: their modules may import this one.
PRODUCT = "sales.serializers.catalogue.ProductSerializer"
VARIANT = "sales.serializers.catalogue.VariantSerializer"
REP = "sales.serializers.organisation.RepSerializer"
CLIENT = "clients.serializers.client.ClientSerializer"

NULL_WORDS = {"nil", "null", "none", ""}


class TaxViewSet(ResourceViewSet):
    queryset = Tax.objects.all()
    serializer_class = s.TaxSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name", "type", "rate"]


class MeasureUnitViewSet(ResourceViewSet):
    """`parent=<id>` lists the units derived from a base unit; `parent=nil` (or `null`) lists
    the base units (no parent). Several values are ORed."""

    queryset = MeasureUnit.objects.all()
    serializer_class = s.MeasureUnitSerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name"]
    populate = {"parent": s.MeasureUnitSerializer}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            parents = get_list(self.request.query_params, "parent")
            if parents is not None:
                condition = Q(pk__in=[])
                for raw in parents:
                    if raw is None or str(raw).strip().lower() in NULL_WORDS:
                        condition |= Q(parent__isnull=True)
                    elif (pk := parse_uuid(str(raw).strip())) is not None:
                        condition |= Q(parent_id=pk)
                queryset = queryset.filter(condition)
        return queryset


class MeasureUnitFamilyViewSet(ResourceViewSet):
    """`populatedKeys=["measureunits"]` answers in the documented list shape: `measureunits`
    keeps the ids and `measureunits_populated` carries the unit documents."""

    queryset = MeasureUnitFamily.objects.all()
    serializer_class = s.MeasureUnitFamilySerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name", "measureunits"]
    populate = {"measureunits": s.MeasureUnitSerializer}

    def expand(self, docs, keys):
        ids = [list(doc.get("measureunits") or []) for doc in docs]
        super().expand(docs, keys)
        if "measureunits" in keys:
            for doc, unit_ids in zip(docs, ids, strict=True):
                doc["measureunits_populated"], doc["measureunits"] = doc["measureunits"], unit_ids


class PriceListViewSet(ResourceViewSet):
    """Deleting a price list that still has items is a 409 naming them (delete the items first)."""

    queryset = PriceList.objects.all()
    serializer_class = s.PriceListSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name"]

    def perform_destroy(self, instance):
        services.delete_price_list(price_list=instance)


class PriceListItemViewSet(ResourceViewSet):
    queryset = PriceListItem.objects.all()
    serializer_class = s.PriceListItemSerializer
    filter_fields = ["pricelist_id", "product_id", "variant_id", "price"]
    populate = {"product_id": PRODUCT, "variant_id": VARIANT, "pricelist_id": s.PriceListSerializer}


class MslViewSet(ResourceViewSet):
    queryset = Msl.objects.all()
    serializer_class = s.MslSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name", "client", "rep"]
    populate = {"client": CLIENT, "rep": REP}


class MslProductViewSet(ResourceViewSet):
    queryset = MslProduct.objects.all()
    serializer_class = s.MslProductSerializer
    filter_fields = ["msl", "product", "variant"]
    populate = {"msl": s.MslSerializer, "product": PRODUCT, "variant": VARIANT}


def register(router) -> None:
    """Register this group's routes (called by sales/urls.py, in order)."""
    router.register("tax", TaxViewSet)
    router.register("measure-unit", MeasureUnitViewSet, sdk_alias="measureunits")
    router.register("measureunitfamily", MeasureUnitFamilyViewSet, sdk_alias="measureunit-family")
    router.register("pricelist", PriceListViewSet, sdk_alias="pricelists")
    router.register("pricelistitem", PriceListItemViewSet, sdk_alias="pricelistsitems")
    router.register("msl", MslViewSet)
    router.register("msl-products", MslProductViewSet)

"""Demo catalogue and sales organisation for tenant `demo` (called by core/demo.py).

Written through the resource serializers, so every rule (nested variants, one default variant,
unique price per variant, hashed rep passwords, route ordering) applies as through the API.
"""

import random
import secrets

from sales.models import Product
from sales.serializers import catalogue, organisation, pricing

CATEGORIES = {
    "Beverages": ["Juices", "Soft drinks", "Water"],
    "Snacks": ["Chips", "Biscuits", "Chocolate"],
    "Dairy": ["Milk", "Cheese", "Yogurt"],
    "Personal care": ["Shampoo", "Soap", "Toothpaste"],
}
BRANDS = ["Nour", "Safa", "Hayat", "Petra", "Wadi", "Zain Foods"]
# The packs each kind of product is sold in, with each pack's price as a multiple of the
# smallest's. The first is the default variant.
VARIANTS = {
    "Juices": [("250 ml", 1), ("1 L", 3.2)],
    "Soft drinks": [("330 ml can", 1), ("1.5 L bottle", 2.6)],
    "Water": [("500 ml", 1), ("1.5 L", 1.8), ("6 x 1.5 L", 9.5)],
    "Chips": [("45 g", 1), ("150 g", 2.8)],
    "Biscuits": [("100 g", 1), ("400 g family pack", 3.5)],
    "Chocolate": [("40 g bar", 1), ("100 g bar", 2.2)],
    "Milk": [("1 L", 1), ("2 L", 1.9)],
    "Cheese": [("200 g", 1), ("500 g", 2.3)],
    "Yogurt": [("125 g cup", 1), ("500 g tub", 3.4)],
    "Shampoo": [("200 ml", 1), ("400 ml", 1.8)],
    "Soap": [("125 g bar", 1), ("Pack of 4 bars", 3.6)],
    "Toothpaste": [("75 ml", 1), ("100 ml", 1.3)],
}
REPS = [("Omar Haddad", "omar"), ("Lina Saleh", "lina"), ("Yousef Khalil", "yousef"), ("Rana Aziz", "rana")]
DAYS = ["sun", "mon", "tue", "wed", "thu"]


def _make(serializer_class, tenant, actor, **data):
    serializer = serializer_class(data=data, context={"tenant": tenant, "actor": actor})
    serializer.is_valid(raise_exception=True)
    return serializer.save()


def load(*, tenant, rng: random.Random, clients: list, actor: dict) -> None:
    """The catalogue (categories, brands, taxes, units, products with variants, a price list) and
    the sales organisation (teams, reps, warehouses, routes over the given clients)."""
    if Product.objects.filter(tenant=tenant).exists():
        return
    ns = [tenant.namespace]
    vat = _make(pricing.TaxSerializer, tenant, actor, name="VAT 16%", rate=16, type="additive")
    exempt = _make(pricing.TaxSerializer, tenant, actor, name="Exempt", rate=0, type="N/A")
    piece = _make(pricing.MeasureUnitSerializer, tenant, actor, name="Piece", factor=1)
    carton = _make(pricing.MeasureUnitSerializer, tenant, actor, name="Carton (24)", factor=24, parent=str(piece.pk))
    _make(
        pricing.MeasureUnitFamilySerializer, tenant, actor, name="Units", measureunits=[str(piece.pk), str(carton.pk)]
    )
    brands = [_make(catalogue.ProductBrandSerializer, tenant, actor, name=name) for name in BRANDS]
    price_list = _make(pricing.PriceListSerializer, tenant, actor, name="Wholesale 2025")

    number = 0
    for category_name, subcategory_names in CATEGORIES.items():
        category = _make(catalogue.ProductCategorySerializer, tenant, actor, name=category_name, type="main")
        for subcategory_name in subcategory_names:
            subcategory = _make(
                catalogue.ProductSubCategorySerializer, tenant, actor, name=subcategory_name, parent_id=str(category.pk)
            )
            for brand in rng.sample(brands, 2):
                number += 1
                base = rng.choice([0.35, 0.5, 0.75, 1.2, 2.5])
                product = _make(
                    catalogue.ProductSerializer,
                    tenant,
                    actor,
                    name=f"{brand.name} {subcategory_name}",
                    sku=f"P-{number:04d}",
                    category=str(category.pk),
                    sub_category=[str(subcategory.pk)],
                    brand=str(brand.pk),
                    sv_tax=str(exempt.pk if category_name == "Dairy" else vat.pk),
                    sv_measureUnit=str(piece.pk),
                    base_price=f"{base:.2f}",
                    variants=[
                        {
                            "name": pack,
                            "price": round(base * factor, 2),
                            "sku": f"P-{number:04d}-{position}",
                            "default": position == 1,
                        }
                        for position, (pack, factor) in enumerate(VARIANTS[subcategory_name], 1)
                    ],
                )
                for variant in product.variants.all():
                    _make(
                        pricing.PriceListItemSerializer,
                        tenant,
                        actor,
                        product_id=str(product.pk),
                        variant_id=str(variant.pk),
                        pricelist_id=str(price_list.pk),
                        price=round(float(variant.price) * 0.9, 2),
                    )

    teams = [_make(organisation.TeamSerializer, tenant, actor, name=name) for name in ("North", "South")]
    reps = [
        _make(
            organisation.RepSerializer,
            tenant,
            actor,
            name=name,
            email=f"{username}@demo.example",
            username=username,
            role="rep",
            password=secrets.token_urlsafe(12),
            team_id=str(teams[index % 2].pk),
            company_namespace=ns,
        )
        for index, (name, username) in enumerate(REPS)
    ]
    for name, (lng, lat) in (("Amman main", (35.91, 31.95)), ("Irbid depot", (35.85, 32.56))):
        _make(
            organisation.WarehouseSerializer,
            tenant,
            actor,
            name=name,
            company_namespace=ns,
            location={"type": "Point", "coordinates": [lng, lat]},
        )
    for name in ("Damaged", "Expired", "Wrong item"):
        _make(organisation.ReturnReasonSerializer, tenant, actor, name=name)
    for name, kind in (("Found in count", "increase"), ("Breakage", "decrease"), ("Expired", "decrease")):
        _make(organisation.InventoryAdjustmentReasonSerializer, tenant, actor, name=name, type=kind)
    _make(organisation.SupplierSerializer, tenant, actor, name="Levant Foods Supply", email="orders@levant.example")

    active = [c for c in clients if not c.disabled]
    for index, rep in enumerate(reps):
        day = DAYS[index % len(DAYS)]
        stops = rng.sample(active, min(6, len(active)))
        _make(
            organisation.RouteSerializer,
            tenant,
            actor,
            name=f"{rep.name.split()[0]} {day}",
            rep_id=str(rep.pk),
            day=day,
            company_namespace=ns,
            clients=[{"client_id": str(client.pk), "priority": position} for position, client in enumerate(stops, 1)],
        )

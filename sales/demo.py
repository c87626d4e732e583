"""Demo catalogue and sales organisation for tenant `demo` (called by core/demo.py).

Written through the resource serializers, so every rule (nested variants, one default variant,
unique price per variant, hashed rep passwords, route ordering) applies as through the API.
"""

import random
import secrets

from sales.models import (
    Inventory,
    InventoryAdjustmentReason,
    Invoice,
    Product,
    Proforma,
    Rep,
    StockMovement,
    Supplier,
    Variant,
    Warehouse,
)
from sales.serializers import catalogue, invoices, organisation, pricing, stock

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
        # A demo loaded before the stock or the sales documents existed gets them now.
        load_stock(tenant=tenant, rng=rng, actor=actor)
        load_sales_documents(tenant=tenant, rng=rng, clients=clients, actor=actor)
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
    load_stock(tenant=tenant, rng=rng, actor=actor)
    load_sales_documents(tenant=tenant, rng=rng, clients=clients, actor=actor)


def load_stock(*, tenant, rng: random.Random, actor: dict) -> None:
    """Stock in both warehouses, moved as a company would move it (through the same serializers
    and services as the API): receipts from the supplier (one left pending), an adjustment for
    breakage, a transfer completed with a transit loss and one still in transit. Skipped once
    any stock has moved."""
    if StockMovement.objects.filter(tenant=tenant).exists():
        return
    warehouses = {w.name: w for w in Warehouse.objects.filter(tenant=tenant)}
    main, depot = warehouses.get("Amman main"), warehouses.get("Irbid depot")
    supplier = Supplier.objects.filter(tenant=tenant).first()
    variants = list(Variant.objects.filter(tenant=tenant).order_by("sku"))
    if main is None or depot is None or supplier is None or not variants:
        return
    rep = Rep.objects.filter(tenant=tenant).order_by("email").first()
    picked = rng.sample(variants, min(12, len(variants)))

    def receipt(warehouse, lines, number, status):
        return _make(
            stock.ReceivingMaterialSerializer,
            tenant,
            actor,
            warehouse=str(warehouse.pk),
            supplier=str(supplier.pk),
            rep=str(rep.pk) if rep else None,
            receiptNumber=number,
            status=status,
            items=[
                {
                    "variant": str(v.pk),
                    "expectedQuantity": q,
                    "receivedQuantity": q,
                    "unitCost": round(float(v.price) * 0.6, 3),
                }
                for v, q in lines
            ],
        )

    receipt(main, [(v, rng.choice([48, 96, 144])) for v in picked[:8]], "GRN-0001", "received")
    receipt(main, [(v, 24) for v in picked[:4]], "GRN-0002", "received")
    receipt(depot, [(v, rng.choice([24, 48])) for v in picked[6:]], "GRN-0003", "received")
    receipt(depot, [(v, 12) for v in picked[8:10]], "GRN-0004", "pending")
    breakage = InventoryAdjustmentReason.objects.filter(tenant=tenant, name="Breakage").first()
    _make(
        stock.InventoryAdjustmentSerializer,
        tenant,
        actor,
        warehouse=str(main.pk),
        rep=str(rep.pk) if rep else None,
        notes="Dropped pallet",
        items=[
            {
                "variant": str(picked[0].pk),
                "adjustmentQuantity": 6,
                **({"reason": str(breakage.pk)} if breakage else {}),
            }
        ],
    )
    done = _make(
        stock.TransferSerializer,
        tenant,
        actor,
        fromWarehouse=str(main.pk),
        toWarehouse=str(depot.pk),
        reason="Restock the depot",
        items=[{"variant": str(v.pk), "requestedQuantity": 24} for v in picked[:3]],
    )
    for status, extra in (
        ("in_transit", {}),
        ("completed", {"items": [{"variant": str(picked[0].pk), "receivedQuantity": 22}]}),
    ):
        serializer = stock.TransferSerializer(
            done, data={"status": status, **extra}, partial=True, context={"tenant": tenant, "actor": actor}
        )
        serializer.is_valid(raise_exception=True)
        done = serializer.save()
    moving = _make(
        stock.TransferSerializer,
        tenant,
        actor,
        fromWarehouse=str(main.pk),
        toWarehouse=str(depot.pk),
        reason="Weekly top-up",
        items=[{"variant": str(v.pk), "requestedQuantity": 12} for v in picked[3:5]],
    )
    serializer = stock.TransferSerializer(
        moving, data={"status": "in_transit"}, partial=True, context={"tenant": tenant, "actor": actor}
    )
    serializer.is_valid(raise_exception=True)
    serializer.save()


def _change(serializer_class, instance, tenant, actor, **data):
    serializer = serializer_class(instance, data=data, partial=True, context={"tenant": tenant, "actor": actor})
    serializer.is_valid(raise_exception=True)
    return serializer.save()


def load_sales_documents(*, tenant, rng: random.Random, clients: list, actor: dict) -> None:
    """Sales from the main warehouse, issued through the same serializers and services as the API
    (so they take their stock out and draw their serials): five invoices to different clients,
    a return of part of one, a voided invoice, an open proforma holding a reservation and one
    converted into an invoice. Skipped once any invoice exists."""
    if Invoice.objects.filter(tenant=tenant).exists() or Proforma.objects.filter(tenant=tenant).exists():
        return
    main = Warehouse.objects.filter(tenant=tenant, name="Amman main").first()
    rep = Rep.objects.filter(tenant=tenant).order_by("email").first()
    buyers = [c for c in clients if not getattr(c, "disabled", False)] or list(clients)
    if main is None or rep is None or not buyers:
        return
    # What the warehouse can sell: rows with stock to spare after the demo's receipts and transfers.
    stocked = list(
        Inventory.objects.filter(tenant=tenant, warehouse=main, quantity__gte=12)
        .order_by("variant__sku")
        .values_list("variant_id", flat=True)
    )
    if len(stocked) < 3:
        return
    buyers = rng.sample(buyers, min(6, len(buyers)))

    def items(count):
        return [
            {"variant": str(v), "qty": rng.choice([1, 2, 3])} for v in rng.sample(stocked, min(count, len(stocked)))
        ]

    def document(serializer_class, client, lines, **extra):
        return _make(
            serializer_class,
            tenant,
            actor,
            client=str(client.pk),
            rep=str(rep.pk),
            warehouse=str(main.pk),
            items=lines,
            **extra,
        )

    issued = [document(invoices.InvoiceSerializer, client, items(rng.choice([2, 3, 4]))) for client in buyers[:5]]
    first = issued[0]
    returned = first.lines.order_by("position").first()
    if returned is not None:
        document(
            invoices.InvoiceSerializer,
            first.client,
            [{"variant": str(returned.variant_id), "qty": 1}],
            returned_from=str(first.pk),
            notes="Damaged on delivery",
        )
    _change(invoices.InvoiceSerializer, issued[-1], tenant, actor, is_void=True, notes="Issued to the wrong client")
    document(invoices.ProformaSerializer, buyers[-1], items(2), notes="Quote for the next visit")
    quote = document(invoices.ProformaSerializer, buyers[1 % len(buyers)], items(2))
    _make(
        invoices.InvoiceSerializer,
        tenant,
        actor,
        client=str(quote.client_id),
        rep=str(rep.pk),
        warehouse=str(main.pk),
        proforma_reference=str(quote.pk),
    )

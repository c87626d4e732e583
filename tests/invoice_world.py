"""A small sales world for the invoice and proforma tests: a client, a rep, a warehouse, a taxed
product with a variant, and stock put in through the ledger (never written to the projection)."""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from core.models import Setting
from sales import models as sm
from tests.factories import ClientFactory
from tests.factories_sales_organisation import RepFactory, WarehouseFactory
from tests.factories_sales_pricing import TaxFactory, make_product, make_variant


@dataclass
class World:
    tenant: object
    client: object
    rep: object
    warehouse: object
    tax: object
    product: object
    variant: object


def put_stock(tenant, warehouse, variant, qty, cost=Decimal("5.00")) -> None:
    from sales.services import stock

    stock.post_movements(
        tenant=tenant,
        lines=[
            stock.StockLine(warehouse_id=warehouse.pk, variant_id=variant.pk, quantity=Decimal(qty), unit_cost=cost)
        ],
        document_type="adjust_inventory",
        document_id=uuid.uuid4(),
    )


def on_hand(tenant, warehouse, variant) -> tuple[Decimal, Decimal]:
    """(quantity, reserved_quantity) of the projection row, zeros when there is none."""
    row = sm.Inventory.objects.filter(tenant=tenant, warehouse=warehouse, variant=variant).first()
    return (row.quantity, row.reserved_quantity) if row else (Decimal(0), Decimal(0))


def movement_sum(tenant, warehouse, variant) -> Decimal:
    from django.db.models import Sum

    total = sm.StockMovement.objects.filter(tenant=tenant, warehouse=warehouse, variant=variant).aggregate(
        s=Sum("quantity")
    )["s"]
    return total or Decimal(0)


def allow_negative(tenant, allowed=True) -> None:
    Setting.objects.update_or_create(tenant=tenant, key="allow_negative_stock", defaults={"value": allowed})


def make_world(tenant, *, stock=100, price="12.250", rate="16", tax_type="additive") -> World:
    tax = TaxFactory(tenant=tenant, rate=Decimal(rate), type=tax_type)
    product = make_product(tenant, sv_tax=tax)
    variant = make_variant(tenant, product=product, price=Decimal(price))
    world = World(
        tenant=tenant,
        client=ClientFactory(tenant=tenant),
        rep=RepFactory(tenant=tenant),
        warehouse=WarehouseFactory(tenant=tenant),
        tax=tax,
        product=product,
        variant=variant,
    )
    if stock:
        put_stock(tenant, world.warehouse, variant, stock)
    return world


def invoice_body(world, qty=2, **extra) -> dict:
    return {
        "client": str(world.client.pk),
        "rep": str(world.rep.pk),
        "warehouse": str(world.warehouse.pk),
        "items": [{"variant": str(world.variant.pk), "qty": qty}],
        **extra,
    }

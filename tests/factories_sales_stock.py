"""Stock documents for tests, made through the same services as the API (so they move stock)."""

from decimal import Decimal

import factory

from core.models.base import now_ms
from sales import models as sm
from sales.services import stock_documents as docs
from sales.services.stock import StockLine, post_movements
from tests.factories_sales_catalogue import VariantFactory
from tests.factories_sales_organisation import SupplierFactory, WarehouseFactory


def stock_in(tenant, warehouse, variant, quantity, unit_cost=None):
    """Put stock in directly through the ledger (a test's opening balance)."""
    from core.ids import uuid7

    cost = None if unit_cost is None else Decimal(str(unit_cost))
    return post_movements(
        tenant=tenant,
        lines=[StockLine(warehouse.pk, variant.pk, Decimal(str(quantity)), cost)],
        document_type="opening_balance",
        document_id=uuid7(),
    )


def make_receipt(tenant, *, warehouse=None, variant=None, quantity=10, unit_cost="2.5", status=None, **kwargs):
    data = {
        "warehouse": warehouse or WarehouseFactory(tenant=tenant),
        "supplier": SupplierFactory(tenant=tenant),
        "items": [
            {
                "variant": variant or VariantFactory(tenant=tenant),
                "expected_quantity": Decimal(str(quantity)),
                "received_quantity": Decimal(str(quantity)),
                "unit_cost": Decimal(str(unit_cost)),
            }
        ],
        **kwargs,
    }
    if status:
        data["status"] = status
    return docs.create_receipt(tenant=tenant, data=data)


def make_transfer(tenant, *, source=None, destination=None, variant=None, quantity=5, **kwargs):
    source = source or WarehouseFactory(tenant=tenant)
    variant = variant or VariantFactory(tenant=tenant)
    data = {
        "from_warehouse": source,
        "to_warehouse": destination or WarehouseFactory(tenant=tenant),
        "items": [{"variant": variant, "requested_quantity": Decimal(str(quantity))}],
        **kwargs,
    }
    return docs.create_transfer(tenant=tenant, data=data)


def make_adjustment(tenant, *, warehouse=None, variant=None, quantity=3, reason=None, **kwargs):
    item = {"variant": variant or VariantFactory(tenant=tenant), "adjustment_quantity": Decimal(str(quantity))}
    if reason is not None:
        item["reason"] = reason
    data = {"warehouse": warehouse or WarehouseFactory(tenant=tenant), "items": [item], **kwargs}
    return docs.create_adjustment(tenant=tenant, data=data)


# Plain rows for the admin's page tests (tests/admin_world.py): no stock moves through these.
class InventoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Inventory

    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    variant = factory.SubFactory(VariantFactory, tenant=factory.SelfAttribute("..tenant"))
    product = factory.LazyAttribute(lambda o: o.variant.product)
    quantity = Decimal(0)


class InventoryAdjustmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.InventoryAdjustment

    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    notes = factory.Sequence(lambda n: f"Count {n}")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        variant = VariantFactory(tenant=self.tenant)
        sm.InventoryAdjustmentItem.objects.create(
            adjustment=self, product=variant.product, variant=variant, adjustment_quantity=2, quantity=2
        )


class ReceivingMaterialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.ReceivingMaterial

    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    supplier = factory.SubFactory(SupplierFactory, tenant=factory.SelfAttribute("..tenant"))
    receipt_number = factory.Sequence(lambda n: f"GRN-{n:05d}")
    receipt_date = factory.LazyFunction(now_ms)
    total_amount = Decimal("7.5")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        variant = VariantFactory(tenant=self.tenant)
        sm.ReceivingMaterialItem.objects.create(
            receipt=self, product=variant.product, variant=variant, expected_quantity=3, received_quantity=3,
            unit_cost=Decimal("2.5"), total_cost=Decimal("7.5"),
        )  # fmt: skip


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = sm.Transfer

    from_warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    to_warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    transfer_number = factory.Sequence(lambda n: f"TRF-F{n:05d}")
    total_value = Decimal("8")

    @factory.post_generation
    def items(self, create, extracted, **kwargs):
        variant = VariantFactory(tenant=self.tenant)
        sm.TransferItem.objects.create(
            transfer=self, product=variant.product, variant=variant, requested_quantity=4, unit_cost=2
        )

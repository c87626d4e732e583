"""Property test of the stock ledger (hypothesis, stateful): random sequences of receipts (received
or cancelled), adjustments, transfers (sent, completed with losses, cancelled) and reservations
keep every projection row equal to the sum of its entries, never take stock below zero while
negative stock is off, and agree with a plain model of what each warehouse should hold."""

import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from rest_framework.exceptions import APIException

from core import services as core_services
from sales.models import Inventory, StockMovement, StockReservation
from sales.services import stock
from sales.services import stock_documents as docs
from sales.services.stock import InsufficientStock, StockLine
from tests.factories_sales_catalogue import VariantFactory
from tests.factories_sales_organisation import InventoryAdjustmentReasonFactory, SupplierFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

_namespaces = itertools.count()
QUANTITIES = st.integers(min_value=1, max_value=20).map(Decimal)


class StockMachine(RuleBasedStateMachine):
    receipts = Bundle("receipts")
    transfers = Bundle("transfers")
    reservations = Bundle("reservations")

    def __init__(self):
        super().__init__()
        self.tenant = core_services.create_tenant(namespace=f"prop{next(_namespaces)}")
        self.warehouses = [WarehouseFactory(tenant=self.tenant) for _ in range(2)]
        self.variants = [VariantFactory(tenant=self.tenant) for _ in range(2)]
        self.supplier = SupplierFactory(tenant=self.tenant)
        self.reasons = {
            kind: InventoryAdjustmentReasonFactory(tenant=self.tenant, type=kind) for kind in ("increase", "decrease")
        }
        self.held = defaultdict(Decimal)  # (warehouse, variant) -> expected quantity
        self.reserved = defaultdict(Decimal)

    def key(self, w, v):
        return (self.warehouses[w].pk, self.variants[v].pk)

    def available(self, w, v):
        return self.held[self.key(w, v)] - self.reserved[self.key(w, v)]

    # receipts ---------------------------------------------------------------------------------------
    @rule(target=receipts, w=st.integers(0, 1), v=st.integers(0, 1), q=QUANTITIES, cost=st.integers(1, 9))
    def receive(self, w, v, q, cost):
        receipt = docs.create_receipt(
            tenant=self.tenant,
            data={
                "warehouse": self.warehouses[w],
                "supplier": self.supplier,
                "items": [{"variant": self.variants[v], "received_quantity": q, "unit_cost": Decimal(cost)}],
                "status": "received",
            },
        )
        self.held[self.key(w, v)] += q
        return (receipt, w, v, q)

    @rule(entry=receipts)
    def cancel_receipt(self, entry):
        receipt, w, v, q = entry
        receipt.refresh_from_db()
        if receipt.status == "cancelled":
            with pytest.raises(APIException):
                docs.change_receipt_status(receipt=receipt, status="received")
            return
        if self.available(w, v) < q:
            with pytest.raises(APIException) as refused:
                docs.change_receipt_status(receipt=receipt, status="cancelled")
            assert refused.value.status_code == 409
            return
        docs.change_receipt_status(receipt=receipt, status="cancelled")
        self.held[self.key(w, v)] -= q

    # adjustments ------------------------------------------------------------------------------------
    @rule(w=st.integers(0, 1), v=st.integers(0, 1), q=QUANTITIES, kind=st.sampled_from(["increase", "decrease", None]))
    def adjust(self, w, v, q, kind):
        line = {"variant": self.variants[v], "adjustment_quantity": q if kind else -q}
        if kind:
            line["reason"] = self.reasons[kind]
        delta = q if kind == "increase" else -q
        data = {"warehouse": self.warehouses[w], "items": [line]}
        if delta < 0 and self.available(w, v) + delta < 0:
            with pytest.raises(InsufficientStock):
                docs.create_adjustment(tenant=self.tenant, data=data)
            return
        docs.create_adjustment(tenant=self.tenant, data=data)
        self.held[self.key(w, v)] += delta

    # transfers --------------------------------------------------------------------------------------
    @rule(target=transfers, w=st.integers(0, 1), v=st.integers(0, 1), q=QUANTITIES)
    def create_transfer(self, w, v, q):
        transfer = docs.create_transfer(
            tenant=self.tenant,
            data={
                "from_warehouse": self.warehouses[w],
                "to_warehouse": self.warehouses[1 - w],
                "items": [{"variant": self.variants[v], "requested_quantity": q}],
            },
        )
        return (transfer, w, v, q)

    @rule(entry=transfers, step=st.sampled_from(["in_transit", "completed", "cancelled"]), lost=st.integers(0, 3))
    def move_transfer(self, entry, step, lost):
        transfer, w, v, q = entry
        transfer.refresh_from_db()
        current = transfer.status
        allowed = docs.TRANSFER_TRANSITIONS[current]
        if step != current and step not in allowed:
            with pytest.raises(APIException) as refused:
                docs.change_transfer_status(transfer=transfer, status=step)
            assert refused.value.status_code == 409
            return
        if step == current:
            return
        if step == "in_transit":
            if self.available(w, v) < q:
                with pytest.raises(InsufficientStock):
                    docs.change_transfer_status(transfer=transfer, status=step)
                return
            docs.change_transfer_status(transfer=transfer, status=step)
            self.held[self.key(w, v)] -= q
        elif step == "completed":
            received = max(q - lost, Decimal(0))
            docs.update_transfer(
                transfer=transfer, data={"items": [{"variant": self.variants[v], "received_quantity": received}]}
            )
            docs.change_transfer_status(transfer=transfer, status=step)
            self.held[self.key(1 - w, v)] += received
        else:
            docs.change_transfer_status(transfer=transfer, status=step)
            if current == "in_transit":
                self.held[self.key(w, v)] += q

    # reservations -----------------------------------------------------------------------------------
    @rule(target=reservations, w=st.integers(0, 1), v=st.integers(0, 1), q=QUANTITIES)
    def reserve(self, w, v, q):
        from core.ids import uuid7

        document = uuid7()
        lines = [StockLine(*self.key(w, v), q)]
        if self.available(w, v) < q:
            with pytest.raises(InsufficientStock):
                stock.reserve(tenant=self.tenant, lines=lines, document_type="proforma", document_id=document)
            return (document, w, v, Decimal(0))
        stock.reserve(tenant=self.tenant, lines=lines, document_type="proforma", document_id=document)
        self.reserved[self.key(w, v)] += q
        return (document, w, v, q)

    @rule(entry=reservations)
    def release(self, entry):
        document, w, v, q = entry
        before = stock.reserved_by(tenant=self.tenant, document_type="proforma", document_id=document)
        stock.release(tenant=self.tenant, document_type="proforma", document_id=document)
        self.reserved[self.key(w, v)] -= sum(before.values(), Decimal(0))

    # invariants -------------------------------------------------------------------------------------
    @invariant()
    def projection_equals_entries_and_the_model(self):
        rows = {(r.warehouse_id, r.variant_id): r for r in Inventory.objects.filter(tenant=self.tenant)}
        moved = {
            (w, v): total
            for w, v, total in StockMovement.objects.filter(tenant=self.tenant)
            .values_list("warehouse_id", "variant_id")
            .annotate(total=Sum("quantity"))
            .order_by()
        }
        held = {
            (w, v): total
            for w, v, total in StockReservation.objects.filter(tenant=self.tenant)
            .values_list("warehouse_id", "variant_id")
            .annotate(total=Sum("quantity"))
            .order_by()
        }
        for key, row in rows.items():
            assert row.quantity == moved.get(key, 0)
            assert row.reserved_quantity == held.get(key, 0)
            assert row.quantity == self.held[key]
            assert row.reserved_quantity == self.reserved[key]
            assert row.quantity >= 0 and row.quantity - row.reserved_quantity >= 0  # negative stock is off
        assert set(moved) <= set(rows)


def test_the_stock_ledger_stays_consistent(db):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=25, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )

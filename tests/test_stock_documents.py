"""The stock resources through the HTTP API: inventory (read-only), adjust-inventory,
receiving-material and transfer (generic API cases, then their behaviour)."""

import json
from decimal import Decimal

import pytest
from django.db.models import Sum

from core.models import Setting
from sales.models import Inventory, StockMovement
from tests.api_cases import ResourceAPICase
from tests.factories_sales_catalogue import VariantFactory
from tests.factories_sales_organisation import (
    InventoryAdjustmentReasonFactory,
    RepFactory,
    SupplierFactory,
    WarehouseFactory,
)
from tests.factories_sales_pricing import MeasureUnitFactory
from tests.factories_sales_stock import make_adjustment, make_receipt, make_transfer, stock_in

pytestmark = pytest.mark.django_db
OTHER_ID = "01890a5d-ac96-774b-bcce-b302099a8057"


def qty(warehouse, variant) -> Decimal:
    row = Inventory.objects.filter(warehouse=warehouse, variant=variant).first()
    return row.quantity if row else Decimal(0)


# Generic API cases ------------------------------------------------------------------------------------
class TestInventoryAPI(ResourceAPICase):
    path = "inventory"
    family = "E"
    operations = {"list"}

    def make(self, tenant, **kwargs):
        warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
        stock_in(tenant, warehouse, variant, 4, "1.5")
        return Inventory.objects.get(warehouse=warehouse, variant=variant)


class TestInventoryAdjustmentAPI(ResourceAPICase):
    path = "adjust-inventory"
    family = "E"
    operations = {"list", "create", "retrieve"}
    invalid_data = [{}, {"warehouse": OTHER_ID, "items": []}]

    def get_create_data(self, tenant):
        warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
        reason = InventoryAdjustmentReasonFactory(tenant=tenant, type="increase")
        return {
            "warehouse": str(warehouse.pk),
            "notes": "count",
            "items": [{"variant": str(variant.pk), "adjustmentQuantity": 5, "reason": str(reason.pk)}],
        }

    def make(self, tenant, **kwargs):
        return make_adjustment(tenant, **kwargs)


class TestReceivingMaterialAPI(ResourceAPICase):
    path = "receiving-material"
    family = "D-"
    operations = {"list", "create", "retrieve", "update"}
    update_data = {"notes": "checked", "receiptNumber": "GRN-7"}
    invalid_data = [{}, {"warehouse": OTHER_ID, "supplier": OTHER_ID, "items": []}]

    def get_create_data(self, tenant):
        warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
        return {
            "warehouse": str(warehouse.pk),
            "supplier": str(SupplierFactory(tenant=tenant).pk),
            "receiptNumber": "GRN-1",
            "items": [{"variant": str(variant.pk), "expectedQuantity": 10, "receivedQuantity": 8, "unitCost": 2.5}],
            "integration_meta": {"erp": 1},
        }

    def make(self, tenant, **kwargs):
        return make_receipt(tenant, **kwargs)


class TestTransferAPI(ResourceAPICase):
    path = "transfer"
    family = "D-"
    operations = {"list", "create", "retrieve", "update"}
    update_data = {"notes": "fragile", "reason": "restock"}
    invalid_data = [{}, {"fromWarehouse": OTHER_ID, "toWarehouse": OTHER_ID, "items": []}]

    def get_create_data(self, tenant):
        a, b, variant = WarehouseFactory(tenant=tenant), WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
        return {
            "fromWarehouse": str(a.pk),
            "toWarehouse": str(b.pk),
            "items": [{"variant": str(variant.pk), "requestedQuantity": 3, "unitCost": 2}],
            "reason": "restock",
        }

    def make(self, tenant, **kwargs):
        return make_transfer(tenant, **kwargs)


# inventory ----------------------------------------------------------------------------------------------
def test_inventory_document_and_filters(api, tenant):
    a, b = WarehouseFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    v1, v2 = VariantFactory(tenant=tenant), VariantFactory(tenant=tenant)
    stock_in(tenant, a, v1, 10, 2)
    stock_in(tenant, a, v2, 5, 1)
    stock_in(tenant, b, v1, 3, 4)
    stock_in(tenant, a, v2, -5, None)  # a row at zero
    r = api.get("/v1/inventory", {"warehouse": str(a.pk), "variant": str(v1.pk)})
    assert r.status_code == 200, r.content
    (doc,) = r.json()["data"]
    assert doc["quantity"] == 10 and doc["reservedQuantity"] == 0 and doc["availableQuantity"] == 10
    assert doc["cost"] == 2 and doc["product"] == str(v1.product_id) and doc["lastUpdated"].endswith("Z")

    def count(params):
        body = api.get("/v1/inventory", params).json()
        return body["meta"]["total"] if "meta" in body else body

    assert count({"warehouse_id": str(a.pk)}) == 2
    assert count({"warehouse_id": json.dumps([str(a.pk), str(b.pk)])}) == 3
    assert count({"product_id": str(v1.product_id)}) == 2
    assert count({"variant_id": str(v2.pk)}) == 1
    assert count({"zero": "true"}) == 1
    assert count({"zero": "false"}) == 2
    assert api.get("/v1/inventory", {"zero": "maybe"}).status_code == 400
    assert count({"from_updatedAt": "2999-01-01T00:00:00Z"}) == 0
    assert count({"from_lastUpdated": "2000-01-01T00:00:00Z"}) == 3


def test_inventory_is_read_only(api, tenant):
    assert api.post("/v1/inventory", {}, format="json").status_code == 405
    stock_in(tenant, WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant), 1)
    row = Inventory.objects.get()
    for method in ("put", "patch", "delete", "get"):
        assert getattr(api, method)(f"/v1/inventory/{row.pk}").status_code in (404, 405)


def test_inventory_list_query_count_is_flat(api, tenant, django_assert_max_num_queries):
    warehouse = WarehouseFactory(tenant=tenant)
    for _ in range(20):
        stock_in(tenant, warehouse, VariantFactory(tenant=tenant), 1)
    api.get("/v1/inventory")
    # key, count, page (plus the statement-timeout and savepoint statements on PostgreSQL)
    with django_assert_max_num_queries(8):
        assert len(api.get("/v1/inventory", {"warehouse": str(warehouse.pk), "per_page": 100}).json()["data"]) == 20


# adjust-inventory ----------------------------------------------------------------------------------------
def test_adjustment_sign_comes_from_the_reason_else_the_quantity(api, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    up = InventoryAdjustmentReasonFactory(tenant=tenant, type="increase")
    down = InventoryAdjustmentReasonFactory(tenant=tenant, type="decrease")
    body = {
        "warehouse": str(warehouse.pk),
        "items": [
            {"variant": str(variant.pk), "adjustmentQuantity": -10, "reason": str(up.pk)},  # increase: +10
            {"variant": str(variant.pk), "adjustmentQuantity": 3, "reason": str(down.pk)},  # decrease: −3
            {"variant": str(variant.pk), "adjustmentQuantity": -2},  # its own sign
        ],
    }
    r = api.post("/v1/adjust-inventory", body, format="json")
    assert r.status_code == 201, r.content
    doc = r.json()["data"]
    assert [i["quantity"] for i in doc["items"]] == [10, -3, -2]
    assert doc["status"] == "processed"
    assert qty(warehouse, variant) == 5


def test_adjustment_below_zero_is_422_naming_variant_and_warehouse(api, tenant):
    warehouse = WarehouseFactory(tenant=tenant, name="North depot")
    variant = VariantFactory(tenant=tenant, name="Tea 50g")
    stock_in(tenant, warehouse, variant, 2)
    body = {"warehouse": str(warehouse.pk), "items": [{"variant": str(variant.pk), "adjustmentQuantity": -3}]}
    r = api.post("/v1/adjust-inventory", body, format="json")
    assert r.status_code == 422, r.content
    error = r.json()["error"]
    assert "Tea 50g" in error and "North depot" in error and "available 2" in error and "requested 3" in error
    assert qty(warehouse, variant) == 2
    Setting.objects.filter(tenant=tenant, key="allow_negative_stock").update(value=True)
    assert api.post("/v1/adjust-inventory", body, format="json").status_code == 201
    assert qty(warehouse, variant) == -1


def test_adjustment_is_immutable_and_validates_lines(api, tenant):
    adjustment = make_adjustment(tenant)
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)(f"/v1/adjust-inventory/{adjustment.pk}", {}, format="json").status_code == 405
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    other_product_variant = VariantFactory(tenant=tenant)
    cases = [
        ({"items": [{"variant": str(variant.pk), "adjustmentQuantity": 0}]}, "items[0].adjustmentQuantity"),
        ({"items": [{"variant": str(variant.pk)}]}, "items[0].adjustmentQuantity"),
        ({"items": [{"adjustmentQuantity": 1}]}, "items[0].variant"),
        ({"items": [{"variant": OTHER_ID, "adjustmentQuantity": 1}]}, "items[0].variant"),
        ({"items": [{"variant": str(variant.pk), "adjustmentQuantity": "1"}]}, "items[0].adjustmentQuantity"),
        (
            {
                "items": [
                    {
                        "variant": str(variant.pk),
                        "product": str(other_product_variant.product_id),
                        "adjustmentQuantity": 1,
                    }
                ]
            },
            "items[0].product",
        ),
        ({"items": []}, "items"),
    ]
    for extra, path in cases:
        r = api.post("/v1/adjust-inventory", {"warehouse": str(warehouse.pk), **extra}, format="json")
        assert r.status_code == 400, (extra, r.content)
        assert path in r.json()["error"], (path, r.json())


def test_a_line_in_a_measure_unit_moves_quantity_times_factor(api, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    box = MeasureUnitFactory(tenant=tenant, name="Box of 12", factor=Decimal(12))
    body = {
        "warehouse": str(warehouse.pk),
        "items": [{"variant": str(variant.pk), "adjustmentQuantity": 2, "measureunit": str(box.pk)}],
    }
    assert api.post("/v1/adjust-inventory", body, format="json").status_code == 201
    assert qty(warehouse, variant) == 24


# receiving-material ---------------------------------------------------------------------------------------
def test_receipt_totals_are_computed_and_received_puts_stock_in_once(api, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    body = {
        "warehouse": str(warehouse.pk),
        "supplier": str(SupplierFactory(tenant=tenant).pk),
        "items": [
            {"variant": str(variant.pk), "expectedQuantity": 10, "receivedQuantity": 8, "unitCost": 2.5},
            {"variant": str(VariantFactory(tenant=tenant).pk), "expectedQuantity": 3, "unitCost": 1.115},
        ],
        "totalAmount": 999,  # computed, never taken from the client
    }
    r = api.post("/v1/receiving-material", body, format="json")
    assert r.status_code == 201, r.content
    doc = r.json()
    assert [i["totalCost"] for i in doc["items"]] == [20.0, 3.345]
    assert doc["items"][1]["receivedQuantity"] == 3
    assert doc["totalAmount"] == 23.345 and doc["status"] == "pending"
    assert qty(warehouse, variant) == 0
    url = f"/v1/receiving-material/{doc['_id']}"
    r = api.put(url, {"status": "received"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "received"
    assert qty(warehouse, variant) == 8
    assert Inventory.objects.get(warehouse=warehouse, variant=variant).cost == Decimal("2.5")
    assert api.put(url, {"status": "received"}, format="json").status_code == 200  # same status: nothing moves
    assert qty(warehouse, variant) == 8
    r = api.put(url, {"status": "pending"}, format="json")
    assert r.status_code == 409 and "received" in r.json()["error"] and "pending" in r.json()["error"]
    r = api.put(url, {"items": body["items"]}, format="json")
    assert r.status_code == 409


def test_receipt_moving_average_cost(api, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    make_receipt(tenant, warehouse=warehouse, variant=variant, quantity=10, unit_cost=2, status="received")
    make_receipt(tenant, warehouse=warehouse, variant=variant, quantity=30, unit_cost=4, status="received")
    row = Inventory.objects.get(warehouse=warehouse, variant=variant)
    assert (row.quantity, row.cost) == (Decimal(40), Decimal("3.5"))


def test_cancelling_a_received_receipt_reverses_it_or_409_when_the_stock_left(api, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    receipt = make_receipt(tenant, warehouse=warehouse, variant=variant, quantity=10, status="received")
    make_adjustment(tenant, warehouse=warehouse, variant=variant, quantity=-4)
    url = f"/v1/receiving-material/{receipt.pk}"
    r = api.put(url, {"status": "cancelled"}, format="json")
    assert r.status_code == 409 and "already left" in r.json()["error"], r.content
    assert qty(warehouse, variant) == 6
    make_adjustment(tenant, warehouse=warehouse, variant=variant, quantity=4)
    r = api.put(url, {"status": "cancelled"}, format="json")
    assert r.status_code == 200, r.content
    assert qty(warehouse, variant) == 0
    assert api.put(url, {"status": "received"}, format="json").status_code == 409  # cancelled is final


def test_pending_receipt_cancelled_moves_nothing_and_lines_change_while_pending(api, tenant):
    receipt = make_receipt(tenant)
    url = f"/v1/receiving-material/{receipt.pk}"
    variant = VariantFactory(tenant=tenant)
    r = api.put(url, {"items": [{"variant": str(variant.pk), "receivedQuantity": 2, "unitCost": 3}]}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["totalAmount"] == 6 and len(r.json()["items"]) == 1
    assert api.put(url, {"status": "cancelled"}, format="json").status_code == 200
    assert not StockMovement.objects.exists()
    assert api.put(url, {"status": "bogus"}, format="json").status_code == 400


# transfer --------------------------------------------------------------------------------------------------
def test_transfer_lifecycle_with_transit_loss(api, tenant):
    source, destination = WarehouseFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    variant = VariantFactory(tenant=tenant)
    stock_in(tenant, source, variant, 10, 3)
    body = {
        "fromWarehouse": str(source.pk),
        "toWarehouse": str(destination.pk),
        "items": [{"variant": str(variant.pk), "requestedQuantity": 6}],
    }
    r = api.post("/v1/transfer", body, format="json")
    assert r.status_code == 201, r.content
    doc = r.json()
    assert doc["transferNumber"].startswith("TRF-") and doc["status"] == "pending"
    assert doc["items"][0]["unitCost"] == 3 and doc["totalValue"] == 18  # the source's average cost
    url = f"/v1/transfer/{doc['_id']}"
    r = api.put(url, {"status": "in_transit"}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["items"][0]["sentQuantity"] == 6
    assert (qty(source, variant), qty(destination, variant)) == (4, 0)
    r = api.put(url, {"items": [{"variant": str(variant.pk), "receivedQuantity": 7}]}, format="json")
    assert r.status_code == 400 and "receivedQuantity" in r.json()["error"]
    r = api.put(url, {"items": [{"variant": str(variant.pk), "sentQuantity": 5}]}, format="json")
    assert r.status_code == 409
    r = api.put(
        url, {"status": "completed", "items": [{"variant": str(variant.pk), "receivedQuantity": 5}]}, format="json"
    )
    assert r.status_code == 200, r.content
    doc = r.json()
    assert doc["status"] == "completed" and doc["completedDate"]
    assert doc["items"][0]["receivedQuantity"] == 5 and doc["items"][0]["transitLoss"] == 1
    assert (qty(source, variant), qty(destination, variant)) == (4, 5)
    assert Inventory.objects.get(warehouse=destination, variant=variant).cost == 3
    for status in ("cancelled", "in_transit", "pending"):
        r = api.put(url, {"status": status}, format="json")
        assert r.status_code == 409 and "completed" in r.json()["error"], status


def test_transfer_cancel_from_pending_and_from_transit(api, tenant):
    source, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    stock_in(tenant, source, variant, 10)
    pending = make_transfer(tenant, source=source, variant=variant, quantity=4)
    assert api.put(f"/v1/transfer/{pending.pk}", {"status": "cancelled"}, format="json").status_code == 200
    assert qty(source, variant) == 10
    moving = make_transfer(tenant, source=source, variant=variant, quantity=4, status="in_transit")
    assert qty(source, variant) == 6
    r = api.put(f"/v1/transfer/{moving.pk}", {"status": "cancelled"}, format="json")
    assert r.status_code == 200, r.content
    assert qty(source, variant) == 10
    assert api.put(f"/v1/transfer/{moving.pk}", {"status": "in_transit"}, format="json").status_code == 409


def test_transfer_refuses_same_warehouses_short_stock_and_numbers_uniquely(api, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    body = {
        "fromWarehouse": str(warehouse.pk),
        "toWarehouse": str(warehouse.pk),
        "items": [{"variant": str(variant.pk), "requestedQuantity": 1}],
    }
    r = api.post("/v1/transfer", body, format="json")
    assert r.status_code == 422 and "toWarehouse" in json.dumps(r.json()), r.content
    body["toWarehouse"] = str(WarehouseFactory(tenant=tenant).pk)
    r = api.post(
        "/v1/transfer", {**body, "items": [{"variant": str(variant.pk), "requestedQuantity": 0}]}, format="json"
    )
    assert r.status_code == 400 and "requestedQuantity" in r.json()["error"]
    numbers = {api.post("/v1/transfer", body, format="json").json()["transferNumber"] for _ in range(3)}
    assert len(numbers) == 3
    transfer_id = api.post("/v1/transfer", body, format="json").json()["_id"]
    r = api.put(f"/v1/transfer/{transfer_id}", {"status": "in_transit"}, format="json")
    assert r.status_code == 422 and "available 0" in r.json()["error"]


def test_transfer_filters(api, tenant):
    a, b = WarehouseFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    rep = RepFactory(tenant=tenant)
    make_transfer(tenant, source=a, destination=b, rep=rep)
    make_transfer(tenant, source=b, destination=a)

    def count(params):
        return api.get("/v1/transfer", params).json()["total_result"]

    assert count({"fromWarehouse": str(a.pk)}) == 1
    assert count({"toWarehouse": str(a.pk)}) == 1
    assert count({"rep": str(rep.pk)}) == 1
    assert count({"status": "pending"}) == 2
    assert count({"from_date": "2000-01-01"}) == 2 and count({"to_date": "2000-01-01"}) == 0


# imports --------------------------------------------------------------------------------------------------
def test_imported_adjustments_and_receipts_go_through_the_services(tmp_path, tenant):
    from io import StringIO

    from django.core.management import call_command

    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    supplier = SupplierFactory(tenant=tenant)
    receipts = [
        {
            "warehouse": str(warehouse.pk),
            "supplier": str(supplier.pk),
            "status": "received",
            "items": [{"variant": str(variant.pk), "receivedQuantity": 6, "unitCost": 2}],
        }
    ]
    adjustments = [{"warehouse": str(warehouse.pk), "items": [{"variant": str(variant.pk), "adjustmentQuantity": -10}]}]
    (tmp_path / "receipts.json").write_text(json.dumps(receipts))
    (tmp_path / "adjustments.json").write_text(json.dumps(adjustments))
    out = StringIO()
    call_command("import_data", "receiving-material", str(tmp_path / "receipts.json"), "--tenant", "acme", stdout=out)
    assert "1 created" in out.getvalue(), out.getvalue()
    assert qty(warehouse, variant) == 6
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import_data", "adjust-inventory", str(tmp_path / "adjustments.json"), "--tenant", "acme", stdout=out
        )
    assert "Not enough stock" in out.getvalue(), out.getvalue()
    assert qty(warehouse, variant) == 6


# demo data --------------------------------------------------------------------------------------------------
def test_demo_data_moves_stock_in_two_warehouses_through_documents(db):
    from io import StringIO

    from django.core.management import call_command

    from core.models import Tenant
    from sales.models import ReceivingMaterial, Transfer

    call_command("load_demo_data", stdout=StringIO())
    demo = Tenant.objects.get(namespace="demo")
    stocked = Inventory.objects.filter(tenant=demo, quantity__gt=0)
    assert stocked.values("warehouse").distinct().count() == 2
    assert set(ReceivingMaterial.objects.filter(tenant=demo).values_list("status", flat=True)) == {
        "received",
        "pending",
    }
    assert set(Transfer.objects.filter(tenant=demo).values_list("status", flat=True)) == {"completed", "in_transit"}
    moved = StockMovement.objects.filter(tenant=demo).count()
    call_command("check_ledgers", "--tenant", "demo", stdout=StringIO())  # exits non-zero on a difference
    call_command("load_demo_data", stdout=StringIO())  # a second run moves nothing more
    assert StockMovement.objects.filter(tenant=demo).count() == moved


def test_refusals_answer_documented_statuses_and_bodies(api, tenant):
    from tests.openapi_check import conforms

    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    short = {"warehouse": str(warehouse.pk), "items": [{"variant": str(variant.pk), "adjustmentQuantity": -1}]}
    conforms(api.post("/v1/adjust-inventory", short, format="json"), "post", "/v1/adjust-inventory")
    body = {
        "fromWarehouse": str(warehouse.pk),
        "toWarehouse": str(warehouse.pk),
        "items": [{"variant": str(variant.pk), "requestedQuantity": 1}],
    }
    conforms(api.post("/v1/transfer", body, format="json"), "post", "/v1/transfer")
    body["toWarehouse"] = str(WarehouseFactory(tenant=tenant).pk)
    created = api.post("/v1/transfer", body, format="json").json()
    url = f"/v1/transfer/{created['_id']}"
    r = api.put(url, {"status": "in_transit"}, format="json")
    assert r.status_code == 422
    conforms(r, "put", "/v1/transfer/{id}")
    r = api.put(url, {"status": "completed"}, format="json")
    assert r.status_code == 409
    conforms(r, "put", "/v1/transfer/{id}")
    receipt = make_receipt(tenant, warehouse=warehouse, variant=variant, status="received")
    make_adjustment(tenant, warehouse=warehouse, variant=variant, quantity=-1)
    r = api.patch(f"/v1/receiving-material/{receipt.pk}", {"status": "cancelled"}, format="json")
    assert r.status_code == 409
    conforms(r, "patch", "/v1/receiving-material/{id}")


def test_demo_data_sells_through_invoices_returns_voids_and_proformas(db):
    from io import StringIO

    from django.core.management import call_command

    from core.models import Tenant
    from sales.models import Invoice, Proforma

    call_command("load_demo_data", stdout=StringIO())
    demo = Tenant.objects.get(namespace="demo")
    sales = Invoice.objects.filter(tenant=demo, kind="invoice")
    assert sales.count() >= 6 and sales.filter(is_void=True).count() == 1
    assert sales.filter(proforma_reference__isnull=False).count() == 1
    returned = Invoice.objects.get(tenant=demo, kind="return")
    assert returned.returned_from.kind == "invoice"
    assert set(Proforma.objects.filter(tenant=demo).values_list("status", flat=True)) == {"open", "converted"}
    # Each non-void invoice took its stock out of the warehouse; the ledger agrees with itself.
    for invoice in sales.filter(is_void=False):
        assert StockMovement.objects.filter(tenant=demo, document_id=invoice.pk).exists()
    assert not StockMovement.objects.filter(tenant=demo, document_id=sales.get(is_void=True).pk).aggregate(
        s=Sum("quantity")
    )["s"]
    assert Inventory.objects.filter(tenant=demo, reserved_quantity__gt=0).exists()  # the open proforma
    call_command("check_ledgers", "--tenant", "demo", stdout=StringIO())
    count = Invoice.objects.filter(tenant=demo).count()
    call_command("load_demo_data", stdout=StringIO())
    assert Invoice.objects.filter(tenant=demo).count() == count

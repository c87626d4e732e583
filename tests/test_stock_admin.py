"""The stock admin: documents and their lines saved through the services, status changes as
actions, refusals shown as messages, the inventory read-only and scoped to the staff's tenant."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from sales.models import Inventory, InventoryAdjustment, ReceivingMaterial, StockMovement, Transfer
from tests.factories_sales_catalogue import VariantFactory
from tests.factories_sales_organisation import SupplierFactory, WarehouseFactory
from tests.factories_sales_stock import make_receipt, make_transfer, stock_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(tenant, django_user_model):
    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="sales"))
    return user


def inline(prefix, rows, extra=None):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def test_staff_adds_a_receipt_with_lines_and_receives_it_by_action(client, staff, tenant):
    warehouse, variant, supplier = (
        WarehouseFactory(tenant=tenant),
        VariantFactory(tenant=tenant),
        SupplierFactory(tenant=tenant),
    )
    client.force_login(staff)
    form = {
        "receipt_number": "GRN-9",
        "warehouse": str(warehouse.pk),
        "supplier": str(supplier.pk),
        "notes": "",
        "integration_meta": "{}",
        **inline(
            "items",
            [{"variant": str(variant.pk), "expected_quantity": "4", "received_quantity": "4", "unit_cost": "1.5"}],
        ),
    }
    r = client.post("/admin/sales/receivingmaterial/add/", form)
    assert r.status_code == 302, r.content[:3000]
    receipt = ReceivingMaterial.objects.get(tenant=tenant)
    assert receipt.total_amount == Decimal("6") and receipt.items.count() == 1
    assert not StockMovement.objects.exists()  # pending: nothing moved
    r = client.post("/admin/sales/receivingmaterial/", {"action": "receive", "_selected_action": [str(receipt.pk)]})
    assert r.status_code == 302
    assert Inventory.objects.get(warehouse=warehouse, variant=variant).quantity == 4
    receipt.refresh_from_db()
    assert receipt.status == "received"
    # a second receive is a no-op; un-receiving is refused with a message
    client.post("/admin/sales/receivingmaterial/", {"action": "receive", "_selected_action": [str(receipt.pk)]})
    assert Inventory.objects.get(warehouse=warehouse, variant=variant).quantity == 4
    page = client.get(f"/admin/sales/receivingmaterial/{receipt.pk}/change/")
    assert page.status_code == 200 and "GRN-9" in page.text


def test_a_refused_document_shows_an_error_and_saves_nothing(client, staff, tenant):
    warehouse, variant = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant, name="Juice 1L")
    client.force_login(staff)
    form = {
        "warehouse": str(warehouse.pk),
        "notes": "",
        **inline("items", [{"variant": str(variant.pk), "adjustment_quantity": "-3"}]),
    }
    r = client.post("/admin/sales/inventoryadjustment/add/", form, follow=True)
    assert "Not enough stock of Juice 1L" in r.text
    assert not InventoryAdjustment.objects.exists() and not StockMovement.objects.exists()
    stock_in(tenant, warehouse, variant, 5)
    r = client.post("/admin/sales/inventoryadjustment/add/", form)
    assert r.status_code == 302
    assert Inventory.objects.get(warehouse=warehouse, variant=variant).quantity == 2
    adjustment = InventoryAdjustment.objects.get()
    assert client.post(f"/admin/sales/inventoryadjustment/{adjustment.pk}/change/", form).status_code == 403


def test_transfer_actions_move_stock_and_refusals_are_messages(client, staff, tenant):
    source, destination, variant = (
        WarehouseFactory(tenant=tenant),
        WarehouseFactory(tenant=tenant),
        VariantFactory(tenant=tenant),
    )
    transfer = make_transfer(tenant, source=source, destination=destination, variant=variant, quantity=3)
    client.force_login(staff)
    url = "/admin/sales/transfer/"
    r = client.post(url, {"action": "send", "_selected_action": [str(transfer.pk)]}, follow=True)
    assert "Not enough stock" in r.text
    stock_in(tenant, source, variant, 3)
    client.post(url, {"action": "send", "_selected_action": [str(transfer.pk)]})
    client.post(url, {"action": "complete", "_selected_action": [str(transfer.pk)]})
    assert Inventory.objects.get(warehouse=destination, variant=variant).quantity == 3
    assert Inventory.objects.get(warehouse=source, variant=variant).quantity == 0
    r = client.post(url, {"action": "cancel", "_selected_action": [str(transfer.pk)]}, follow=True)
    assert "Cannot change a transfer from completed to cancelled" in r.text
    assert Transfer.objects.get().status == "completed"


def test_inventory_is_a_read_only_list_filtered_by_warehouse(client, staff, tenant, other_tenant):
    mine, theirs = WarehouseFactory(tenant=tenant, name="Mine"), WarehouseFactory(tenant=other_tenant, name="Theirs")
    stock_in(tenant, mine, VariantFactory(tenant=tenant, name="Soap"), 2)
    stock_in(other_tenant, theirs, VariantFactory(tenant=other_tenant, name="Shampoo"), 2)
    make_receipt(tenant, warehouse=mine)
    client.force_login(staff)
    page = client.get("/admin/sales/inventory/", {"warehouse__id__exact": str(mine.pk)})
    assert page.status_code == 200 and "Soap" in page.text and "Shampoo" not in page.text and "Theirs" not in page.text
    assert client.get("/admin/sales/inventory/add/").status_code == 403
    row = Inventory.objects.get(tenant=tenant)
    assert client.get(f"/admin/sales/inventory/{row.pk}/delete/").status_code == 403

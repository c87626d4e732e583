"""Stock and sales documents in the admin, as a tenant's staff would use them: a pending receipt
received by its action shows in the read-only inventory list; an invoice voided by its action puts
its stock back, and voiding it again changes nothing."""

from decimal import Decimal

import pytest

from sales.models import Inventory, Invoice
from sales.services import invoices
from tests.factories_sales_stock import make_receipt
from tests.invoice_world import make_world

pytestmark = pytest.mark.browser


def on_hand(tenant, warehouse, variant) -> Decimal:
    return Inventory.objects.get(tenant=tenant, warehouse=warehouse, variant=variant).quantity


def test_receive_a_receipt_then_void_an_invoice(browser, staff, tenant):
    w = make_world(tenant, stock=0)
    receipt = make_receipt(tenant, warehouse=w.warehouse, variant=w.variant, quantity=12)
    assert receipt.status == "pending"
    browser.login(staff)

    browser.visit("/admin/sales/receivingmaterial/")
    browser.run_action("receive", [receipt.pk])
    receipt.refresh_from_db()
    assert receipt.status == "received" and on_hand(tenant, w.warehouse, w.variant) == 12

    browser.visit(f"/admin/sales/inventory/?warehouse__id__exact={w.warehouse.pk}")
    assert "12" in browser.find("#result_list tbody").text
    assert not browser.exists(".object-tools a.addlink")  # the projection is read-only: nothing to add by hand

    invoice = invoices.issue_invoice(
        tenant=tenant,
        data={
            "client": w.client,
            "rep": w.rep,
            "warehouse": w.warehouse,
            "items": [{"variant": str(w.variant.pk), "qty": 5}],
        },
    )
    assert on_hand(tenant, w.warehouse, w.variant) == 7
    browser.visit("/admin/sales/invoice/")
    browser.run_action("void", [invoice.pk])
    invoice.refresh_from_db()
    assert invoice.is_void and on_hand(tenant, w.warehouse, w.variant) == 12
    browser.visit("/admin/sales/invoice/")
    browser.run_action("void", [invoice.pk])  # a second void puts nothing back twice
    assert on_hand(tenant, w.warehouse, w.variant) == 12
    assert Invoice.objects.filter(tenant=tenant).count() == 1

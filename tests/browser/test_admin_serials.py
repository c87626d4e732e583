"""Invoice serial counters in the admin: a counter added with the rep and warehouse picked by
autocomplete, then edited: a lower current serial is refused on its field, a higher one saved."""

import pytest

from finance.models import InvoiceSerialCounter
from tests.factories_sales_organisation import RepFactory, WarehouseFactory

pytestmark = pytest.mark.browser


def test_add_a_counter_then_it_only_goes_up(browser, staff, tenant):
    RepFactory(tenant=tenant, name="Rania Haddad")
    WarehouseFactory(tenant=tenant, name="Amman central")
    browser.login(staff)
    browser.visit("/admin/finance/invoiceserialcounter/add/")
    browser.choose("rep", "Rania", "Rania Haddad")
    browser.choose("warehouse", "Amman", "Amman central")
    browser.select("invoice_type", "sales")
    browser.fill("current_serial", "1000")
    browser.fill("prefix", "INV-2024-")
    browser.submit("input[name=_continue]")
    assert not browser.exists(".errornote"), browser.find(".errornote").text
    counter = InvoiceSerialCounter.objects.get(tenant=tenant)
    assert browser.path == f"/admin/finance/invoiceserialcounter/{counter.pk}/change/"
    assert "INV-2024-001000" in browser.find(".field-formatted_current").text

    browser.fill("current_serial", "999")
    browser.submit("input[name=_continue]")
    assert "Cannot lower current_serial" in browser.find(".field-current_serial .errorlist").text
    counter.refresh_from_db()
    assert counter.current_serial == 1000

    browser.fill("current_serial", "1500")
    browser.submit("input[name=_continue]")
    assert not browser.exists(".errornote")
    counter.refresh_from_db()
    assert counter.current_serial == 1500 and "INV-2024-001500" in browser.find(".field-formatted_current").text

    # the same key again is refused on the form
    browser.visit("/admin/finance/invoiceserialcounter/add/")
    browser.choose("rep", "Rania", "Rania Haddad")
    browser.choose("warehouse", "Amman", "Amman central")
    browser.select("invoice_type", "sales")
    browser.submit("input[name=_save]")
    assert "already have a counter" in browser.find(".field-invoice_type .errorlist").text
    assert InvoiceSerialCounter.objects.filter(tenant=tenant).count() == 1

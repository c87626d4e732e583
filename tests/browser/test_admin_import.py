"""Importing a CSV file in the admin: a preview that writes nothing and names each failing row's
field, another file uploaded in its place, then the confirmed import into the staff's tenant."""

import pytest

from clients.models import Client
from tests.factories import ClientChannelFactory, TagFactory

pytestmark = pytest.mark.browser

HEADER = "name,client_code,city,channel,tags\n"
COUNTS = ("Created", "Updated", "Unchanged", "Skipped", "Failed")


def test_import_clients_csv_through_preview_and_confirm(browser, staff, tenant, other_tenant, tmp_path):
    retail = ClientChannelFactory(tenant=tenant, name="Retail")
    ClientChannelFactory(tenant=other_tenant, name="Retail")  # a reference by name finds the staff's tenant's
    vip = TagFactory(tenant=tenant, name="VIP")
    with_error = tmp_path / "clients.csv"
    with_error.write_text(HEADER + "Cedar Market,C-1,Amman,Retail,VIP\n,C-2,Irbid,,\n", encoding="utf-8")
    fixed = tmp_path / "clients-fixed.csv"
    fixed.write_text(HEADER + "Cedar Market,C-1,Amman,Retail,VIP\nLotus Market,C-2,Irbid,,\n", encoding="utf-8")

    browser.login(staff)
    browser.visit("/admin/clients/client/")
    browser.submit("a[href='/admin/clients/client/import/']")
    browser.upload("file", with_error)
    browser.submit("form[enctype='multipart/form-data'] input[type=submit]")

    assert browser.table(*COUNTS) == [dict(zip(COUNTS, ["1", "0", "0", "0", "1"], strict=True))]
    assert browser.table("Row", "Field", "Reason") == [
        {"Row": "3", "Field": "name", "Reason": "This field is required."}
    ]
    assert [row["Action"] for row in browser.table("Row", "Action", "Id", "Notes")] == ["created", "failed"]
    assert not Client.objects.exists()  # a preview writes nothing

    browser.upload("file", fixed)  # "Or upload another file", on the preview page
    browser.submit("form[enctype='multipart/form-data'] input[type=submit]")
    assert browser.table(*COUNTS) == [dict(zip(COUNTS, ["2", "0", "0", "0", "0"], strict=True))]
    assert "clients-fixed.csv" in browser.find("#content-main h2").text
    assert not Client.objects.exists()
    browser.submit("input[name=confirm]")

    assert browser.path == "/admin/clients/client/"
    assert browser.messages() and "2 created" in browser.messages()[0]
    assert sorted(browser.listed()) == ["Cedar Market", "Lotus Market"]
    cedar = Client.objects.get(client_code="C-1")
    assert (cedar.tenant, cedar.channel, list(cedar.tags.all())) == (tenant, retail, [vip])
    assert Client.objects.get(client_code="C-2").tenant == tenant

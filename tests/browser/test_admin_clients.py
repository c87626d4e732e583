"""Clients in the admin, as a tenant's staff member works with them: sign in, create a client
with a channel and a tag picked through autocomplete, search, and delete several at once."""

import pytest

from clients.models import Client
from tests.factories import ClientChannelFactory, ClientFactory, TagFactory

pytestmark = pytest.mark.browser


def test_sign_in_shows_the_admin_and_a_wrong_password_does_not(browser, staff):
    browser.visit("/admin/")
    assert browser.path.startswith("/admin/login/")  # signed out: sent to the login form

    browser.fill("username", staff.username)
    browser.fill("password", "not the password")
    browser.submit("#login-form input[type=submit]")
    assert browser.exists(".errornote") and not browser.exists("#user-tools")

    browser.login(staff)
    assert browser.path == "/admin/"
    assert browser.exists("a[href='/admin/clients/client/']")


def test_create_a_client_with_channel_and_tag_through_autocomplete(browser, staff, tenant, other_tenant):
    channel = ClientChannelFactory(tenant=tenant, name="Pharmacy")
    ClientChannelFactory(tenant=tenant, name="Retail")
    ClientChannelFactory(tenant=other_tenant, name="Pharmacy")  # same name, other tenant: never offered
    tag = TagFactory(tenant=tenant, name="VIP")
    TagFactory(tenant=other_tenant, name="VIP")

    browser.login(staff)
    browser.visit("/admin/clients/client/add/")
    browser.fill("name", "Cedar Pharmacy")
    browser.fill("city", "Amman")
    browser.choose("channel", "Pharm", "Pharmacy")
    browser.choose("tags", "VI", "VIP")
    browser.submit("input[name=_save]")

    assert browser.path == "/admin/clients/client/"
    assert any("Cedar Pharmacy" in message for message in browser.messages())
    created = Client.objects.get(name="Cedar Pharmacy")
    assert (created.tenant, created.channel, created.city) == (tenant, channel, "Amman")
    assert list(created.tags.all()) == [tag]


def test_search_finds_by_name_and_code(browser, staff, tenant):
    ClientFactory(tenant=tenant, name="Cedar Pharmacy", client_code="C-100")
    ClientFactory(tenant=tenant, name="Lotus Pharmacy", client_code="C-200")
    ClientFactory(tenant=tenant, name="Oasis Market", client_code="C-300")

    browser.login(staff)
    browser.visit("/admin/clients/client/")
    browser.search("pharmacy")
    assert sorted(browser.listed()) == ["Cedar Pharmacy", "Lotus Pharmacy"]
    browser.search("C-300")
    assert browser.listed() == ["Oasis Market"]
    browser.search("no such client")
    assert browser.listed() == []


def test_bulk_delete_removes_only_the_selected_clients(browser, staff, tenant):
    doomed = [ClientFactory(tenant=tenant, name=f"Closed Shop {n}") for n in range(2)]
    kept = ClientFactory(tenant=tenant, name="Open Shop")

    browser.login(staff)
    browser.visit("/admin/clients/client/")
    browser.run_action("delete_selected", [client.pk for client in doomed])
    # The confirmation page names what will go; nothing is deleted before "Yes".
    assert all(client.name in browser.html for client in doomed) and kept.name not in browser.html
    assert Client.objects.filter(tenant=tenant).count() == 3
    browser.submit("#content form input[type=submit]")

    assert browser.path == "/admin/clients/client/"
    assert any("Successfully deleted 2" in message for message in browser.messages())
    assert browser.listed() == ["Open Shop"]
    assert list(Client.objects.filter(tenant=tenant)) == [kept]

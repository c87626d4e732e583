"""A tenant's staff user sees nothing of another tenant in the admin: not in lists, searches,
autocompletes or filters, not by typing another tenant's URL; a superuser sees every tenant."""

import pytest

from tests.factories import ClientChannelFactory, ClientFactory, TagFactory
from tests.factories_sales_catalogue import ProductCategoryFactory, ProductFactory
from tests.factories_sales_organisation import RepFactory, TeamFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def rows(tenant, other_tenant):
    """The same kinds of rows, with names that tell their tenant, in both tenants."""
    return {
        "mine": ClientFactory(tenant=tenant, name="Acme Corner Shop"),
        "mine_too": ClientFactory(tenant=tenant, name="Acme Bakery"),
        "theirs": ClientFactory(tenant=other_tenant, name="Globex Corner Shop"),
        "my_tag": TagFactory(tenant=tenant, name="Acme VIP"),
        "my_other_tag": TagFactory(tenant=tenant, name="Acme Regular"),
        "their_tag": TagFactory(tenant=other_tenant, name="Globex VIP"),
        "my_channel": ClientChannelFactory(tenant=tenant, name="Acme Retail"),
        "their_channel": ClientChannelFactory(tenant=other_tenant, name="Globex Retail"),
    }


def test_staff_sees_only_their_clients_in_the_list_and_in_search(browser, staff, rows):
    browser.login(staff)
    browser.visit("/admin/clients/client/")
    assert sorted(browser.listed()) == ["Acme Bakery", "Acme Corner Shop"]
    assert "Globex" not in browser.html

    browser.search("Corner Shop")
    assert browser.listed() == ["Acme Corner Shop"]
    assert "Globex" not in browser.html


def test_staff_cannot_open_another_tenants_client_by_url(browser, staff, rows):
    browser.login(staff)
    for suffix in ("change/", "history/", "delete/"):
        browser.visit(f"/admin/clients/client/{rows['theirs'].pk}/{suffix}")
        assert not browser.exists("#client_form"), suffix
        assert "Globex" not in browser.html, suffix
    # Their own client opens, so the refusal above is about the tenant, not the page.
    browser.visit(f"/admin/clients/client/{rows['mine'].pk}/change/")
    assert browser.find("#id_name").get_attribute("value") == "Acme Corner Shop"


def test_staff_autocomplete_offers_only_their_tags_and_channels(browser, staff, rows):
    browser.login(staff)
    browser.visit("/admin/clients/client/add/")
    assert browser.autocomplete_options("tags", "VIP") == ["Acme VIP"]
    assert browser.autocomplete_options("channel", "Retail") == ["Acme Retail"]
    assert browser.autocomplete_options("channel", "Globex") == []
    assert "Globex" not in browser.html


def test_staff_cannot_see_the_tenants(browser, staff, tenant, other_tenant):
    browser.login(staff)
    assert not browser.exists("a[href='/admin/core/tenant/']")  # not on the admin's index
    for path in ("/admin/core/tenant/", f"/admin/core/tenant/{other_tenant.pk}/change/"):
        browser.visit(path)
        assert not browser.exists("#result_list") and not browser.exists("#tenant_form"), path
        assert other_tenant.name not in browser.html, path


def _product_and_categories(tenant, other_tenant):
    category = ProductCategoryFactory(tenant=tenant, name="Acme Drinks")
    ProductFactory(tenant=tenant, name="Acme Tea", category=category)
    ProductCategoryFactory(tenant=tenant, name="Acme Bakery")  # Django hides a filter with one choice
    ProductCategoryFactory(tenant=other_tenant, name="Globex Snacks")


def _rep_and_teams(tenant, other_tenant):
    RepFactory(tenant=tenant, name="Acme Rep", team=TeamFactory(tenant=tenant, name="Acme North"))
    TeamFactory(tenant=other_tenant, name="Globex South")


@pytest.mark.parametrize(
    ("path", "make", "mine", "my_choice"),
    [
        ("/admin/sales/product/", _product_and_categories, "Acme Tea", "Acme Drinks"),
        ("/admin/sales/rep/", _rep_and_teams, "Acme Rep", "Acme North"),
    ],
    ids=["product-category", "rep-team"],
)
def test_staff_list_filters_offer_only_their_rows(browser, staff, tenant, other_tenant, path, make, mine, my_choice):
    make(tenant, other_tenant)
    browser.login(staff)
    browser.visit(path)
    assert browser.listed() == [mine]
    assert my_choice in browser.find("#changelist-filter").text
    assert "Globex" not in browser.html


def test_superuser_sees_every_tenant(browser, superuser, rows, tenant, other_tenant):
    browser.login(superuser)
    browser.visit("/admin/clients/client/")
    assert sorted(browser.listed()) == ["Acme Bakery", "Acme Corner Shop", "Globex Corner Shop"]
    browser.visit(f"/admin/clients/client/{rows['theirs'].pk}/change/")
    assert browser.find("#id_name").get_attribute("value") == "Globex Corner Shop"
    browser.visit("/admin/core/tenant/")
    assert {tenant.namespace, other_tenant.namespace} <= set(browser.listed("namespace"))

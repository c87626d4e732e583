"""A product's variants edited inline on the product's page: changed, deleted and added in one
save, through the catalogue's rules (one default variant per product)."""

from decimal import Decimal

import pytest

from sales.models import Variant
from tests.factories_sales_catalogue import ProductFactory, VariantFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def tea(tenant):
    product = ProductFactory(tenant=tenant, name="Tea")
    return {
        "product": product,
        "small": VariantFactory(tenant=tenant, product=product, name="Small", price=Decimal("10"), is_default=True),
        "large": VariantFactory(tenant=tenant, product=product, name="Large", price=Decimal("12")),
        "old": VariantFactory(tenant=tenant, product=product, name="Old size", price=Decimal("8")),
    }


def test_edit_add_and_delete_variants_inline(browser, staff, tea):
    browser.login(staff)
    browser.visit(f"/admin/sales/product/{tea['product'].pk}/change/")

    large = browser.inline_prefix(tea["large"].pk)
    browser.fill(f"{large}-price", "13.50")
    browser.check(f"{browser.inline_prefix(tea['old'].pk)}-DELETE")
    new = browser.add_inline_row("variants")
    browser.fill(f"{new}-name", "Family pack")
    browser.fill(f"{new}-price", "20")
    browser.fill(f"{new}-sku", "TEA-FAM")
    browser.check(f"{new}-is_default")
    browser.submit("input[name=_continue]")

    assert browser.path == f"/admin/sales/product/{tea['product'].pk}/change/"
    assert not browser.exists(".errornote"), browser.find(".errornote").text
    variants = {v.name: v for v in Variant.objects.filter(product=tea["product"])}
    assert sorted(variants) == ["Family pack", "Large", "Small"]
    assert variants["Large"].price == Decimal("13.5")
    # the new default took over from the old one
    assert [name for name, v in variants.items() if v.is_default] == ["Family pack"]
    assert variants["Family pack"].tenant == tea["product"].tenant and variants["Family pack"].sku == "TEA-FAM"
    # and the page shows what was saved
    assert browser.find(f"[name='{browser.inline_prefix(variants['Family pack'].pk)}-is_default']").is_selected()
    assert not browser.find(f"[name='{browser.inline_prefix(tea['small'].pk)}-is_default']").is_selected()


def test_a_refused_variant_names_its_field_and_saves_nothing(browser, staff, tea):
    browser.login(staff)
    browser.visit(f"/admin/sales/product/{tea['product'].pk}/change/")
    large = browser.inline_prefix(tea["large"].pk)
    browser.fill(f"{large}-price", "-1")
    new = browser.add_inline_row("variants")
    browser.fill(f"{new}-name", "Family pack")
    browser.fill(f"{new}-price", "20")
    browser.submit("input[name=_continue]")

    assert browser.exists(".errornote")
    # The error sits in the refused row, by its price field.
    assert "greater than or equal to 0" in browser.find(f"#{large} .field-price .errorlist").text
    assert Variant.objects.get(pk=tea["large"].pk).price == Decimal("12")
    assert not Variant.objects.filter(name="Family pack").exists()

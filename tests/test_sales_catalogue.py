"""The sales catalogue: products (nested variants, sub-categories inside the category), variants
(one default per product, hidden when disabled, category filter), categories, sub-categories
(the route that must win over /product/{id}), brands, groups and modifier groups."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from sales.models import Product, ProductModifiersGroup, Variant
from sales.services import catalogue as services
from tests.api_cases import ResourceAPICase
from tests.factories_sales_catalogue import (
    ProductBrandFactory,
    ProductCategoryFactory,
    ProductFactory,
    ProductGroupFactory,
    ProductModifiersGroupFactory,
    ProductSubCategoryFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db

WITH_REMOVE = {"list", "create", "retrieve", "update", "destroy", "remove"}


def error_paths(response) -> set[str]:
    return {d["path"] for d in response.json().get("details", [])}


def ids_of(response) -> set[str]:
    return {d["_id"] for d in response.json()["data"]}


# The generic cases ------------------------------------------------------------------------------
class TestProductCategoryAPI(ResourceAPICase):
    path = "product-category"
    create_data = {
        "name": "Drinks",
        "type": "main",
        "photo": "https://cdn.example.test/drinks.png",
        "local_name": "مشروبات",
        "icon": "cup",
        "disabled": False,
        "position": 2,
        "integration_meta": {"erp_id": "CAT-1"},
    }
    update_data = {"name": "Soft drinks", "position": 3}
    invalid_data = [{}, {"name": 5}, {"name": "x", "type": "sub"}, {"name": "x", "position": "1"}]

    def make(self, tenant, **kwargs):
        return ProductCategoryFactory(tenant=tenant, **kwargs)


class TestProductSubCategoryAPI(ResourceAPICase):
    path = "product/sub-categories"
    update_data = {"name": "Sparkling", "position": 1}
    invalid_data = [
        {"name": "Still"},  # parent_id is required
        {"name": "Still", "parent_id": "not-an-id"},
        {"name": "Still", "parent_id": "01890a5d-ac96-774b-bcce-b302099a8057"},
    ]

    def get_create_data(self, tenant):
        parent = ProductCategoryFactory(tenant=tenant)
        return {"name": "Juices", "parent_id": str(parent.pk), "local_name": "عصائر", "photo": "j.png", "position": 4}

    def make(self, tenant, **kwargs):
        return ProductSubCategoryFactory(tenant=tenant, **kwargs)


class TestProductBrandAPI(ResourceAPICase):
    path = "product-brand"
    create_data = {"name": "Acme Cola", "local_name": "أكمي", "disabled": False, "integration_meta": {"k": "v"}}
    update_data = {"name": "Acme"}
    invalid_data = [{}, {"name": None}, {"name": "x", "disabled": "no"}]

    def make(self, tenant, **kwargs):
        return ProductBrandFactory(tenant=tenant, **kwargs)


class TestProductGroupAPI(ResourceAPICase):
    path = "product-group"
    create_data = {"name": "Summer", "local_name": "صيف", "disabled": False}
    update_data = {"name": "Winter", "disabled": True}
    invalid_data = [{}, {"name": ["x"]}]

    def make(self, tenant, **kwargs):
        return ProductGroupFactory(tenant=tenant, **kwargs)


class TestProductModifiersGroupAPI(ResourceAPICase):
    path = "product-modifiers-group"
    family = "B"
    operations = WITH_REMOVE
    create_data = {
        "name": "Size Options",
        "description": "Available size options for products",
        "modifiers": [{"name": "Large", "price_adjustment": 1.5, "description": "500 ml"}],
        "is_required": True,
        "max_selection": 1,
        "disabled": False,
    }
    update_data = {"name": "Sizes", "max_selection": 2}
    invalid_data = [
        {},
        {"name": "x", "max_selection": 0},
        {"name": "x", "is_required": True},  # required without modifiers
        {"name": "x", "modifiers": [{"price_adjustment": 1}]},  # a modifier needs a name
        {"name": "x", "modifiers": [{"name": "L", "price_adjustment": "1"}]},
        {"name": "x", "modifiers": [{"name": "L", "colour": "red"}]},
        {"name": "x", "modifiers": "L"},
    ]

    def make(self, tenant, **kwargs):
        return ProductModifiersGroupFactory(tenant=tenant, **kwargs)


class TestProductAPI(ResourceAPICase):
    path = "product"
    update_data = {"name": "Cola 330 ml", "base_price": "1.25", "active": False}
    invalid_data = [
        {},
        {"name": "Cola"},  # category is required
        {"name": "Cola", "category": "01890a5d-ac96-774b-bcce-b302099a8057"},
        {"name": 5, "category": "x"},
    ]

    def get_create_data(self, tenant):
        category = ProductCategoryFactory(tenant=tenant)
        return {
            "name": "Cola",
            "category": str(category.pk),
            "sub_category": [str(ProductSubCategoryFactory(tenant=tenant, parent=category).pk)],
            "brand": str(ProductBrandFactory(tenant=tenant).pk),
            "product_groups": [str(ProductGroupFactory(tenant=tenant).pk)],
            "modifiers_group": [str(ProductModifiersGroupFactory(tenant=tenant).pk)],
            "active": True,
            "local_name": "كولا",
            "sku": "COLA-1",
            "barcode": "6291234567890",
            "auditable": True,
            "description": "Fizzy",
            "local_description": "غازي",
            "html_description": "<p>Fizzy</p>",
            "product_img": "https://cdn.example.test/cola.png",
            "base_price": "0.75",
            "rsp": 1.0,
            "featured": True,
            "position": 1,
            "frozen_sales": False,
            "frozen_pre_sales": False,
            "integration_meta": {"erp_id": "P-1"},
        }

    def make(self, tenant, **kwargs):
        return ProductFactory(tenant=tenant, **kwargs)


class TestVariantAPI(ResourceAPICase):
    path = "variant"
    update_data = {"name": "Cola can", "price": 0.8}
    invalid_data = [
        {},
        {"name": "Can", "price": 1},  # product is required
        {"name": "Can", "product": "not-an-id", "price": 1},
    ]

    def get_create_data(self, tenant):
        return {
            "name": "Can 330 ml",
            "product": str(ProductFactory(tenant=tenant).pk),
            "price": 0.75,
            "disabled": False,
            "uuid": "b6f1c0de-mobile",
            "local_name": "علبة",
            "sku": "COLA-330",
            "barcode": "6291234567891",
            "weight": 0.35,
            "length": 6.5,
            "width": 6.5,
            "height": 12.0,
            "position": 1,
            "default": True,
            "variant_img": "https://cdn.example.test/can.png",
            "modifiers_groups": [str(ProductModifiersGroupFactory(tenant=tenant).pk)],
            "integration_meta": {"erp_id": "V-1"},
        }

    def make(self, tenant, **kwargs):
        return VariantFactory(tenant=tenant, **kwargs)


# Documented shapes ------------------------------------------------------------------------------
PRODUCT_KEYS = {
    "_id", "name", "category", "active", "company_namespace", "local_name", "sku", "sub_category", "assigned_to",
    "auditable", "barcode", "sv_tax", "sv_measureUnit", "description", "local_description", "product_img",
    "base_price", "assigned_media", "html_description", "modifiers_group", "featured", "brand", "rsp",
    "measureunit_family", "integration_meta", "teams", "position", "product_groups", "frozen_pre_sales",
    "frozen_sales", "createdAt", "updatedAt", "__v",
}  # fmt: skip
VARIANT_KEYS = {
    "_id", "name", "product", "price", "company_namespace", "disabled", "uuid", "local_name", "sku", "barcode",
    "weight", "length", "width", "height", "position", "default", "variant_img", "modifiers_groups",
    "integration_meta", "createdAt", "updatedAt", "__v",
}  # fmt: skip
MODIFIERS_GROUP_KEYS = {
    "SVClient", "__v", "_id", "company_namespace", "createdAt", "description", "disabled", "is_required",
    "max_selection", "modifiedAt", "modifiers", "name",
}  # fmt: skip


def test_documents_have_the_documented_keys(api, tenant):
    product = ProductFactory(tenant=tenant)
    variant = VariantFactory(tenant=tenant, product=product)
    group = ProductModifiersGroupFactory(tenant=tenant)
    assert set(api.get(f"/v1/product/{product.pk}").json()) == PRODUCT_KEYS
    assert set(api.get(f"/v1/variant/{variant.pk}").json()) == VARIANT_KEYS
    assert set(api.get(f"/v1/product-modifiers-group/{group.pk}").json()["data"]) == MODIFIERS_GROUP_KEYS


def test_base_price_is_a_string_on_the_wire(api, tenant):
    category = ProductCategoryFactory(tenant=tenant)
    r = api.post("/v1/product", {"name": "Tea", "category": str(category.pk), "base_price": "12.50"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["base_price"] == "12.5"
    assert Product.objects.get(pk=r.json()["_id"]).base_price == pytest.approx(12.5)
    # A JSON number is accepted too (the schema's request type), and answered as the documented string.
    r = api.post("/v1/product", {"name": "Tea", "category": str(category.pk), "base_price": 12.5}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["base_price"] == "12.5"
    for junk in (True, [12.5], {"amount": 1}):
        r = api.post("/v1/product", {"name": "Tea", "category": str(category.pk), "base_price": junk}, format="json")
        assert r.status_code == 400 and "base_price" in error_paths(r), junk
    r = api.post("/v1/product", {"name": "Tea", "category": str(category.pk), "base_price": "-1"}, format="json")
    assert r.status_code == 400
    assert (
        api.post("/v1/product", {"name": "Tea", "category": str(category.pk)}, format="json").json()["base_price"]
        is None
    )


# Routing ----------------------------------------------------------------------------------------
def test_sub_categories_route_is_not_read_as_a_product_id(api, tenant):
    sub = ProductSubCategoryFactory(tenant=tenant, name="Juices")
    ProductFactory(tenant=tenant)
    for prefix in ("/v1", ""):
        r = api.get(f"{prefix}/product/sub-categories")
        assert r.status_code == 200, r.content
        assert [d["name"] for d in r.json()["data"]] == ["Juices"]
        r = api.get(f"{prefix}/product/sub-categories/{sub.pk}")
        assert r.status_code == 200 and r.json()["parent_id"] == str(sub.parent_id)
    # the product routes still work beside it
    assert api.get("/v1/product").json()["total_result"] == 1


def test_sdk_alias_product_sub_category(api, tenant):
    parent = ProductCategoryFactory(tenant=tenant)
    r = api.post("/product-sub-category", {"name": "Still", "parent_id": str(parent.pk)}, format="json")
    assert r.status_code == 201, r.content
    sub_id = r.json()["_id"]
    assert [d["_id"] for d in api.get("/product-sub-category").json()["data"]] == [sub_id]
    assert api.put(f"/product-sub-category/{sub_id}", {"name": "Flat"}, format="json").json()["name"] == "Flat"
    assert api.get(f"/v1/product-sub-category/{sub_id}").json()["name"] == "Flat"
    assert api.delete(f"/product-sub-category/{sub_id}").json()["_id"] == sub_id


def test_sub_category_populates_its_parent(api, tenant):
    sub = ProductSubCategoryFactory(tenant=tenant)
    r = api.get("/v1/product/sub-categories", {"populatedKeys": "parent_id"})
    parent = r.json()["data"][0]["parent_id"]
    assert parent["_id"] == str(sub.parent_id) and parent["name"] == sub.parent.name
    detail = api.get(f"/v1/product/sub-categories/{sub.pk}", {"populatedKeys": '["parent_id"]'}).json()
    assert detail["parent_id"]["name"] == sub.parent.name
    filtered = api.get("/v1/product/sub-categories", {"parent_id": str(sub.parent_id)}).json()
    assert filtered["total_result"] == 1


# Product: nested variants -----------------------------------------------------------------------
def product_body(category, **extra):
    return {"name": "Cola", "category": str(category.pk), **extra}


def test_create_product_with_nested_variants(api, tenant):
    category = ProductCategoryFactory(tenant=tenant)
    group = ProductModifiersGroupFactory(tenant=tenant)
    body = product_body(
        category,
        variants=[
            {"name": "Can", "product": "placeholder", "price": 0.75, "sku": "C-1", "modifiers_groups": [str(group.pk)]},
            {"name": "Bottle", "price": 1.5, "default": True},
        ],
    )
    r = api.post("/v1/product", body, format="json")
    assert r.status_code == 201, r.content
    product_id = r.json()["_id"]
    assert "variants" not in r.json()  # the documented product document has no variants
    listed = api.get("/v1/variant", {"product": product_id, "sort": "name"}).json()
    assert [(d["name"], d["price"], d["default"]) for d in listed["data"]] == [
        ("Bottle", 1.5, True),
        ("Can", 0.75, False),
    ]
    assert listed["data"][1]["modifiers_groups"] == [str(group.pk)]
    assert all(d["product"] == product_id for d in listed["data"])


def test_nested_variant_errors_create_nothing(api, tenant):
    category = ProductCategoryFactory(tenant=tenant)
    r = api.post(
        "/v1/product",
        product_body(category, variants=[{"name": "Can", "price": 1}, {"name": "No price"}]),
        format="json",
    )
    assert r.status_code == 400
    assert "variants[1].price" in error_paths(r)
    r = api.post(
        "/v1/product",
        product_body(
            category, variants=[{"name": "A", "price": 1, "default": True}, {"name": "B", "price": 1, "default": True}]
        ),
        format="json",
    )
    assert r.status_code == 400 and "variants[1]" in error_paths(r)
    r = api.post("/v1/product", product_body(category, variants=[{"name": "A", "price": -1}]), format="json")
    assert r.status_code == 400 and "variants[0].price" in error_paths(r)
    assert not Product.objects.filter(tenant=tenant).exists()
    assert not Variant.objects.filter(tenant=tenant).exists()


def test_update_product_nested_variants(api, tenant, other_tenant):
    product = ProductFactory(tenant=tenant)
    can = VariantFactory(tenant=tenant, product=product, name="Can", is_default=True)
    elsewhere = VariantFactory(tenant=tenant, name="Other product's")
    url = f"/v1/product/{product.pk}"

    body = {"variants": [{"_id": str(can.pk), "price": 0.9}, {"name": "Bottle", "price": 1.5, "default": True}]}
    r = api.put(url, body, format="json")
    assert r.status_code == 200, r.content
    can.refresh_from_db()
    assert (float(can.price), can.is_default, can.name) == (0.9, False, "Can")
    bottle = Variant.objects.get(product=product, name="Bottle")
    assert bottle.is_default is True

    # another product's variant, an unknown id, a new item without price, the wrong product
    for item, path in [
        ({"_id": str(elsewhere.pk), "price": 1}, "variants[0]._id"),
        ({"_id": "01890a5d-ac96-774b-bcce-b302099a8057", "price": 1}, "variants[0]._id"),
        ({"name": "Crate"}, "variants[0].price"),
        ({"_id": str(can.pk), "product": str(elsewhere.product_id)}, "variants[0].product"),
    ]:
        r = api.patch(url, {"name": "Renamed", "variants": [item]}, format="json")
        assert r.status_code == 400 and path in error_paths(r), (item, r.content)
    product.refresh_from_db()
    assert product.name != "Renamed"  # nothing of a refused body is kept
    assert Variant.objects.filter(product=product).count() == 2


def test_nested_items_cannot_carry_an_id_on_create(api, tenant):
    category = ProductCategoryFactory(tenant=tenant)
    variant = VariantFactory(tenant=tenant)
    r = api.post(
        "/v1/product",
        product_body(category, variants=[{"_id": str(variant.pk), "name": "A", "price": 1}]),
        format="json",
    )
    assert r.status_code == 400 and "variants[0]._id" in error_paths(r)


# Variant rules ----------------------------------------------------------------------------------
def test_a_new_default_variant_unsets_the_previous_one(api, tenant):
    product = ProductFactory(tenant=tenant)
    old = VariantFactory(tenant=tenant, product=product, is_default=True)
    other_product_default = VariantFactory(tenant=tenant, is_default=True)
    r = api.post("/v1/variant", {"name": "New", "product": str(product.pk), "price": 2, "default": True}, format="json")
    assert r.status_code == 201, r.content
    old.refresh_from_db()
    assert old.is_default is False and old.version == 1
    other_product_default.refresh_from_db()
    assert other_product_default.is_default is True
    # and back through PUT
    r = api.put(f"/v1/variant/{old.pk}", {"default": True}, format="json")
    assert r.status_code == 200 and r.json()["default"] is True
    assert list(Variant.objects.filter(product=product, is_default=True).values_list("pk", flat=True)) == [old.pk]


def test_a_variant_stays_with_its_product(api, tenant):
    variant = VariantFactory(tenant=tenant)
    other = ProductFactory(tenant=tenant)
    r = api.put(f"/v1/variant/{variant.pk}", {"product": str(other.pk)}, format="json")
    assert r.status_code == 400 and "product" in error_paths(r)
    same = api.put(f"/v1/variant/{variant.pk}", {"product": str(variant.product_id), "name": "Kept"}, format="json")
    assert same.status_code == 200 and same.json()["name"] == "Kept"


def test_variant_list_hides_disabled_unless_asked(api, tenant):
    product = ProductFactory(tenant=tenant)
    shown = VariantFactory(tenant=tenant, product=product)
    hidden = VariantFactory(tenant=tenant, product=product, disabled=True)
    r = api.get("/v1/variant")
    assert ids_of(r) == {str(shown.pk)} and r.json()["total_result"] == 1
    r = api.get("/v1/variant", {"withDisabled": "true"})
    assert ids_of(r) == {str(shown.pk), str(hidden.pk)} and r.json()["total_result"] == 2
    assert ids_of(api.get("/v1/variant", {"disabled": "true"})) == {str(hidden.pk)}
    assert api.get(f"/v1/variant/{hidden.pk}").status_code == 200  # a detail is not a list


def test_default_variant_total_counts_only_the_disabled_rows(api, tenant):
    for disabled in (False, False, True):
        VariantFactory(tenant=tenant, disabled=disabled)
    with CaptureQueriesContext(connection) as queries:
        r = api.get("/v1/variant")
    assert r.json()["total_result"] == 2
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and 'FROM "sales_variant"' in q["sql"]]
    assert len(counts) == 1 and "NOT" not in counts[0]  # the kept count less the disabled rows


def test_variant_filters(api, tenant, other_tenant):
    drinks, snacks = ProductCategoryFactory(tenant=tenant), ProductCategoryFactory(tenant=tenant)
    cola = ProductFactory(tenant=tenant, category=drinks)
    water = ProductFactory(tenant=tenant, category=drinks)
    chips = ProductFactory(tenant=tenant, category=snacks)
    cola_can = VariantFactory(tenant=tenant, product=cola, sku="COLA-CAN", barcode="111")
    water_bottle = VariantFactory(tenant=tenant, product=water)
    VariantFactory(tenant=tenant, product=water, disabled=True)
    chips_bag = VariantFactory(tenant=tenant, product=chips, barcode="222")
    VariantFactory(tenant=other_tenant, sku="COLA-CAN")

    r = api.get("/v1/variant", {"category": str(drinks.pk)})
    assert ids_of(r) == {str(cola_can.pk), str(water_bottle.pk)} and r.json()["total_result"] == 2
    r = api.get("/v1/variant", {"category": str(drinks.pk), "withDisabled": "true", "per_page": 1})
    assert r.json()["total_result"] == 3 and r.json()["total_pages"] == 3
    r = api.get("/v1/variant", {"category": f'["{drinks.pk}", "{snacks.pk}"]'})
    assert r.json()["total_result"] == 3
    assert api.get("/v1/variant", {"category": "nonsense"}).json()["total_result"] == 0
    assert ids_of(api.get("/v1/variant", {"product": str(chips.pk)})) == {str(chips_bag.pk)}
    assert ids_of(api.get("/v1/variant", {"sku": "COLA-CAN"})) == {str(cola_can.pk)}
    assert ids_of(api.get("/v1/variant", {"barcode": "222"})) == {str(chips_bag.pk)}
    assert ids_of(api.get("/v1/variant", {"search": "cola-c"})) == {str(cola_can.pk)}
    # the same filters through the SDK path
    assert ids_of(api.get("/variant", {"category": str(snacks.pk)})) == {str(chips_bag.pk)}


def test_variant_category_list_stays_on_the_fast_path(api, tenant):
    from core.api.registry import ResourceFields
    from sales.serializers.catalogue import ProductSerializer, VariantSerializer

    assert ResourceFields.of(VariantSerializer).fast and ResourceFields.of(ProductSerializer).fast
    category = ProductCategoryFactory(tenant=tenant)
    for _ in range(3):
        VariantFactory(tenant=tenant, product=ProductFactory(tenant=tenant, category=category))
    api.get("/v1/variant", {"category": str(category.pk)})
    with CaptureQueriesContext(connection) as small:
        api.get("/v1/variant", {"category": str(category.pk), "per_page": 1})
    with CaptureQueriesContext(connection) as large:
        api.get("/v1/variant", {"category": str(category.pk), "per_page": 100, "populatedKeys": "product"})
    assert len(large) == len(small) + 1  # the product expansion is one query


def test_variant_populates_its_product(api, tenant):
    variant = VariantFactory(tenant=tenant)
    doc = api.get("/v1/variant", {"populatedKeys": '["product"]'}).json()["data"][0]
    assert doc["product"]["_id"] == str(variant.product_id)
    assert doc["product"]["name"] == variant.product.name
    assert doc["product"]["base_price"] == "9.5"
    detail = api.get(f"/v1/variant/{variant.pk}", {"populatedKeys": "product"}).json()
    assert detail["product"]["category"] == str(variant.product.category_id)


# Sub-categories inside the product's category ----------------------------------------------------
def test_sub_categories_must_belong_to_the_product_category(api, tenant):
    drinks, snacks = ProductCategoryFactory(tenant=tenant), ProductCategoryFactory(tenant=tenant)
    juices = ProductSubCategoryFactory(tenant=tenant, parent=drinks)
    crisps = ProductSubCategoryFactory(tenant=tenant, parent=snacks)
    r = api.post("/v1/product", product_body(drinks, sub_category=[str(juices.pk), str(crisps.pk)]), format="json")
    assert r.status_code == 400 and error_paths(r) == {"sub_category[1]"}
    assert crisps.name in r.json()["error"]
    r = api.post("/v1/product", product_body(drinks, sub_category=[str(juices.pk)]), format="json")
    assert r.status_code == 201
    url = f"/v1/product/{r.json()['_id']}"
    # moving the product to another category while it keeps its sub-category is refused
    r2 = api.put(url, {"category": str(snacks.pk)}, format="json")
    assert r2.status_code == 400 and error_paths(r2) == {"sub_category[0]"}
    # moving it with matching sub-categories is fine
    r3 = api.put(url, {"category": str(snacks.pk), "sub_category": [str(crisps.pk)]}, format="json")
    assert r3.status_code == 200 and r3.json()["sub_category"] == [str(crisps.pk)]
    r4 = api.put(url, {"sub_category": [str(juices.pk)]}, format="json")
    assert r4.status_code == 400


def test_a_used_sub_category_keeps_its_parent(api, tenant):
    drinks, snacks = ProductCategoryFactory(tenant=tenant), ProductCategoryFactory(tenant=tenant)
    juices = ProductSubCategoryFactory(tenant=tenant, parent=drinks)
    product = ProductFactory(tenant=tenant, category=drinks, name="Orange juice")
    product.sub_category.add(juices)
    r = api.put(f"/v1/product/sub-categories/{juices.pk}", {"parent_id": str(snacks.pk)}, format="json")
    assert r.status_code == 409 and "Orange juice" in r.json()["error"]
    product.sub_category.clear()
    r = api.put(f"/v1/product/sub-categories/{juices.pk}", {"parent_id": str(snacks.pk)}, format="json")
    assert r.status_code == 200 and r.json()["parent_id"] == str(snacks.pk)


def test_product_references_stay_in_the_tenant(api, tenant, other_tenant):
    category = ProductCategoryFactory(tenant=tenant)
    foreign_category = ProductCategoryFactory(tenant=other_tenant)
    foreign_brand = ProductBrandFactory(tenant=other_tenant)
    foreign_group = ProductModifiersGroupFactory(tenant=other_tenant)
    for body, path in [
        (product_body(foreign_category), "category"),
        (product_body(category, brand=str(foreign_brand.pk)), "brand"),
        (product_body(category, modifiers_group=[str(foreign_group.pk)]), "modifiers_group"),
        (product_body(category, variants=[{"name": "A", "price": 1, "modifiers_groups": [str(foreign_group.pk)]}]),
         "variants[0].modifiers_groups"),
    ]:  # fmt: skip
        r = api.post("/v1/product", body, format="json")
        assert r.status_code == 400 and path in error_paths(r), (path, r.content)
    foreign_product = ProductFactory(tenant=other_tenant)
    r = api.post("/v1/variant", {"name": "A", "price": 1, "product": str(foreign_product.pk)}, format="json")
    assert r.status_code == 400 and "product" in error_paths(r)
    assert not Product.objects.filter(tenant=tenant).exists()


def test_product_filters_and_populate(api, tenant):
    drinks = ProductCategoryFactory(tenant=tenant, name="Drinks")
    brand = ProductBrandFactory(tenant=tenant)
    cola = ProductFactory(tenant=tenant, category=drinks, brand=brand, name="Cola", sku="COLA")
    ProductFactory(tenant=tenant, name="Chips", active=False)
    assert ids_of(api.get("/v1/product", {"category": str(drinks.pk)})) == {str(cola.pk)}
    assert ids_of(api.get("/v1/product", {"brand": str(brand.pk)})) == {str(cola.pk)}
    assert ids_of(api.get("/v1/product", {"active": "true"})) == {str(cola.pk)}
    assert ids_of(api.get("/v1/product", {"search": "col"})) == {str(cola.pk)}
    doc = api.get("/v1/product", {"sku": "COLA", "populatedKeys": '["category", "brand"]'}).json()["data"][0]
    assert doc["category"]["name"] == "Drinks" and doc["brand"]["_id"] == str(brand.pk)


# Deleting referenced rows -----------------------------------------------------------------------
def test_deleting_referenced_catalogue_rows_is_409(api, tenant):
    product = ProductFactory(tenant=tenant)
    VariantFactory(tenant=tenant, product=product)
    brand = ProductBrandFactory(tenant=tenant)
    ProductFactory(tenant=tenant, brand=brand, category=product.category)
    sub = ProductSubCategoryFactory(tenant=tenant)

    r = api.delete(f"/v1/product-category/{product.category_id}")
    assert r.status_code == 409 and "2 product" in r.json()["error"]
    r = api.delete(f"/v1/product-brand/{brand.pk}")
    assert r.status_code == 409 and "product" in r.json()["error"]
    r = api.delete(f"/v1/product/{product.pk}")
    assert r.status_code == 409 and "variant" in r.json()["error"]
    r = api.delete(f"/v1/product-category/{sub.parent_id}")
    assert r.status_code == 409 and "sub-category" in r.json()["error"]
    assert Product.objects.filter(pk=product.pk).exists()


def test_deleting_a_variant_on_a_price_list_is_409(api, tenant):
    from sales.models import PriceList, PriceListItem

    variant = VariantFactory(tenant=tenant)
    pricelist = PriceList.objects.create(tenant=tenant, name="Retail")
    extra = {"price": 1} if any(f.name == "price" for f in PriceListItem._meta.fields) else {}
    PriceListItem.objects.create(tenant=tenant, pricelist=pricelist, product=variant.product, variant=variant, **extra)
    r = api.delete(f"/v1/variant/{variant.pk}")
    assert r.status_code == 409, r.content
    assert Variant.objects.filter(pk=variant.pk).exists()


def test_other_groups_references_populate_and_protect(api, tenant):
    """sv_tax expands through the tax resource's own serializer; a tax in use cannot be deleted."""
    from sales.models import Tax

    fields = {f.name for f in Tax._meta.fields}
    extra = {key: value for key, value in (("rate", 15), ("type", "inclusive")) if key in fields}
    tax = Tax.objects.create(tenant=tenant, name="VAT", **extra)
    product = ProductFactory(tenant=tenant, sv_tax=tax)
    assert api.get(f"/v1/product/{product.pk}").json()["sv_tax"] == str(tax.pk)
    expanded = api.get(f"/v1/product/{product.pk}", {"populatedKeys": "sv_tax"}).json()["sv_tax"]
    assert expanded["_id"] == str(tax.pk) and expanded["name"] == "VAT"
    r = api.delete(f"/v1/tax/{tax.pk}")
    assert r.status_code == 409 and "product" in r.json()["error"]


def test_deleting_a_sub_category_or_group_pulls_it_from_products(api, tenant):
    product = ProductFactory(tenant=tenant)
    sub = ProductSubCategoryFactory(tenant=tenant, parent=product.category)
    group = ProductGroupFactory(tenant=tenant)
    product.sub_category.add(sub)
    product.product_groups.add(group)
    assert api.delete(f"/v1/product/sub-categories/{sub.pk}").status_code == 200
    assert api.delete(f"/v1/product-group/{group.pk}").status_code == 200
    doc = api.get(f"/v1/product/{product.pk}").json()
    assert doc["sub_category"] == [] and doc["product_groups"] == []


# Modifier groups --------------------------------------------------------------------------------
def test_modifier_ids_are_the_servers(api, tenant):
    r = api.post(
        "/v1/product-modifiers-group",
        {"name": "Size", "modifiers": [{"_id": "client-made", "name": "S"}, {"name": "L", "price_adjustment": 2}]},
        format="json",
    )
    assert r.status_code == 201, r.content
    data = r.json()["data"]
    assert data["max_selection"] == 1 and data["is_required"] is False
    small, large = data["modifiers"]
    assert small["_id"] != "client-made" and small["price_adjustment"] == 0 and small["description"] == ""
    assert large["price_adjustment"] == 2
    url = f"/v1/product-modifiers-group/{data['_id']}"
    r = api.patch(
        url, {"modifiers": [{"_id": large["_id"], "name": "XL", "price_adjustment": 3}, {"name": "M"}]}, format="json"
    )
    assert r.status_code == 200, r.content
    xl, medium = r.json()["data"]["modifiers"]
    assert xl["_id"] == large["_id"] and xl["name"] == "XL"
    assert medium["_id"] not in (small["_id"], large["_id"])


def test_modifier_group_rules_hold_on_partial_update(api, tenant):
    group = ProductModifiersGroupFactory(tenant=tenant, modifiers=[])
    url = f"/v1/product-modifiers-group/{group.pk}"
    r = api.patch(url, {"is_required": True}, format="json")
    assert r.status_code == 422 and "modifiers" in error_paths(r)
    r = api.patch(url, {"max_selection": 0}, format="json")
    assert r.status_code == 422 and "max_selection" in error_paths(r)
    r = api.put(url, {"is_required": True, "modifiers": [{"name": "Ice"}]}, format="json")
    assert r.status_code == 200 and r.json()["data"]["is_required"] is True
    r = api.patch(url, {"modifiers": [{"name": "Ice", "price_adjustment": True}]}, format="json")
    assert r.status_code == 422 and "modifiers[0].price_adjustment" in error_paths(r)
    r = api.patch(url, {"modifiers": []}, format="json")  # the group is still required
    assert r.status_code == 422


@pytest.mark.parametrize("how", ["remove", "delete"])
def test_deleting_modifier_groups_pulls_them_from_products_and_variants(api, tenant, how):
    kept, gone = ProductModifiersGroupFactory(tenant=tenant), ProductModifiersGroupFactory(tenant=tenant)
    product = ProductFactory(tenant=tenant)
    product.modifiers_group.add(kept, gone)
    variant = VariantFactory(tenant=tenant, product=product)
    variant.modifiers_groups.add(gone)
    if how == "remove":
        r = api.post("/v1/product-modifiers-group/remove", {"ids": [str(gone.pk)]}, format="json")
    else:
        r = api.delete(f"/v1/product-modifiers-group/{gone.pk}")
    assert r.status_code == 200 and r.json() == {"success": True}
    assert api.get(f"/v1/product/{product.pk}").json()["modifiers_group"] == [str(kept.pk)]
    doc = api.get(f"/v1/variant/{variant.pk}").json()
    assert doc["modifiers_groups"] == [] and doc["__v"] == 1  # syncing clients see the change
    assert not ProductModifiersGroup.objects.filter(pk=gone.pk).exists()


def test_modifier_group_remove_is_all_or_nothing(api, tenant, other_tenant):
    mine = ProductModifiersGroupFactory(tenant=tenant)
    product = ProductFactory(tenant=tenant)
    product.modifiers_group.add(mine)
    theirs = ProductModifiersGroupFactory(tenant=other_tenant)
    r = api.post("/v1/product-modifiers-group/remove", {"ids": [str(mine.pk), str(theirs.pk)]}, format="json")
    assert r.status_code == 404
    product.refresh_from_db()
    assert list(product.modifiers_group.all()) == [mine] and product.version == 0


# Services directly ------------------------------------------------------------------------------
def test_services_product_with_variants(tenant):
    category = ProductCategoryFactory(tenant=tenant)
    product = services.create_product(
        tenant=tenant,
        data={"name": "Tea", "category": category},
        variants=[{"name": "Box", "price": 3, "is_default": True}, {"name": "Bag", "price": 1}],
    )
    assert set(product.variants.values_list("name", "is_default")) == {("Box", True), ("Bag", False)}
    bag = product.variants.get(name="Bag")
    services.update_product(product=product, data={}, variants=[{"_id": str(bag.pk), "is_default": True}])
    assert product.variants.get(is_default=True) == bag
    other = ProductCategoryFactory(tenant=tenant)
    with pytest.raises(ValidationError):
        services.update_product(
            product=product, data={"sub_category": [ProductSubCategoryFactory(tenant=tenant, parent=other)]}
        )


def test_services_default_variant_and_modifier_groups(tenant):
    product = ProductFactory(tenant=tenant)
    first = services.create_variant(
        tenant=tenant, data={"name": "A", "product": product, "price": 1, "is_default": True}
    )
    second = services.create_variant(
        tenant=tenant, data={"name": "B", "product": product, "price": 1, "is_default": True}
    )
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)

    group = services.create_modifiers_group(tenant=tenant, data={"name": "Milk", "modifiers": [{"name": "Oat"}]})
    assert group.modifiers[0]["_id"] and group.max_selection == 1
    with pytest.raises(ValidationError):
        services.update_modifiers_group(group=group, data={"is_required": True, "modifiers": []})
    second.modifiers_groups.add(group)
    assert services.delete_modifiers_groups(tenant=tenant, ids=[group.pk]) >= 1
    assert second.modifiers_groups.count() == 0


def test_services_sub_category_move_conflict(tenant):
    product = ProductFactory(tenant=tenant)
    sub = ProductSubCategoryFactory(tenant=tenant, parent=product.category)
    product.sub_category.add(sub)
    with pytest.raises(Conflict):
        services.update_sub_category(sub_category=sub, data={"parent": ProductCategoryFactory(tenant=tenant)})
    renamed = services.update_sub_category(sub_category=sub, data={"name": "Renamed", "parent": product.category})
    assert renamed.name == "Renamed"


# Admin ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "model",
    ["productcategory", "productsubcategory", "productbrand", "productgroup", "productmodifiersgroup", "product",
     "variant"],
)  # fmt: skip
def test_admin_pages_render(admin_client, tenant, model):
    variant = VariantFactory(tenant=tenant)
    ProductSubCategoryFactory(tenant=tenant)
    ProductModifiersGroupFactory(tenant=tenant)
    assert admin_client.get(f"/admin/sales/{model}/").status_code == 200
    assert admin_client.get(f"/admin/sales/{model}/", {"q": "a"}).status_code == 200
    assert admin_client.get(f"/admin/sales/{model}/add/").status_code == 200
    assert admin_client.get(f"/admin/sales/product/{variant.product_id}/change/").status_code == 200


def test_admin_variant_save_goes_through_the_default_rule(admin_client, tenant):
    old = VariantFactory(tenant=tenant, is_default=True)
    form = {
        "tenant": str(tenant.pk),
        "name": "New default",
        "product": str(old.product_id),
        "price": "2.5",
        "is_default": "on",
        "integration_meta": "{}",
    }
    r = admin_client.post("/admin/sales/variant/add/", form)
    assert r.status_code == 302, r.context["adminform"].form.errors
    old.refresh_from_db()
    assert old.is_default is False
    assert Variant.objects.get(product=old.product_id, is_default=True).name == "New default"


def test_admin_modifier_group_checks_and_ids(admin_client, tenant):
    form = {
        "tenant": str(tenant.pk),
        "name": "Sauce",
        "modifiers": '[{"name": "Garlic", "price_adjustment": 0.5}]',
        "max_selection": "1",
        "integration_meta": "{}",
    }
    assert admin_client.post("/admin/sales/productmodifiersgroup/add/", form).status_code == 302
    assert ProductModifiersGroup.objects.get(name="Sauce").modifiers[0]["_id"]
    r = admin_client.post(
        "/admin/sales/productmodifiersgroup/add/", {**form, "name": "Empty", "modifiers": "[]", "is_required": "on"}
    )
    assert r.status_code == 200 and "at least one modifier" in r.content.decode()

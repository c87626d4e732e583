"""Pricing resources: tax, measure-unit, measureunitfamily, pricelist, pricelistitem (family D),
msl, msl-products (family E): the generic API cases plus each resource's rules, through the
API as a client would and through the services directly."""

from decimal import Decimal

import pytest
from django.db.models import ProtectedError
from django.utils.module_loading import import_string
from rest_framework.exceptions import ValidationError

from core import services as core_services
from core.api.exceptions import Conflict
from sales.models import MeasureUnit, MeasureUnitFamily, Msl, MslProduct, PriceList, PriceListItem, Tax
from sales.services import pricing as services
from tests.api_cases import ResourceAPICase
from tests.factories import ClientFactory
from tests.factories_sales_pricing import (
    MeasureUnitFactory,
    MeasureUnitFamilyFactory,
    MslFactory,
    MslProductFactory,
    PriceListFactory,
    PriceListItemFactory,
    TaxFactory,
    make_product,
    make_rep,
    make_variant,
)

pytestmark = pytest.mark.django_db

OTHER_ID = "01890a5d-ac96-774b-bcce-b302099a8057"


def error_of(response) -> str:
    body = response.json()
    assert body["success"] is False, body
    return body["error"]


def needs_serializer(path: str):
    """The other groups' serializers a populatedKeys expansion renders with."""
    try:
        import_string(path)
    except ImportError:
        pytest.skip(f"{path} is not built yet")


# Generic cases --------------------------------------------------------------------------------
class TestTaxAPI(ResourceAPICase):
    path = "tax"
    create_data = {"name": "VAT", "rate": 16, "type": "inclusive", "disabled": False, "integration_meta": {"k": 1}}
    update_data = {"name": "VAT 2", "rate": 7.5}
    invalid_data = [
        {"rate": 15, "type": "additive"},
        {"name": "VAT", "rate": 15},
        {"name": "VAT", "rate": 101, "type": "additive"},
        {"name": "VAT", "rate": -1, "type": "additive"},
        {"name": "VAT", "rate": "15", "type": "additive"},
        {"name": "VAT", "rate": 15, "type": "exclusive"},
    ]

    def make(self, tenant, **kwargs):
        return TaxFactory(tenant=tenant, **kwargs)


class TestMeasureUnitAPI(ResourceAPICase):
    path = "measure-unit"
    create_data = {"name": "Box", "factor": 12, "local_name": "Karton", "disabled": False}
    update_data = {"name": "Crate", "factor": 24}
    invalid_data = [{"name": "Box"}, {"factor": 2}, {"name": "Box", "factor": 0}, {"name": "Box", "factor": -3}]

    def make(self, tenant, **kwargs):
        return MeasureUnitFactory(tenant=tenant, **kwargs)


class TestMeasureUnitFamilyAPI(ResourceAPICase):
    path = "measureunitfamily"
    update_data = {"name": "Volume", "local_name": "Hajm"}
    invalid_data = [{}, {"name": 3}, {"name": "Weight", "measureunits": "x"}, {"name": "W", "measureunits": [OTHER_ID]}]

    def get_create_data(self, tenant):
        kg = MeasureUnitFactory(tenant=tenant, name="kg")
        gram = MeasureUnitFactory(tenant=tenant, name="g", parent=kg, factor=Decimal("0.001"))
        return {"name": "Weight", "measureunits": [str(kg.pk), str(gram.pk)], "disabled": False}

    def make(self, tenant, **kwargs):
        return MeasureUnitFamilyFactory(tenant=tenant, measureunits=[MeasureUnitFactory(tenant=tenant)], **kwargs)


class TestPriceListAPI(ResourceAPICase):
    path = "pricelist"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    create_data = {"name": "Retail", "disabled": False, "integration_meta": {"erp": "PL-1"}}
    update_data = {"name": "Wholesale"}
    invalid_data = [{}, {"name": ""}, {"name": 5}]

    def make(self, tenant, **kwargs):
        return PriceListFactory(tenant=tenant, **kwargs)


class TestPriceListItemAPI(ResourceAPICase):
    path = "pricelistitem"
    update_data = {"price": 12.5, "disabled": True}
    invalid_data = [
        {},
        {"price": 3},
        {"product_id": OTHER_ID, "variant_id": OTHER_ID, "pricelist_id": OTHER_ID, "price": 1},
    ]

    def get_create_data(self, tenant):
        variant = make_variant(tenant)
        return {
            "product_id": str(variant.product_id),
            "variant_id": str(variant.pk),
            "pricelist_id": str(PriceListFactory(tenant=tenant).pk),
            "price": 4.75,
        }

    def make(self, tenant, **kwargs):
        return PriceListItemFactory(tenant=tenant, **kwargs)


class TestMslAPI(ResourceAPICase):
    path = "msl"
    family = "E"
    update_data = {"name": "Summer MSL", "disabled": True}
    invalid_data = [
        {},
        {"name": ""},
        {"name": "MSL", "client": OTHER_ID},
        {"name": "MSL", "startDate": "2024-06-01T00:00:00Z", "endDate": "2024-05-01T00:00:00Z"},
    ]

    def get_create_data(self, tenant):
        return {
            "name": "Key accounts",
            "client": str(ClientFactory(tenant=tenant).pk),
            "rep": str(make_rep(tenant).pk),
            "startDate": "2024-01-01T00:00:00.000Z",
            "endDate": "2024-12-31T00:00:00.000Z",
        }

    def make(self, tenant, **kwargs):
        return MslFactory(tenant=tenant, **kwargs)


class TestMslProductAPI(ResourceAPICase):
    path = "msl-products"
    family = "E"
    update_data = {"targetQuantity": 30}
    invalid_data = [{}, {"targetQuantity": 3}, {"msl": OTHER_ID, "product": OTHER_ID}]

    def get_create_data(self, tenant):
        variant = make_variant(tenant)
        return {
            "msl": str(MslFactory(tenant=tenant).pk),
            "product": str(variant.product_id),
            "variant": str(variant.pk),
            "targetQuantity": 24,
        }

    def make(self, tenant, **kwargs):
        return MslProductFactory(tenant=tenant, **kwargs)


# Tax --------------------------------------------------------------------------------------------
def test_tax_rate_is_a_percentage_with_inclusive_bounds(api):
    for rate in (0, 100, 15, 7.25):
        r = api.post("/v1/tax", {"name": f"T{rate}", "rate": rate, "type": "N/A"}, format="json")
        assert r.status_code == 201, r.content
        assert r.json()["rate"] == rate and isinstance(r.json()["rate"], (int, float))
    for rate in (100.01, -0.5, 1e30, True):
        r = api.post("/v1/tax", {"name": "Bad", "rate": rate, "type": "additive"}, format="json")
        assert r.status_code == 400 and "rate" in error_of(r)


def test_tax_update_keeps_the_rules(api, tenant):
    tax = TaxFactory(tenant=tenant)
    assert api.put(f"/v1/tax/{tax.pk}", {"rate": 150}, format="json").status_code == 400
    assert api.put(f"/v1/tax/{tax.pk}", {"type": "other"}, format="json").status_code == 400
    tax.refresh_from_db()
    assert tax.rate == Decimal("15") and tax.version == 0


def test_tax_service_refuses_out_of_range(tenant):
    with pytest.raises(ValidationError) as exc:
        services.create_tax(tenant=tenant, data={"name": "VAT", "rate": Decimal("100.5"), "type": "additive"})
    assert "rate" in exc.value.detail
    with pytest.raises(ValidationError):
        services.create_tax(tenant=tenant, data={"name": "VAT", "rate": Decimal("5"), "type": "vat"})
    assert services.create_tax(tenant=tenant, data={"name": "VAT", "rate": 100, "type": "N/A"}).rate == 100


def test_tax_used_by_a_product_cannot_be_deleted(api, tenant):
    tax = TaxFactory(tenant=tenant)
    make_product(tenant, sv_tax=tax)
    r = api.delete(f"/v1/tax/{tax.pk}")
    assert r.status_code == 409 and "product" in error_of(r)
    assert Tax.objects.filter(pk=tax.pk).exists()


# Measure units --------------------------------------------------------------------------------------
@pytest.fixture
def kg(tenant):
    return MeasureUnitFactory(tenant=tenant, name="kg")


def test_unit_parent_must_be_a_base_unit(api, tenant, kg):
    r = api.post("/v1/measure-unit", {"name": "g", "factor": 0.001, "parent": str(kg.pk)}, format="json")
    assert r.status_code == 201 and r.json()["parent"] == str(kg.pk)
    gram = r.json()["_id"]
    r = api.post("/v1/measure-unit", {"name": "mg", "factor": 0.000001, "parent": gram}, format="json")
    assert r.status_code == 400 and "parent" in error_of(r) and "base unit" in error_of(r)


def test_unit_cannot_be_its_own_parent_or_get_a_parent_while_others_derive_from_it(api, tenant, kg):
    r = api.put(f"/v1/measure-unit/{kg.pk}", {"parent": str(kg.pk)}, format="json")
    assert r.status_code == 400 and "own parent" in error_of(r)
    MeasureUnitFactory(tenant=tenant, name="g", parent=kg)
    ton = MeasureUnitFactory(tenant=tenant, name="ton")
    r = api.put(f"/v1/measure-unit/{kg.pk}", {"parent": str(ton.pk)}, format="json")
    assert r.status_code == 400 and "derive" in error_of(r)
    kg.refresh_from_db()
    assert kg.parent_id is None


def test_unit_parent_of_another_tenant_is_refused(api, other_tenant):
    foreign = MeasureUnitFactory(tenant=other_tenant)
    r = api.post("/v1/measure-unit", {"name": "g", "factor": 1, "parent": str(foreign.pk)}, format="json")
    assert r.status_code == 400 and "parent" in error_of(r)


def test_unit_services_check_factor_and_parent(tenant, other_tenant, kg):
    with pytest.raises(ValidationError) as exc:
        services.create_measure_unit(tenant=tenant, data={"name": "x", "factor": Decimal("0")})
    assert "factor" in exc.value.detail
    gram = services.create_measure_unit(tenant=tenant, data={"name": "g", "factor": Decimal("0.001"), "parent": kg})
    with pytest.raises(ValidationError):
        services.create_measure_unit(tenant=tenant, data={"name": "mg", "factor": Decimal("1"), "parent": gram})
    foreign = MeasureUnitFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as exc:
        services.update_measure_unit(unit=gram, data={"parent": foreign})
    assert "parent" in exc.value.detail


def test_units_filter_by_parent_and_list_base_units(api, tenant, kg):
    gram = MeasureUnitFactory(tenant=tenant, name="g", parent=kg)
    litre = MeasureUnitFactory(tenant=tenant, name="l")

    def names(params):
        r = api.get("/v1/measure-unit", params)
        assert r.status_code == 200, r.content
        return sorted(d["name"] for d in r.json()["data"])

    assert names({"parent": str(kg.pk)}) == ["g"]
    assert names({"parent": "nil"}) == ["kg", "l"] == names({"parent": "null"})
    assert names({"parent": f'["{litre.pk}", "nil"]'}) == ["kg", "l"]
    assert names({"parent": "not-an-id"}) == []
    assert api.get("/v1/measure-unit", {"parent": "nil"}).json()["total_result"] == 2
    doc = api.get(f"/v1/measure-unit/{gram.pk}", {"populatedKeys": '["parent"]'}).json()
    assert doc["parent"]["_id"] == str(kg.pk) and doc["parent"]["name"] == "kg"


def test_base_unit_with_derived_units_cannot_be_deleted(api, tenant, kg):
    MeasureUnitFactory(tenant=tenant, name="g", parent=kg)
    r = api.delete(f"/v1/measure-unit/{kg.pk}")
    assert r.status_code == 409 and "measure unit" in error_of(r)


def test_unit_used_by_a_product_cannot_be_deleted(api, tenant, kg):
    make_product(tenant, sv_measure_unit=kg)
    assert api.delete(f"/v1/measure-unit/{kg.pk}").status_code == 409


def test_measure_unit_sdk_alias(api, kg):
    assert api.get("/measureunits").json()["total_result"] == 1
    assert api.get(f"/measureunits/{kg.pk}").json()["name"] == "kg"


# Measure unit families ------------------------------------------------------------------------------
def test_family_units_are_stored_populated_and_filtered(api, tenant, kg):
    gram = MeasureUnitFactory(tenant=tenant, name="g", parent=kg)
    r = api.post("/v1/measureunitfamily", {"name": "Weight", "measureunits": [str(kg.pk), str(gram.pk)]}, format="json")
    assert r.status_code == 201, r.content
    family_id = r.json()["_id"]
    assert sorted(r.json()["measureunits"]) == sorted([str(kg.pk), str(gram.pk)])
    MeasureUnitFamilyFactory(tenant=tenant, measureunits=[MeasureUnitFactory(tenant=tenant)])
    listed = api.get("/v1/measureunitfamily", {"measureunits": str(gram.pk), "populatedKeys": '["measureunits"]'})
    [doc] = listed.json()["data"]
    assert doc["_id"] == family_id
    # The documented shape: the ids stay, the documents come beside them (in the same order).
    assert sorted(doc["measureunits"]) == sorted([str(kg.pk), str(gram.pk)])
    assert [u["_id"] for u in doc["measureunits_populated"]] == doc["measureunits"]
    assert sorted(u["name"] for u in doc["measureunits_populated"]) == ["g", "kg"]
    detail = api.get(f"/v1/measureunitfamily/{family_id}", {"populatedKeys": "measureunits"}).json()
    assert sorted(u["_id"] for u in detail["measureunits_populated"]) == sorted(doc["measureunits"])
    assert api.get(f"/measureunit-family/{family_id}").json()["name"] == "Weight"  # SDK alias


def test_family_needs_the_base_unit_of_its_derived_units(api, tenant, kg):
    gram = MeasureUnitFactory(tenant=tenant, name="g", parent=kg)
    r = api.post("/v1/measureunitfamily", {"name": "Weight", "measureunits": [str(gram.pk)]}, format="json")
    assert r.status_code == 400 and "measureunits" in error_of(r) and "kg" in error_of(r)
    family = MeasureUnitFamilyFactory(tenant=tenant, measureunits=[kg, gram])
    r = api.put(f"/v1/measureunitfamily/{family.pk}", {"measureunits": [str(gram.pk)]}, format="json")
    assert r.status_code == 400
    assert set(family.measureunits.all()) == {kg, gram}
    # Moving a unit of the family under a base unit outside it breaks the family too.
    ton = MeasureUnitFactory(tenant=tenant, name="ton")
    r = api.put(f"/v1/measure-unit/{gram.pk}", {"parent": str(ton.pk)}, format="json")
    assert r.status_code == 400 and family.name in error_of(r)


def test_family_service_refuses_foreign_units(tenant, other_tenant):
    foreign = MeasureUnitFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as exc:
        services.create_measure_unit_family(tenant=tenant, data={"name": "W", "measureunits": [foreign]})
    assert "measureunits" in exc.value.detail
    assert not MeasureUnitFamily.objects.filter(tenant=tenant).exists()


def test_deleting_a_unit_pulls_it_from_families(api, tenant, kg):
    family = MeasureUnitFamilyFactory(tenant=tenant, measureunits=[kg])
    assert api.delete(f"/v1/measure-unit/{kg.pk}").status_code == 200
    assert list(family.measureunits.all()) == []


# Price lists ---------------------------------------------------------------------------------------
def test_price_list_records_its_creator(api, tenant):
    body = {"name": "Retail", "createdby": {"_id": "someone", "name": "Mallory"}}
    r = api.post("/v1/pricelist", body, format="json")
    assert r.status_code == 201
    created_by = r.json()["createdby"]
    assert set(created_by) == {"_id", "name"} and created_by["name"] != "Mallory" and created_by["_id"]
    r = api.put(f"/v1/pricelist/{r.json()['_id']}", {"name": "Retail 2", "createdby": {"name": "Eve"}}, format="json")
    assert r.status_code == 200 and r.json()["createdby"] == created_by
    assert api.get("/pricelists").json()["data"][0]["createdby"] == created_by  # SDK alias


def test_price_list_with_items_cannot_be_deleted(api, tenant):
    item = PriceListItemFactory(tenant=tenant)
    r = api.delete(f"/v1/pricelist/{item.pricelist_id}")
    assert r.status_code == 409 and str(item.pk) in error_of(r)
    assert PriceList.objects.filter(pk=item.pricelist_id).exists()
    empty = PriceListFactory(tenant=tenant)
    assert api.delete(f"/v1/pricelist/{empty.pk}").status_code == 200


def test_price_list_delete_services(tenant):
    item = PriceListItemFactory(tenant=tenant)
    with pytest.raises(Conflict):
        services.delete_price_list(price_list=item.pricelist)
    with pytest.raises(Conflict):
        services.delete_price_lists(queryset=PriceList.objects.filter(tenant=tenant))
    assert PriceList.objects.filter(pk=item.pricelist_id).exists()
    core_services.delete_row(instance=item)
    services.delete_price_list(price_list=item.pricelist)
    assert not PriceList.objects.filter(pk=item.pricelist_id).exists()


# Price list items ----------------------------------------------------------------------------------
def item_body(variant, price_list, price=5):
    return {
        "product_id": str(variant.product_id),
        "variant_id": str(variant.pk),
        "pricelist_id": str(price_list.pk),
        "price": price,
    }


def test_one_price_per_variant_and_price_list(api, tenant):
    variant, price_list, other_list = (
        make_variant(tenant),
        PriceListFactory(tenant=tenant),
        PriceListFactory(tenant=tenant),
    )
    first = api.post("/v1/pricelistitem", item_body(variant, price_list), format="json")
    assert first.status_code == 201
    r = api.post("/v1/pricelistitem", item_body(variant, price_list, 6), format="json")
    assert r.status_code == 409 and first.json()["_id"] in error_of(r)
    second = api.post("/v1/pricelistitem", item_body(variant, other_list, 6), format="json")
    assert second.status_code == 201
    r = api.put(f"/v1/pricelistitem/{second.json()['_id']}", {"pricelist_id": str(price_list.pk)}, format="json")
    assert r.status_code == 409
    assert PriceListItem.objects.filter(tenant=tenant).count() == 2


def test_item_variant_must_belong_to_the_product(api, tenant):
    variant, stranger = make_variant(tenant), make_variant(tenant)
    body = {**item_body(variant, PriceListFactory(tenant=tenant)), "product_id": str(stranger.product_id)}
    r = api.post("/v1/pricelistitem", body, format="json")
    assert r.status_code == 400 and error_of(r).startswith("variant_id")
    item = PriceListItemFactory(tenant=tenant)
    r = api.patch(f"/v1/pricelistitem/{item.pk}", {"product_id": str(stranger.product_id)}, format="json")
    assert r.status_code == 400 and "variant_id" in error_of(r)
    ok = api.patch(f"/v1/pricelistitem/{item.pk}", item_body(stranger, item.pricelist), format="json")
    assert ok.status_code == 200 and ok.json()["variant_id"] == str(stranger.pk)


def test_item_price_and_references_are_checked(api, tenant, other_tenant):
    variant, price_list = make_variant(tenant), PriceListFactory(tenant=tenant)
    for price in (-0.01, "5", None):
        assert api.post("/v1/pricelistitem", item_body(variant, price_list, price), format="json").status_code == 400
    r = api.post("/v1/pricelistitem", item_body(variant, price_list, 0), format="json")
    assert r.status_code == 201 and r.json()["price"] == 0
    foreign = make_variant(other_tenant)
    body = {**item_body(variant, PriceListFactory(tenant=tenant)), "variant_id": str(foreign.pk)}
    r = api.post("/v1/pricelistitem", body, format="json")
    assert r.status_code == 400 and "variant_id" in error_of(r)


def test_item_services_keep_the_rules(tenant, other_tenant):
    item = PriceListItemFactory(tenant=tenant)
    data = {"pricelist": item.pricelist, "product": item.product, "variant": item.variant, "price": Decimal("1")}
    with pytest.raises(Conflict):
        services.create_price_list_item(tenant=tenant, data=data)
    with pytest.raises(ValidationError) as exc:
        services.update_price_list_item(item=item, data={"product": make_product(tenant)})
    assert "variant_id" in exc.value.detail
    with pytest.raises(ValidationError) as exc:
        services.create_price_list_item(
            tenant=tenant, data={**data, "pricelist": PriceListFactory(tenant=other_tenant)}
        )
    assert "pricelist_id" in exc.value.detail


def test_item_filters_and_populated_keys(api, tenant):
    a, b = PriceListItemFactory(tenant=tenant), PriceListItemFactory(tenant=tenant)
    for key, value in (("pricelist_id", a.pricelist_id), ("product_id", a.product_id), ("variant_id", a.variant_id)):
        data = api.get("/v1/pricelistitem", {key: str(value)}).json()["data"]
        assert [d["_id"] for d in data] == [str(a.pk)], key
    assert api.get("/pricelistsitems", {"pricelist_id": str(b.pricelist_id)}).json()["total_result"] == 1
    doc = api.get(f"/v1/pricelistitem/{a.pk}", {"populatedKeys": '["pricelist_id"]'}).json()
    assert doc["pricelist_id"]["name"] == a.pricelist.name


@pytest.mark.parametrize(
    ("key", "serializer"), [("product_id", "ProductSerializer"), ("variant_id", "VariantSerializer")]
)
def test_item_populates_product_and_variant(api, tenant, key, serializer):
    needs_serializer(f"sales.serializers.catalogue.{serializer}")
    item = PriceListItemFactory(tenant=tenant)
    [doc] = api.get("/v1/pricelistitem", {"populatedKeys": f'["{key}"]'}).json()["data"]
    expected = item.product if key == "product_id" else item.variant
    assert doc[key]["_id"] == str(expected.pk) and doc[key]["name"] == expected.name


def test_variant_with_prices_cannot_be_deleted(tenant):
    item = PriceListItemFactory(tenant=tenant)
    with pytest.raises(ProtectedError):
        core_services.delete_row(instance=item.variant)


# MSL --------------------------------------------------------------------------------------------------
def test_msl_dates_in_order(api, tenant):
    body = {"name": "Q1", "startDate": "2024-01-01T00:00:00Z", "endDate": "2024-03-31T00:00:00Z"}
    r = api.post("/v1/msl", body, format="json")
    assert r.status_code == 201
    doc = r.json()["data"]
    assert doc["startDate"] == "2024-01-01T00:00:00.000Z" and doc["endDate"] == "2024-03-31T00:00:00.000Z"
    r = api.put(f"/v1/msl/{doc['_id']}", {"endDate": "2023-12-31T00:00:00Z"}, format="json")
    assert r.status_code == 400 and error_of(r).startswith("endDate")
    same_day = api.put(f"/v1/msl/{doc['_id']}", {"endDate": "2024-01-01T00:00:00Z"}, format="json")
    assert same_day.status_code == 200
    with pytest.raises(ValidationError):
        services.update_msl(msl=Msl.objects.get(pk=doc["_id"]), data={"name": "  "})


def test_msl_references_filters_and_deletes(api, tenant, other_tenant):
    client, rep = ClientFactory(tenant=tenant), make_rep(tenant)
    msl = MslFactory(tenant=tenant, client=client, rep=rep)
    MslFactory(tenant=tenant)
    assert [d["_id"] for d in api.get("/v1/msl", {"client": str(client.pk)}).json()["data"]] == [str(msl.pk)]
    assert api.get("/v1/msl", {"rep": str(rep.pk)}).json()["meta"]["total"] == 1
    foreign_rep = make_rep(other_tenant)
    r = api.put(f"/v1/msl/{msl.pk}", {"rep": str(foreign_rep.pk)}, format="json")
    assert r.status_code == 400 and "rep" in error_of(r)
    assert api.delete(f"/v1/client/{client.pk}").status_code == 409  # the MSL refers to it
    line = MslProductFactory(tenant=tenant, msl=msl)
    assert api.delete(f"/v1/msl/{msl.pk}").json() == {"success": True}
    assert not MslProduct.objects.filter(pk=line.pk).exists()  # the list's lines go with it


def test_msl_populates_client_and_rep(api, tenant):
    needs_serializer("clients.serializers.client.ClientSerializer")
    needs_serializer("sales.serializers.organisation.RepSerializer")
    client, rep = ClientFactory(tenant=tenant), make_rep(tenant)
    msl = MslFactory(tenant=tenant, client=client, rep=rep)
    doc = api.get(f"/v1/msl/{msl.pk}", {"populatedKeys": '["client", "rep"]'}).json()["data"]
    assert doc["client"]["_id"] == str(client.pk) and doc["client"]["name"] == client.name
    assert doc["rep"]["_id"] == str(rep.pk) and "password" not in doc["rep"]


# MSL products ----------------------------------------------------------------------------------------
def test_achieved_quantity_is_derived_not_written(api, tenant):
    variant, msl = make_variant(tenant), MslFactory(tenant=tenant)
    body = {"msl": str(msl.pk), "variant": str(variant.pk), "targetQuantity": 12, "achievedQuantity": 50}
    r = api.post("/v1/msl-products", body, format="json")
    assert r.status_code == 201, r.content
    doc = r.json()["data"]
    assert doc["achievedQuantity"] == 0 and doc["targetQuantity"] == 12
    assert doc["product"] == str(variant.product_id)  # taken from the variant
    listed = api.get("/v1/msl-products", {"msl": str(msl.pk)}).json()["data"]
    assert listed == [doc]
    r = api.put(f"/v1/msl-products/{doc['_id']}", {"achievedQuantity": 99}, format="json")
    assert r.json()["data"]["achievedQuantity"] == 0
    assert services.msl_achieved_quantity(msl_product=MslProduct.objects.get(pk=doc["_id"])) == 0


def test_achieved_quantity_in_the_query_dialects(api, tenant):
    line = MslProductFactory(tenant=tenant)
    r = api.get("/v1/msl-products", {"$select": "_id,achievedQuantity"})
    assert r.json()["data"] == [{"_id": str(line.pk), "achievedQuantity": 0}]
    assert api.get("/v1/msl-products", {"from_achievedQuantity": "1"}).status_code == 200  # not a column: ignored
    assert api.get("/v1/msl-products", {"sortBy": '[{"field": "achievedQuantity"}]'}).status_code == 400
    where = {"where": {"achievedQuantity": {"_eq": 0}}}
    assert api.post("/v1/msl-products/search", where, format="json").status_code == 400


def test_msl_product_rules(api, tenant):
    msl, variant, stranger = MslFactory(tenant=tenant), make_variant(tenant), make_variant(tenant)
    base = {"msl": str(msl.pk), "product": str(stranger.product_id), "variant": str(variant.pk)}
    r = api.post("/v1/msl-products", base, format="json")
    assert r.status_code == 400 and error_of(r).startswith("variant")
    r = api.post("/v1/msl-products", {"msl": str(msl.pk)}, format="json")
    assert r.status_code == 400 and "product" in error_of(r)
    r = api.post(
        "/v1/msl-products",
        {"msl": str(msl.pk), "product": str(stranger.product_id), "targetQuantity": -1},
        format="json",
    )
    assert r.status_code == 400 and "targetQuantity" in error_of(r)
    r = api.post("/v1/msl-products", {"product": str(stranger.product_id)}, format="json")
    assert r.status_code == 400 and "msl" in error_of(r)
    whole_product = api.post(
        "/v1/msl-products", {"msl": str(msl.pk), "product": str(stranger.product_id)}, format="json"
    )
    assert whole_product.status_code == 201 and whole_product.json()["data"]["variant"] is None


def test_msl_product_filters_and_service(api, tenant, other_tenant):
    a, b = MslProductFactory(tenant=tenant), MslProductFactory(tenant=tenant)
    for key, value in (("msl", a.msl_id), ("product", a.product_id), ("variant", a.variant_id)):
        assert [d["_id"] for d in api.get("/v1/msl-products", {key: str(value)}).json()["data"]] == [str(a.pk)]
    doc = api.get(f"/v1/msl-products/{b.pk}", {"populatedKeys": '["msl"]'}).json()["data"]
    assert doc["msl"]["name"] == b.msl.name
    with pytest.raises(ValidationError) as exc:
        services.update_msl_product(line=a, data={"variant": b.variant})
    assert "variant" in exc.value.detail
    with pytest.raises(ValidationError):
        services.update_msl_product(line=a, data={"target_quantity": Decimal("-2")})
    with pytest.raises(ValidationError):
        services.update_msl_product(line=a, data={"msl": MslFactory(tenant=other_tenant)})


def test_product_in_an_msl_cannot_be_deleted(tenant):
    line = MslProductFactory(tenant=tenant)
    with pytest.raises(ProtectedError):
        core_services.delete_row(instance=line.product)


# Admin ----------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant):
    from django.contrib.auth.models import Permission

    from core.models import User

    user = User.objects.create_user(username="staff", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="sales"))
    return user


def test_admin_forms_show_the_service_errors(client, staff, tenant):
    client.force_login(staff)
    r = client.post(
        "/admin/sales/tax/add/", {"name": "VAT", "rate": "150", "type": "additive", "integration_meta": "{}"}
    )
    assert r.status_code == 200 and not Tax.objects.exists()
    r = client.post(
        "/admin/sales/tax/add/", {"name": "VAT", "rate": "16", "type": "additive", "integration_meta": "{}"}
    )
    assert r.status_code == 302 and Tax.objects.get().tenant == tenant
    kg = MeasureUnitFactory(tenant=tenant, name="kg")
    gram = MeasureUnitFactory(tenant=tenant, name="g", parent=kg)
    body = {"name": "mg", "factor": "0.001", "parent": str(gram.pk), "integration_meta": "{}"}
    assert client.post("/admin/sales/measureunit/add/", body).status_code == 200
    r = client.post("/admin/sales/pricelist/add/", {"name": "Retail", "integration_meta": "{}"})
    assert r.status_code == 302 and PriceList.objects.get().createdby["name"] == "staff"
    for model in ("tax", "measureunit", "measureunitfamily", "pricelist", "pricelistitem", "msl", "mslproduct"):
        assert client.get(f"/admin/sales/{model}/").status_code == 200, model
    assert MeasureUnit.objects.filter(name="mg").count() == 0

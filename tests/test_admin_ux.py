"""The admin as staff use it every day: titled with the product, forms laid out the same way
everywhere, lists that fit a laptop, readable names, client search on city and phone, variants in
a stable order, a way back after an import."""

import html
import io
import re
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import models

from clients.models import Client, Tag
from core.models import ApiKey, Setting, Tenant, User
from tests.admin_world import make_staff, populate
from tests.factories import ClientFactory, TagFactory
from tests.factories_sales_catalogue import ProductFactory, VariantFactory
from tests.factories_sales_pricing import MslProductFactory, PriceListItemFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
MAX_COLUMNS = 6  # with the tenant column a superuser sees; besides the selection box
CELL_CHARS = 60  # longer text in a list cell wraps into tall rows
JSON_SECTION = "JSON data"


@pytest.fixture
def superuser(tenant):
    return User.objects.create_superuser(username="root", password="pw", email="root@example.test", tenant=tenant)


@pytest.fixture
def staff(tenant):
    return make_staff(tenant)


@pytest.fixture
def world(tenant, other_tenant):
    return {"mine": populate(tenant, prefix="acme-"), "theirs": populate(other_tenant, prefix="globex-")}


def row_for(world, model, tenant):
    from django.contrib.auth.models import Group

    special = {
        Tenant: tenant,
        User: world["mine"]["user"],
        ApiKey: world["mine"]["key"],
        Group: Group.objects.get_or_create(name="Clerks")[0],
    }
    return special.get(model) or world["mine"]["rows"].get(model) or model.objects.filter(tenant=tenant).first()


def url(model, suffix="") -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/{suffix}"


# The site -------------------------------------------------------------------------------------------
def test_the_site_is_titled_with_the_product(client, staff):
    client.force_login(staff)
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "<title>Administration | Field service back office</title>" in page.text
    assert '<div id="site-name"><a href="/admin/">Field service back office</a></div>' in page.text
    assert "Django administration" not in page.text and "Django site admin" not in page.text


# Every page -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
@pytest.mark.parametrize("who", ["superuser", "staff"])
def test_every_admin_page_renders_with_readable_names(request, client, world, tenant, model, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    model_admin, row = admin.site._registry[model], row_for(world, model, tenant)
    fake = type("Request", (), {"user": user})()
    pages = [url(model), url(model, f"{row.pk}/change/"), url(model, f"{row.pk}/history/")]
    if model_admin.has_add_permission(fake):
        pages.append(url(model, "add/"))
    if model_admin.has_delete_permission(fake, row):
        pages.append(url(model, f"{row.pk}/delete/"))
    if not model_admin.has_view_permission(fake):
        pages = []  # superusers' pages (tenants, groups): refused to staff, see test_admin_tenancy
    for page_url in pages:
        response = client.get(page_url)
        assert response.status_code == 200, (page_url, response.status_code)
        assert "object (" not in response.text, page_url


def test_delete_confirmation_names_a_clients_tags(client, superuser, tenant):
    shop = ClientFactory(tenant=tenant, name="Corner Shop")
    shop.tags.add(TagFactory(tenant=tenant, name="VIP"))
    client.force_login(superuser)
    page = client.get(url(Client, f"{shop.pk}/delete/"))
    assert page.status_code == 200
    assert "object (" not in page.text
    assert "Client-tag relationship: Corner Shop – VIP" in html.unescape(page.text)


def test_price_list_items_and_msl_lines_are_named_by_what_they_price(tenant):
    item = PriceListItemFactory(tenant=tenant)
    assert str(item) == f"{item.pricelist.name}: {item.variant.name}"
    line = MslProductFactory(tenant=tenant)
    assert str(line) == f"{line.msl.name}: {line.variant.name}"
    line.variant = None
    assert str(line) == f"{line.msl.name}: {line.product.name}"


# Forms ----------------------------------------------------------------------------------------------
def _layouts(client, world, tenant):
    for model in REGISTERED:
        row = row_for(world, model, tenant)
        for page_url in (url(model, "add/"), url(model, f"{row.pk}/change/")):
            response = client.get(page_url)
            if response.status_code == 200 and response.context and "adminform" in response.context:
                yield model, page_url, response


def test_forms_put_the_name_first_and_json_last_and_collapsed(client, superuser, world, tenant):
    client.force_login(superuser)
    checked = set()
    for model, page_url, response in _layouts(client, world, tenant):
        fieldsets = response.context["adminform"].fieldsets
        fields = [(name, field) for name, options in fieldsets for field in options["fields"]]
        names = {f.name for f in model._meta.get_fields()}
        if "name" in names:
            assert fields[0][1] == "name", page_url
            checked.add(model)
        json_fields = {f.name for f in model._meta.get_fields() if isinstance(f, models.JSONField)}
        shown_json = [field for _, field in fields if field in json_fields]
        if shown_json:
            last_name, last_options = fieldsets[-1]
            assert last_name == JSON_SECTION and "collapse" in last_options["classes"], page_url
            assert list(last_options["fields"]) == shown_json, page_url
            section = response.text.rindex(f">{JSON_SECTION}</h2>")
            assert response.text.rfind("<details>", 0, section) > response.text.rfind("</details>", 0, section)
    assert {Client, Tag} <= checked and len(checked) > 20


def test_a_key_names_the_form_when_there_is_no_name(client, superuser, tenant):
    client.force_login(superuser)
    setting = Setting.objects.filter(tenant=tenant).first()
    fieldsets = client.get(url(Setting, f"{setting.pk}/change/")).context["adminform"].fieldsets
    assert fieldsets[0][1]["fields"][0] == "key"


# Lists ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", REGISTERED, ids=[m._meta.label for m in REGISTERED])
def test_list_columns_fit_a_laptop_screen(rf, superuser, model):
    request = rf.get("/")
    request.user = superuser
    columns = admin.site._registry[model].get_list_display(request)
    assert len(columns) <= MAX_COLUMNS, columns


def test_long_text_is_cut_in_list_cells(client, superuser, tenant):
    Setting.objects.create(tenant=tenant, key="terms", value="x" * 500, description="y" * 500)
    client.force_login(superuser)
    page = client.get(url(Setting))
    cells = re.findall(r'<td class="field-[^"]*">(.*?)</td>', page.text, re.S)
    assert cells and max(len(html.unescape(re.sub(r"<[^>]+>", "", cell))) for cell in cells) <= CELL_CHARS


# Client search --------------------------------------------------------------------------------------
@pytest.mark.parametrize("term", ["Zarqa", "zarqa", "+962 79 123 4567", "791234567", "0791234567", "79-123-4567"])
def test_client_search_finds_a_client_by_city_or_phone(client, staff, tenant, other_tenant, term):
    shop = ClientFactory(tenant=tenant, name="Corner Shop", city="Zarqa", phone="+962 79 123 4567")
    ClientFactory(tenant=tenant, name="Elsewhere", city="Amman", phone="+962 77 000 1111")
    theirs = ClientFactory(tenant=other_tenant, name="Their Shop", city="Zarqa", phone="+962 79 123 4567")
    client.force_login(staff)
    found = list(client.get(url(Client), {"q": term}).context["cl"].result_list)
    assert found == [shop], [c.name for c in found]
    assert theirs not in found


def test_client_search_on_a_cell_phone(client, staff, tenant):
    shop = ClientFactory(tenant=tenant, name="Kiosk", cell_phone="(079) 555-0101")
    client.force_login(staff)
    assert list(client.get(url(Client), {"q": "0795550101"}).context["cl"].result_list) == [shop]


# Variants -------------------------------------------------------------------------------------------
def test_variants_are_listed_default_first_then_by_position(client, staff, tenant):
    product = ProductFactory(tenant=tenant)
    later = VariantFactory(tenant=tenant, product=product, name="Later", position=2)
    default = VariantFactory(tenant=tenant, product=product, name="Default", position=5, is_default=True)
    first = VariantFactory(tenant=tenant, product=product, name="First", position=1)
    unplaced = VariantFactory(tenant=tenant, product=product, name="Unplaced", position=None, price=Decimal("1"))
    client.force_login(staff)
    page = client.get(url(product._meta.model, f"{product.pk}/change/"))
    formset = page.context["inline_admin_formsets"][0].formset
    assert [form.instance for form in formset.forms] == [default, first, later, unplaced]
    positions = [page.text.index(f'value="{v.pk}"') for v in (default, first, later, unplaced)]
    assert positions == sorted(positions)


# Import ---------------------------------------------------------------------------------------------
def test_an_import_report_links_back_to_the_list(client, staff, tenant):
    client.force_login(staff)
    upload = io.BytesIO(b"name,disabled\nGood,false\n,false\n")  # a row without a name: a report, no redirect
    upload.name = "tags.csv"
    preview = client.post(url(Tag, "import/"), {"file": upload, "mode": "create"})
    back = '<a href="/admin/clients/tag/" class="button">Back to tags</a>'
    assert back in preview.text
    done = client.post(url(Tag, "import/"), {"token": preview.context["token"], "confirm": "1"})
    assert done.status_code == 200 and done.context["done"]
    assert back in done.text
    assert Tag.objects.filter(tenant=tenant, name="Good").exists()

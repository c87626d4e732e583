"""Invoice serial counters (`/safe-invoice-serial-counter`): the generic API cases, `/next`
(first use, formatting, atomicity under concurrency), the PATCH rule, the admin."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from finance.models import InvoiceSerialCounter
from finance.services import serials as services
from tests.api_cases import ResourceAPICase
from tests.conftest import client_for
from tests.factories_finance import InvoiceSerialCounterFactory
from tests.factories_sales_organisation import RepFactory, WarehouseFactory

pytestmark = pytest.mark.django_db

URL = "/v1/safe-invoice-serial-counter"
NEXT = f"{URL}/next"


def next_body(rep, warehouse, invoice_type="sales"):
    return {"rep": str(rep.pk), "warehouse": str(warehouse.pk), "invoice_type": invoice_type}


# Generic API cases ---------------------------------------------------------------------------------
class TestInvoiceSerialCounterAPI(ResourceAPICase):
    path = "safe-invoice-serial-counter"
    family = "B"
    operations = {"list", "create", "retrieve", "update", "destroy"}
    update_data = {"current_serial": 1000, "prefix": "INV-2024-", "suffix": "", "pad_length": 6}

    @pytest.fixture(autouse=True)
    def _rep_and_warehouse(self, tenant):
        self.rep, self.warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)

    def get_create_data(self, tenant):
        return {
            "rep": str(self.rep.pk),
            "warehouse": str(self.warehouse.pk),
            "invoice_type": "sales",
            "current_serial": 0,
            "prefix": "INV-2024-",
            "suffix": "-A",
            "pad_length": 6,
            "company_namespace": [tenant.namespace],
        }

    @property
    def invalid_data(self):
        base = {"rep": str(self.rep.pk), "warehouse": str(self.warehouse.pk), "invoice_type": "sales"}
        return [
            {},
            {k: v for k, v in base.items() if k != "rep"},
            {k: v for k, v in base.items() if k != "invoice_type"},
            {**base, "invoice_type": "credit"},
            {**base, "rep": "not-an-id"},
            {**base, "warehouse": "01900000-0000-7000-8000-000000000000"},
            {**base, "current_serial": -1},
            {**base, "current_serial": "5"},
            {**base, "current_serial": 1.5},
            {**base, "current_serial": 2**60},
            {**base, "pad_length": 31},
            {**base, "prefix": "x" * 51},
        ]

    def make(self, tenant, **kwargs):
        return InvoiceSerialCounterFactory(tenant=tenant, **kwargs)


# /next -------------------------------------------------------------------------------------------
def test_first_use_creates_the_counter_at_zero_and_answers_one(api, tenant):
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    r = api.post(NEXT, next_body(rep, warehouse), format="json")
    assert r.status_code == 200, r.content
    assert r.json() == {"success": True, "data": {"next_serial": 1, "formatted_serial": "000001"}}
    counter = InvoiceSerialCounter.objects.get(tenant=tenant)
    assert (counter.rep, counter.warehouse, counter.invoice_type) == (rep, warehouse, "sales")
    assert (counter.current_serial, counter.pad_length, counter.prefix) == (1, 6, "")
    assert counter.last_used_date is not None
    # each call consumes a number; other types and warehouses count on their own
    assert api.post(NEXT, next_body(rep, warehouse), format="json").json()["data"]["next_serial"] == 2
    assert api.post(NEXT, next_body(rep, warehouse, "return"), format="json").json()["data"]["next_serial"] == 1
    other = WarehouseFactory(tenant=tenant)
    assert api.post(NEXT, next_body(rep, other), format="json").json()["data"]["next_serial"] == 1
    assert InvoiceSerialCounter.objects.filter(tenant=tenant).count() == 3
    # the list shows them (kept counts follow the counters /next created)
    assert api.get(URL).json()["paging"]["total"] == 3


def test_the_documented_example(api, tenant):
    """current 1000, prefix INV-2024-, pad 6: next is 1001, `INV-2024-001001`."""
    counter = InvoiceSerialCounterFactory(tenant=tenant, current_serial=1000, prefix="INV-2024-", suffix="")
    r = api.post(NEXT, next_body(counter.rep, counter.warehouse), format="json")
    assert r.json()["data"] == {"next_serial": 1001, "formatted_serial": "INV-2024-001001"}
    counter.refresh_from_db()
    assert counter.current_serial == 1001 and counter.version == 1
    doc = api.get(f"{URL}/{counter.pk}").json()["data"]
    assert doc["current_serial"] == 1001 and doc["last_used_date"].endswith("Z")


def test_next_is_not_shadowed_by_the_detail_route(api, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant)
    assert api.get(NEXT).status_code == 405
    assert api.patch(NEXT, {}, format="json").status_code == 405
    assert api.delete(NEXT).status_code == 405
    assert api.get(f"{URL}/{counter.pk}").status_code == 200
    root = api.post("/safe-invoice-serial-counter/next", next_body(counter.rep, counter.warehouse), format="json")
    assert root.json()["data"]["next_serial"] == 1  # the SDK's root path


def test_next_refuses_bad_bodies_with_422_naming_the_field(api, tenant, other_tenant):
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    foreign_rep, foreign_warehouse = RepFactory(tenant=other_tenant), WarehouseFactory(tenant=other_tenant)
    cases = [
        ({}, "rep"),
        ({"warehouse": str(warehouse.pk), "invoice_type": "sales"}, "rep"),
        ({"rep": str(rep.pk), "invoice_type": "sales"}, "warehouse"),
        ({"rep": str(rep.pk), "warehouse": str(warehouse.pk)}, "invoice_type"),
        ({**next_body(rep, warehouse), "invoice_type": "credit"}, "invoice_type"),
        ({**next_body(rep, warehouse), "rep": 5}, "rep"),
        ({**next_body(rep, warehouse), "rep": "not-an-id"}, "rep"),
        (next_body(foreign_rep, warehouse), "rep"),
        (next_body(rep, foreign_warehouse), "warehouse"),
        (next_body(foreign_rep, foreign_warehouse), "rep"),
    ]
    for body, field in cases:
        r = api.post(NEXT, body, format="json")
        assert r.status_code == 422, (body, r.content)
        assert r.json()["success"] is False and r.json()["details"][0]["path"] == field, (body, r.json())
    assert api.post(NEXT, "[1", content_type="application/json").status_code == 400
    assert not InvoiceSerialCounter.objects.exists()


def test_another_tenants_counter_is_never_touched(api, other_api, tenant, other_tenant):
    counter = InvoiceSerialCounterFactory(tenant=other_tenant, current_serial=50)
    r = api.post(NEXT, next_body(counter.rep, counter.warehouse), format="json")
    assert r.status_code == 422
    counter.refresh_from_db()
    assert counter.current_serial == 50
    assert (
        other_api.post(NEXT, next_body(counter.rep, counter.warehouse), format="json").json()["data"]["next_serial"]
        == 51
    )


def test_next_costs_one_statement_besides_the_key(api, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant)
    body = next_body(counter.rep, counter.warehouse)
    api.post(NEXT, body, format="json")  # warm-up: the key's last_used_at is written once
    with CaptureQueriesContext(connection) as queries:
        assert api.post(NEXT, body, format="json").status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2, statements  # the key lookup and the upsert


# Create, update and delete rules ---------------------------------------------------------------------
def test_a_second_counter_for_the_same_key_is_409_naming_the_first(api, tenant):
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    first = api.post(URL, next_body(rep, warehouse), format="json")
    assert first.status_code == 201, first.content
    again = api.post(URL, {**next_body(rep, warehouse), "prefix": "X-"}, format="json")
    assert again.status_code == 409, again.content
    assert again.json()["details"][0]["_id"] == first.json()["data"]["_id"]
    # a counter /next created counts too; another type is another counter
    api.post(NEXT, next_body(rep, warehouse, "return"), format="json")
    assert api.post(URL, next_body(rep, warehouse, "return"), format="json").status_code == 409
    assert api.post(URL, next_body(rep, warehouse, "proforma"), format="json").status_code == 201
    assert InvoiceSerialCounter.objects.filter(tenant=tenant).count() == 3


def test_create_defaults(api, tenant):
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    doc = api.post(URL, next_body(rep, warehouse), format="json").json()["data"]
    assert (doc["current_serial"], doc["pad_length"], doc["prefix"], doc["suffix"]) == (0, 6, "", "")
    assert doc["last_used_date"] is None and "modifiedAt" in doc and "SVClient" in doc


def test_patch_cannot_lower_current_serial(api, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant, current_serial=10)
    detail = f"{URL}/{counter.pk}"
    r = api.patch(detail, {"current_serial": 9}, format="json")
    assert r.status_code == 422, r.content
    assert r.json()["details"][0]["path"] == "current_serial" and "10" in r.json()["error"]
    assert api.patch(detail, {"current_serial": 10}, format="json").status_code == 200  # the same: fine
    assert api.put(detail, {"current_serial": 20, "prefix": "P-"}, format="json").status_code == 200  # skips
    r = api.post(NEXT, next_body(counter.rep, counter.warehouse), format="json")
    assert r.json()["data"] == {"next_serial": 21, "formatted_serial": "P-000021"}
    assert api.patch(detail, {"current_serial": 20}, format="json").status_code == 422  # 21 was issued
    counter.refresh_from_db()
    assert counter.current_serial == 21


def test_the_key_is_fixed_once_created(api, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant)
    detail = f"{URL}/{counter.pk}"
    for change in (
        {"rep": str(RepFactory(tenant=tenant).pk)},
        {"warehouse": str(WarehouseFactory(tenant=tenant).pk)},
        {"invoice_type": "return"},
    ):
        r = api.patch(detail, change, format="json")
        assert r.status_code == 422 and r.json()["details"][0]["path"] == next(iter(change)), r.content
    same = {"rep": str(counter.rep.pk), "invoice_type": "sales", "prefix": "Z-"}
    assert api.patch(detail, same, format="json").status_code == 200  # the document read back is fine


def test_a_counter_that_issued_numbers_cannot_be_deleted(api, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant)
    api.post(NEXT, next_body(counter.rep, counter.warehouse), format="json")
    r = api.delete(f"{URL}/{counter.pk}")
    assert r.status_code == 409 and "issued" in r.json()["error"]
    assert InvoiceSerialCounter.objects.filter(pk=counter.pk).exists()


def test_a_rep_or_warehouse_with_a_counter_cannot_be_deleted(api, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant)
    assert api.delete(f"/v1/rep/{counter.rep.pk}").status_code == 409
    assert api.delete(f"/v1/warehouse/{counter.warehouse.pk}").status_code == 409


# Service level: formatting and the counter's rules --------------------------------------------------
@given(
    number=st.integers(min_value=0, max_value=2**53 - 1),
    prefix=st.text(max_size=10),
    suffix=st.text(max_size=10),
    pad_length=st.integers(min_value=0, max_value=30),
)
def test_format_serial_is_prefix_padded_number_suffix(number, prefix, suffix, pad_length):
    formatted = services.format_serial(number=number, prefix=prefix, suffix=suffix, pad_length=pad_length)
    middle = formatted[len(prefix) : len(formatted) - len(suffix)]
    assert formatted.startswith(prefix) and formatted.endswith(suffix)
    assert middle.isdigit() and int(middle) == number
    assert len(middle) == max(pad_length, len(str(number)))  # padded, never cut


def test_format_serial_examples():
    assert services.format_serial(number=1001, prefix="INV-2024-", pad_length=6) == "INV-2024-001001"
    assert services.format_serial(number=1234567, prefix="A", suffix="/B", pad_length=3) == "A1234567/B"
    assert services.format_serial(number=7, pad_length=0) == "7"


OPERATIONS = st.lists(
    st.one_of(st.just(("next",)), st.tuples(st.just("patch"), st.integers(min_value=0, max_value=40))), max_size=25
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_numbers_only_go_up_whatever_the_sequence(tenant, operations):
    """Random sequences of /next and PATCH: every number issued is the one after the counter's
    value, no number is issued twice, and a PATCH below the value is refused and changes nothing."""
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    expected, issued = 0, []
    for op in operations:
        if op[0] == "next":
            number, formatted = services.next_serial(
                tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type="sales"
            )
            assert number == expected + 1 and formatted == str(number).zfill(6)
            expected = number
            issued.append(number)
            continue
        counter = services.find_counter(tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type="sales")
        if counter is None:
            counter = services.create_counter(
                tenant=tenant, data={"rep": rep, "warehouse": warehouse, "invoice_type": "sales"}
            )
        if op[1] < expected:
            with pytest.raises(ValidationError) as refused:
                services.update_counter(counter=counter, data={"current_serial": op[1]})
            assert "current_serial" in refused.value.detail
        else:
            services.update_counter(counter=counter, data={"current_serial": op[1]})
            expected = op[1]
        counter.refresh_from_db()
        assert counter.current_serial == expected
    assert len(set(issued)) == len(issued) and issued == sorted(issued)


def test_service_refuses_another_tenants_references(tenant, other_tenant):
    rep, warehouse = RepFactory(tenant=other_tenant), WarehouseFactory(tenant=tenant)
    with pytest.raises(ValidationError) as refused:
        services.next_serial(tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type="sales")
    assert "rep" in refused.value.detail
    with pytest.raises(ValidationError):
        services.next_serial(tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type="credit")
    with pytest.raises(ValidationError):
        services.create_counter(tenant=tenant, data={"rep": rep, "warehouse": warehouse, "invoice_type": "sales"})
    with pytest.raises(Conflict):
        mine = RepFactory(tenant=tenant)
        data = {"rep": mine, "warehouse": warehouse, "invoice_type": "sales"}
        services.create_counter(tenant=tenant, data=data)
        services.create_counter(tenant=tenant, data=data)


# Concurrency (PostgreSQL) ----------------------------------------------------------------------------
THREADS = 16


def run_threads(work) -> list:
    """Run `work(i)` in THREADS threads started together; their results, in thread order."""
    barrier = threading.Barrier(THREADS)
    results: list = [None] * THREADS
    errors: list = []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported below, with the thread's number
            errors.append((i, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def require_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: concurrency is a PostgreSQL matter")


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_get_distinct_contiguous_numbers_first_use_included(tenant):
    require_postgresql()
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    calls = 25

    def work(i):
        return [
            services.next_serial(tenant=tenant, rep_id=rep.pk, warehouse_id=warehouse.pk, invoice_type="sales")[0]
            for _ in range(calls)
        ]

    numbers = [n for batch in run_threads(work) for n in batch]
    assert sorted(numbers) == list(range(1, THREADS * calls + 1))  # distinct, no gap
    assert all(batch == sorted(batch) for batch in [numbers[i : i + calls] for i in range(0, len(numbers), calls)])
    counters = InvoiceSerialCounter.objects.filter(tenant=tenant)
    assert counters.count() == 1 and counters.get().current_serial == THREADS * calls


@pytest.mark.django_db(transaction=True)
def test_sixteen_api_clients_racing_on_next_and_patch(tenant):
    """Through the API: 16 clients call /next on a counter that does not exist yet while the
    counter's PATCHes may only raise it; the numbers are distinct and none is below a raise."""
    require_postgresql()
    rep, warehouse = RepFactory(tenant=tenant), WarehouseFactory(tenant=tenant)
    clients = [client_for(tenant) for _ in range(THREADS)]
    body = next_body(rep, warehouse)

    def work(i):
        answers = []
        for _ in range(5):
            r = clients[i].post(NEXT, body, format="json")
            assert r.status_code == 200, r.content
            answers.append(r.json()["data"]["next_serial"])
        return answers

    numbers = sorted(n for batch in run_threads(work) for n in batch)
    assert numbers == list(range(1, THREADS * 5 + 1))
    assert InvoiceSerialCounter.objects.filter(tenant=tenant).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_patch_racing_next_never_lowers_the_counter(tenant):
    """Half the threads consume numbers, half PATCH `current_serial` to a value read a moment
    before: a PATCH that would lower it is refused, so no number is ever issued twice."""
    require_postgresql()
    counter = InvoiceSerialCounterFactory(tenant=tenant)
    refused = []

    def work(i):
        out = []
        for _ in range(10):
            if i % 2:
                out.append(
                    services.next_serial(
                        tenant=tenant, rep_id=counter.rep_id, warehouse_id=counter.warehouse_id, invoice_type="sales"
                    )[0]
                )
            else:
                seen = InvoiceSerialCounter.objects.get(pk=counter.pk).current_serial
                try:
                    services.update_counter(counter=counter, data={"current_serial": seen})
                except ValidationError:
                    refused.append(seen)
        return out

    numbers = [n for batch in run_threads(work) for n in batch]
    assert len(numbers) == len(set(numbers)) == THREADS // 2 * 10
    counter.refresh_from_db()
    assert counter.current_serial == max(numbers)


# Admin -------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="finance"))
    return user


def test_admin_refuses_lowering_current_serial_and_a_second_counter(client, staff, tenant):
    counter = InvoiceSerialCounterFactory(tenant=tenant, current_serial=5, prefix="A-")
    client.force_login(staff)
    url = f"/admin/finance/invoiceserialcounter/{counter.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "A-000005" in page.text
    form = {
        "rep": counter.rep.pk,
        "warehouse": counter.warehouse.pk,
        "invoice_type": "sales",
        "current_serial": 4,
        "prefix": "A-",
        "suffix": "",
        "pad_length": 6,
        "integration_meta": "{}",
    }
    r = client.post(url, form)
    assert r.status_code == 200 and "Cannot lower current_serial" in r.text
    r = client.post(url, {**form, "current_serial": 9, "invoice_type": "return"})
    assert r.status_code == 200 and "Cannot be changed" in r.text
    r = client.post(url, {**form, "current_serial": 9})
    assert r.status_code == 302, r.text[:2000]
    counter.refresh_from_db()
    assert counter.current_serial == 9 and counter.version == 1
    # a second counter for the same key
    add = {**form, "current_serial": 0, "prefix": ""}
    r = client.post("/admin/finance/invoiceserialcounter/add/", add)
    assert r.status_code == 200 and "already have a counter" in r.text
    r = client.post("/admin/finance/invoiceserialcounter/add/", {**add, "invoice_type": "return"})
    assert r.status_code == 302, r.text[:2000]
    assert InvoiceSerialCounter.objects.filter(tenant=tenant, invoice_type="return").get().tenant == tenant


def test_admin_does_not_delete_a_counter_that_issued_numbers(client, staff, tenant):
    used = InvoiceSerialCounterFactory(tenant=tenant, current_serial=3)
    client.force_login(staff)
    page = client.get(f"/admin/finance/invoiceserialcounter/{used.pk}/delete/")
    assert "has issued numbers up to" in page.text
    client.post(f"/admin/finance/invoiceserialcounter/{used.pk}/delete/", {"post": "yes"})
    assert InvoiceSerialCounter.objects.filter(pk=used.pk).exists()
    unused = InvoiceSerialCounterFactory(tenant=tenant)
    r = client.post(f"/admin/finance/invoiceserialcounter/{unused.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302 and not InvoiceSerialCounter.objects.filter(pk=unused.pk).exists()


def test_admin_shows_only_the_staffs_tenant(client, staff, tenant, other_tenant):
    mine = InvoiceSerialCounterFactory(tenant=tenant, prefix="MINE-")
    theirs = InvoiceSerialCounterFactory(tenant=other_tenant, prefix="THEIRS-")
    client.force_login(staff)
    listing = client.get("/admin/finance/invoiceserialcounter/")
    assert "MINE-" in listing.text and "THEIRS-" not in listing.text
    assert client.get(f"/admin/finance/invoiceserialcounter/{theirs.pk}/change/").status_code in (302, 404)
    assert mine.pk

"""`GET /rep-balance-summary` (family G): outstanding of each rep's non-void invoices (total −
allocations − non-void returns, clamped at 0 per invoice), totals over all rows, paging,
`disabled`, `populatedKeys`, tenancy, errors, and a query count independent of the invoices."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from finance.services import payments
from finance.services.rep_balances import outstanding_by_rep
from tests.conftest import client_for
from tests.factories import ClientFactory
from tests.factories_sales_invoices import InvoiceFactory
from tests.factories_sales_organisation import RepFactory

pytestmark = pytest.mark.django_db

URL = "/v1/rep-balance-summary"
KEYS = {"total_result", "current_count", "total_pages", "current_page", "per_page", "data", "totals", "options"}


def invoice(tenant, rep, client, total, paid=0, **extra):
    row = InvoiceFactory(tenant=tenant, rep=rep, client=client, total=Decimal(total), **extra)
    if paid:
        payments.create_payment(
            tenant=tenant, data={"client": client, "amount": paid, "invoices": [{"invoice": row, "amount": paid}]}
        )
    return row


@pytest.fixture
def world(tenant, other_tenant):
    client = ClientFactory(tenant=tenant)
    ann, bob, cy = (RepFactory(tenant=tenant, name=n) for n in ("Ann", "Bob", "Cy"))
    off = RepFactory(tenant=tenant, name="Off", disabled=True)
    invoice(tenant, ann, client, 100)  # 100 open
    invoice(tenant, ann, client, 200, paid=50)  # 150 open
    invoice(tenant, ann, client, 70, is_void=True)  # void: out
    paid_then_returned = invoice(tenant, ann, client, 80, paid=80)
    InvoiceFactory(tenant=tenant, rep=ann, client=client, total=30, kind="return", returned_from=paid_then_returned)
    partly = invoice(tenant, bob, client, 100, paid=20)  # 80 − 50 returned = 30
    InvoiceFactory(tenant=tenant, rep=bob, client=client, total=50, kind="return", returned_from=partly)
    InvoiceFactory(tenant=tenant, rep=bob, client=client, total=10, kind="return", returned_from=partly, is_void=True)
    invoice(tenant, off, client, 40)
    other_client = ClientFactory(tenant=other_tenant)
    InvoiceFactory(tenant=other_tenant, rep=RepFactory(tenant=other_tenant), client=other_client, total=999)
    return {"ann": ann, "bob": bob, "cy": cy, "off": off}


def test_outstanding_per_rep_and_totals(api, world, tenant):
    ids = [str(world[k].pk) for k in ("cy", "ann", "bob", "off")]
    r = api.get(URL, {"rep": ids})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == KEYS
    rows = {row["rep_name"]: row for row in body["data"]}
    assert [row["rep_name"] for row in body["data"]] == ["Ann", "Bob", "Cy"]  # the disabled rep is left out
    assert rows["Ann"]["total_outstanding_balance_of_invoices_created_by_rep"] == 250
    assert rows["Bob"]["total_outstanding_balance_of_invoices_created_by_rep"] == 30
    assert rows["Cy"]["total_outstanding_balance_of_invoices_created_by_rep"] == 0
    assert rows["Ann"]["_id"] == rows["Ann"]["rep"] == str(world["ann"].pk)
    assert body["totals"] == {"total_balances": 280}
    assert body["options"] == {"has_more": False, "include_documents_count": True}
    assert body["total_result"] == 3
    # paging: totals cover every row
    r = api.get(URL, {"rep": ids, "per_page": 1, "page": 2}).json()
    assert [row["rep_name"] for row in r["data"]] == ["Bob"] and r["options"]["has_more"] is True
    assert r["totals"]["total_balances"] == 280 and r["total_pages"] == 3
    # disabled=true: the disabled ones
    r = api.get(URL, {"rep": ids, "disabled": "true"}).json()
    assert [row["rep_name"] for row in r["data"]] == ["Off"] and r["totals"]["total_balances"] == 40
    # a JSON array, rep[] and populatedKeys
    r = api.get(URL, {"rep[]": ids[:2], "populatedKeys": '["rep"]'}).json()
    assert r["data"][0]["rep"]["_id"] == str(world["ann"].pk) and r["data"][0]["rep"]["name"] == "Ann"
    assert api.get(URL, {"rep": f'["{ids[2]}"]'}).json()["data"][0]["rep_name"] == "Bob"
    assert outstanding_by_rep(tenant=tenant, rep_ids=[world["ann"].pk]) == {world["ann"].pk: Decimal("250.00")}


def test_errors_and_tenancy(api, world, other_tenant):
    for params in ({}, {"rep": "nope"}, {"rep": "[1]"}, {"rep": str(world["ann"].pk), "per_page": "101"},
                   {"rep": str(world["ann"].pk), "page": "0"}, {"rep": str(world["ann"].pk), "disabled": "maybe"},
                   {"rep": str(world["ann"].pk), "populatedKeys": '["client"]'}):  # fmt: skip
        r = api.get(URL, params)
        assert r.status_code == 400, (params, r.content)
        assert r.json()["success"] is False
    other = client_for(other_tenant).get(URL, {"rep": str(world["ann"].pk)}).json()
    assert other["data"] == [] and other["totals"]["total_balances"] == 0
    assert api.post(URL, {}, format="json").status_code == 405
    assert api.get(f"{URL}/{world['ann'].pk}").status_code == 405
    from rest_framework.test import APIClient

    assert APIClient().get(URL, {"rep": str(world["ann"].pk)}).status_code == 401


def test_query_count_does_not_grow_with_invoices(api, tenant):
    client, rep = ClientFactory(tenant=tenant), RepFactory(tenant=tenant)
    invoice(tenant, rep, client, 10, paid=5)
    api.get(URL, {"rep": str(rep.pk)})
    with CaptureQueriesContext(connection) as few:
        api.get(URL, {"rep": str(rep.pk)})
    for _ in range(10):
        invoice(tenant, rep, client, 10, paid=5)
    with CaptureQueriesContext(connection) as many:
        body = api.get(URL, {"rep": str(rep.pk)}).json()
    assert body["data"][0]["total_outstanding_balance_of_invoices_created_by_rep"] == 55
    assert len(many) == len(few)

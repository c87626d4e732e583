"""`GET /v1/client/{id}/statement`: the client's ledger in a date window, oldest first, with the
opening balance, the running balance of each entry and the closing balance; bounds inclusive and
optional; paging; 400 naming a bad parameter; 404 across tenants; constant query count."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from finance.services import client_ledger
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
D = Decimal


def at(day, hour=12):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def ledger(tenant):
    """Entries on Jan 1..10, 2026: day d posts −10·d (odd days) or +3·d (even days)."""
    client = ClientFactory(tenant=tenant)
    for d in range(1, 11):
        amount = D(-10 * d) if d % 2 else D(3 * d)
        client_ledger.post_client_entry(
            tenant=tenant, client_id=client.pk, amount=amount, document_type="invoice" if d % 2 else "payment",
            document_id=uuid.uuid4(), occurred_at=at(dt.date(2026, 1, d)),
        )  # fmt: skip
    return client


def url(client):
    return f"/v1/client/{client.pk}/statement"


def test_a_window_with_opening_running_and_closing_balances(api, ledger):
    r = api.get(url(ledger), {"from": "2026-01-03", "to": "2026-01-05"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["opening_balance"] == -10 + 6  # days 1 and 2
    assert [e["amount"] for e in body["entries"]] == [-30, 12, -50]
    assert [e["balance"] for e in body["entries"]] == [-34, -22, -72]
    assert body["closing_balance"] == -72 and body["total"] == 3
    assert body["entries"][0]["type"] == "invoice" and body["entries"][0]["date"].startswith("2026-01-03")
    assert (body["from"], body["to"], body["page"], body["per_page"]) == ("2026-01-03", "2026-01-05", 1, 100)


def test_closing_balance_with_to_is_the_balance_as_of_that_day(api, tenant, ledger):
    for day in (dt.date(2026, 1, 4), dt.date(2026, 1, 10), dt.date(2025, 12, 31)):
        body = api.get(url(ledger), {"to": day.isoformat()}).json()
        assert D(str(body["closing_balance"])) == client_ledger.client_balance(
            tenant=tenant, client_id=ledger.pk, as_of=day
        )
    body = api.get(url(ledger)).json()
    assert body["total"] == 10 and body["opening_balance"] == 0
    assert D(str(body["closing_balance"])) == client_ledger.client_balance(tenant=tenant, client_id=ledger.pk)


def test_pages_carry_the_running_balance_on(api, ledger):
    whole = api.get(url(ledger)).json()["entries"]
    pages = [api.get(url(ledger), {"page": p, "per_page": 3}).json() for p in (1, 2, 3, 4, 5)]
    assert [e for p in pages for e in p["entries"]] == whole
    assert pages[4]["entries"] == [] and pages[4]["total"] == 10


@pytest.mark.parametrize(
    "params, field",
    [
        ({"from": "01/02/2026"}, "from"),
        ({"to": "x"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"page": 0}, "page"),
        ({"per_page": 501}, "per_page"),
        ({"per_page": "many"}, "per_page"),
    ],
)
def test_bad_parameters_are_400_naming_them(api, ledger, params, field):
    r = api.get(url(ledger), params)
    assert r.status_code == 400, r.content
    assert field in r.content.decode()


def test_another_tenants_client_is_404(other_api, api, ledger):
    assert other_api.get(url(ledger)).status_code == 404
    assert api.get("/v1/client/not-an-id/statement").status_code == 404


def test_constant_queries_whatever_the_page_size(api, ledger):
    api.get(url(ledger))
    with CaptureQueriesContext(connection) as small:
        api.get(url(ledger), {"per_page": 2, "page": 2, "from": "2026-01-02"})
    with CaptureQueriesContext(connection) as large:
        api.get(url(ledger), {"per_page": 100, "page": 1, "from": "2026-01-02"})
    assert len(large) <= len(small) <= len(large) + 1  # page 2 reads the sum before the page

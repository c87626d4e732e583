"""Invoices against the stock ledger, at the service level: random sequences of documents keep the
ledger's invariants (hypothesis), and concurrent writers on PostgreSQL lose nothing and oversell
nothing (real threads)."""

import itertools
from decimal import Decimal

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import APIException

from core.services import create_tenant
from sales import models as sm
from sales.services import invoices as services
from sales.services import proformas
from sales.services.stock import InsufficientStock
from tests.invoice_world import allow_negative, make_world, movement_sum, on_hand, put_stock
from tests.test_finance_serials import THREADS, require_postgresql, run_threads

D = Decimal
_examples = itertools.count()


def body(w, qty, **extra):
    return {
        "client": w.client,
        "rep": w.rep,
        "warehouse": w.warehouse,
        "items": [{"variant": str(w.variant.pk), "qty": qty}],
        **extra,
    }


def check_invariants(w, *, negative_allowed=False):
    quantity, reserved = on_hand(w.tenant, w.warehouse, w.variant)
    assert quantity == movement_sum(w.tenant, w.warehouse, w.variant)
    held = sm.StockReservation.objects.filter(tenant=w.tenant, warehouse=w.warehouse, variant=w.variant).aggregate(
        s=Sum("quantity")
    )["s"] or D(0)
    assert reserved == held
    if not negative_allowed:
        assert quantity - reserved >= 0
    for invoice in sm.Invoice.objects.filter(tenant=w.tenant).prefetch_related("lines"):
        assert invoice.total == sum((line.line_total for line in invoice.lines.all()), D(0))
        assert (
            invoice.subtotal
            - invoice.discount_amount
            + sum((line.tax_amount for line in invoice.lines.all() if line.tax_type == "additive"), D(0))
            == invoice.total
        )


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["receive", "invoice", "return", "void", "proforma", "convert", "cancel"]),
        st.integers(min_value=1, max_value=9),
        st.integers(min_value=0, max_value=50),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_random_documents_keep_the_ledger_and_the_totals(db, steps):
    tenant = create_tenant(namespace=f"hyp-{next(_examples)}", name="Hypothesis")  # a fresh company per example
    w = make_world(tenant, stock=0)
    for action, qty, pick in steps:
        invoices = list(sm.Invoice.objects.filter(tenant=tenant, kind="invoice", is_void=False).order_by("pk"))
        returns = list(sm.Invoice.objects.filter(tenant=tenant, kind="return", is_void=False).order_by("pk"))
        open_proformas = list(sm.Proforma.objects.filter(tenant=tenant, status="open").order_by("pk"))
        try:
            if action == "receive":
                put_stock(tenant, w.warehouse, w.variant, qty)
            elif action == "invoice":
                services.issue_invoice(tenant=tenant, data=body(w, qty))
            elif action == "return" and invoices:
                target = invoices[pick % len(invoices)]
                services.issue_invoice(tenant=tenant, data={"returned_from": target, **body(w, qty)})
            elif action == "void" and (invoices or returns):
                pool = returns + invoices
                services.void_invoice(invoice=pool[pick % len(pool)])
            elif action == "proforma":
                proformas.create_proforma(tenant=tenant, data=body(w, qty))
            elif action == "convert" and open_proformas:
                services.issue_invoice(
                    tenant=tenant, data={"proforma_reference": open_proformas[pick % len(open_proformas)]}
                )
            elif action == "cancel" and open_proformas:
                proformas.cancel_proforma(proforma=open_proformas[pick % len(open_proformas)])
        except APIException as refused:  # a refusal (422 short/over-return, 409 state) changes nothing
            assert refused.status_code in (409, 422), refused
        check_invariants(w)
    # every return stays within what its invoice sold
    for invoice in sm.Invoice.objects.filter(tenant=tenant, kind="invoice"):
        left = services.returnable(invoice=invoice)
        assert all(value >= 0 for value in left.values())


@pytest.mark.django_db
def test_negative_stock_when_allowed(tenant):
    w = make_world(tenant, stock=2)
    with pytest.raises(InsufficientStock):
        services.issue_invoice(tenant=tenant, data=body(w, 3))
    allow_negative(tenant)
    services.issue_invoice(tenant=tenant, data=body(w, 3))
    check_invariants(w, negative_allowed=True)
    assert on_hand(tenant, w.warehouse, w.variant)[0] == -1


# Concurrency (PostgreSQL) --------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_lose_no_movement_and_oversell_nothing(tenant):
    require_postgresql()
    w = make_world(tenant, stock=100)
    per_thread = 5  # 16 × 5 × 2 = 160 asked for 100 in stock

    def work(i):
        done = refused = 0
        for _ in range(per_thread):
            try:
                services.issue_invoice(tenant=tenant, data=body(w, 2))
                done += 1
            except InsufficientStock:
                refused += 1
        return done, refused

    results = run_threads(work)
    issued = sum(done for done, _ in results)
    assert issued == 50 and sum(refused for _, refused in results) == THREADS * per_thread - 50
    assert on_hand(tenant, w.warehouse, w.variant)[0] == 0 == movement_sum(tenant, w.warehouse, w.variant) - 0
    assert sm.StockMovement.objects.filter(tenant=tenant, document_type="invoice").count() == issued
    serials = list(sm.Invoice.objects.filter(tenant=tenant).values_list("serial", flat=True))
    assert len(serials) == len(set(serials)) == issued
    numbers = sorted(int(s.rsplit("-", 1)[1]) for s in serials)
    assert numbers == list(range(1, issued + 1))  # refused invoices gave their numbers back


@pytest.mark.django_db(transaction=True)
def test_concurrent_conversions_of_one_proforma_convert_it_once(tenant):
    require_postgresql()
    w = make_world(tenant, stock=10)
    proforma = proformas.create_proforma(tenant=tenant, data=body(w, 4))

    def work(i):
        try:
            services.issue_invoice(tenant=tenant, data={"proforma_reference": sm.Proforma.objects.get(pk=proforma.pk)})
            return "converted"
        except APIException as exc:
            return exc.status_code

    outcomes = run_threads(work)
    assert outcomes.count("converted") == 1 and outcomes.count(409) == THREADS - 1
    assert on_hand(tenant, w.warehouse, w.variant) == (6, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_voids_reverse_once(tenant):
    require_postgresql()
    w = make_world(tenant, stock=10)
    invoice = services.issue_invoice(tenant=tenant, data=body(w, 4))
    run_threads(lambda i: services.void_invoice(invoice=sm.Invoice.objects.get(pk=invoice.pk)))
    assert on_hand(tenant, w.warehouse, w.variant)[0] == 10 == movement_sum(tenant, w.warehouse, w.variant)


# imports ----------------------------------------------------------------------------------------------
def test_imported_invoices_are_issued_through_the_service(tmp_path, tenant):
    """An imported invoice is issued like one posted to the API: it takes its stock out, draws
    its computed totals, and a file line the warehouse cannot serve is refused without moving
    anything."""
    import json
    from io import StringIO

    from django.core.management import call_command

    w = make_world(tenant, stock=5)
    line = {"client": str(w.client.pk), "rep": str(w.rep.pk), "warehouse": str(w.warehouse.pk)}
    (tmp_path / "sold.json").write_text(json.dumps([{**line, "items": [{"variant": str(w.variant.pk), "qty": 3}]}]))
    out = StringIO()
    call_command("import_data", "fullinvoices", str(tmp_path / "sold.json"), "--tenant", tenant.namespace, stdout=out)
    assert "1 created" in out.getvalue(), out.getvalue()
    invoice = sm.Invoice.objects.get(tenant=tenant)
    assert invoice.total == sum(item.line_total for item in invoice.lines.all()) > 0
    assert on_hand(tenant, w.warehouse, w.variant)[0] == 2 == movement_sum(tenant, w.warehouse, w.variant)

    (tmp_path / "short.json").write_text(json.dumps([{**line, "items": [{"variant": str(w.variant.pk), "qty": 9}]}]))
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import_data", "fullinvoices", str(tmp_path / "short.json"), "--tenant", tenant.namespace, stdout=out
        )
    assert "Not enough stock" in out.getvalue(), out.getvalue()
    assert sm.Invoice.objects.filter(tenant=tenant).count() == 1
    assert on_hand(tenant, w.warehouse, w.variant)[0] == 2


def test_an_imported_proforma_reserves_once(tmp_path, tenant):
    import json
    import uuid
    from io import StringIO

    from django.core.management import call_command

    w = make_world(tenant, stock=5)
    pk = str(uuid.uuid4())
    row = {"_id": pk, "client": str(w.client.pk), "rep": str(w.rep.pk), "warehouse": str(w.warehouse.pk)}
    (tmp_path / "quotes.json").write_text(json.dumps([{**row, "items": [{"variant": str(w.variant.pk), "qty": 4}]}]))
    out = StringIO()
    call_command("import_data", "proforma", str(tmp_path / "quotes.json"), "--tenant", tenant.namespace, stdout=out)
    assert "1 created" in out.getvalue(), out.getvalue()
    assert on_hand(tenant, w.warehouse, w.variant) == (5, 4)
    # The file's id names the imported proforma: importing the file again is refused as existing
    # (the default mode) and reserves nothing more.
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("import_data", "proforma", str(tmp_path / "quotes.json"), "--tenant", tenant.namespace, stdout=out)
    assert "0 created" in out.getvalue(), out.getvalue()
    assert sm.Proforma.objects.filter(tenant=tenant).count() == 1
    assert on_hand(tenant, w.warehouse, w.variant) == (5, 4)


@pytest.mark.django_db
def test_the_ledger_reads_no_reference_the_caller_already_read(tenant):
    """post_movements(known=...) skips reading the variants and warehouses it is told about, and
    still reads (and refuses) the ones it is not told about."""
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.exceptions import ValidationError

    from sales.services import stock

    w = make_world(tenant, stock=10)
    line = stock.StockLine(warehouse_id=w.warehouse.pk, variant_id=w.variant.pk, quantity=Decimal(-1))
    known = ({w.variant.pk: (w.variant.name, w.product.pk)}, {w.warehouse.pk: w.warehouse.name})
    post = {"tenant": tenant, "lines": [line], "document_type": "invoice"}
    with CaptureQueriesContext(connection) as told:
        stock.post_movements(**post, document_id=uuid.uuid4(), known=known)
    with CaptureQueriesContext(connection) as untold:
        stock.post_movements(**post, document_id=uuid.uuid4())
    assert len(untold) == len(told) + 2
    assert not any("sales_variant" in q["sql"] or "sales_warehouse" in q["sql"] for q in told.captured_queries)
    assert on_hand(tenant, w.warehouse, w.variant)[0] == 8 == movement_sum(tenant, w.warehouse, w.variant)
    foreign = make_world(create_tenant(namespace="ledger-known-other"))
    stray = stock.StockLine(warehouse_id=w.warehouse.pk, variant_id=foreign.variant.pk, quantity=Decimal(-1))
    with pytest.raises(ValidationError) as refused:
        stock.post_movements(
            tenant=tenant, lines=[stray], document_type="invoice", document_id=uuid.uuid4(), known=known
        )
    assert "variant" in refused.value.detail

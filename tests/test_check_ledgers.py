"""`manage.py check_ledgers`: recomputes projections from entries, prints differences, exits
non-zero when it finds any, and `--fix` rewrites them. The registry lets other ledgers join."""

import uuid
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core import ledgers
from sales.models import Inventory
from sales.services import stock
from sales.services.stock import StockLine
from tests.factories_sales_catalogue import VariantFactory
from tests.factories_sales_organisation import WarehouseFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("check_ledgers", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def stocked(tenant):
    wh, var = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    stock.post_movements(
        tenant=tenant,
        lines=[StockLine(wh.pk, var.pk, Decimal(7), Decimal(1))],
        document_type="t",
        document_id=uuid.uuid4(),
    )
    stock.reserve(
        tenant=tenant, lines=[StockLine(wh.pk, var.pk, Decimal(2))], document_type="p", document_id=uuid.uuid4()
    )
    return wh, var


def test_a_consistent_ledger_has_no_differences(stocked):
    assert "No differences (client, stock)" in run()


def test_a_wrong_projection_is_reported_and_exits_non_zero_then_fixed(tenant, stocked):
    wh, var = stocked
    Inventory.objects.filter(warehouse=wh, variant=var).update(quantity=Decimal(9), reserved_quantity=Decimal(0))
    out = StringIO()
    with pytest.raises(CommandError, match="2 difference"):
        call_command("check_ledgers", stdout=out)
    text = out.getvalue()
    assert f"acme: warehouse {wh.pk} variant {var.pk}: quantity is 9" in text and "entries say 7" in text
    assert "reserved_quantity is 0" in text
    fixed = run("--fix")
    assert "2 difference(s) fixed" in fixed
    row = Inventory.objects.get(warehouse=wh, variant=var)
    assert (row.quantity, row.reserved_quantity) == (Decimal(7), Decimal(2))
    assert "No differences" in run()


def test_a_missing_row_is_reported_and_recreated(tenant, stocked):
    wh, var = stocked
    Inventory.objects.filter(warehouse=wh, variant=var).delete()
    with pytest.raises(CommandError, match="1 difference"):
        run()
    run("--fix")
    row = Inventory.objects.get(warehouse=wh, variant=var)
    assert (row.quantity, row.reserved_quantity, row.product_id) == (Decimal(7), Decimal(2), var.product_id)


def test_tenant_scope(tenant, other_tenant, stocked):
    wh, var = stocked
    Inventory.objects.filter(warehouse=wh).update(quantity=Decimal(1))
    assert "No differences" in run("--tenant", "globex")
    with pytest.raises(CommandError):
        run("--tenant", "acme")
    with pytest.raises(CommandError, match="No tenant"):
        run("--tenant", "nobody")


def test_other_ledgers_join_through_the_registry(stocked):
    def client_ledger(*, tenant, fix):
        yield ledgers.Difference("clients", "acme", "client x", "balance", 1, 2)

    ledgers.register_ledger_checker("clients-test", client_ledger)
    try:
        with pytest.raises(CommandError, match=r"1 difference\(s\) found \(clients-test\)"):
            run("--ledger", "clients-test")
        assert "No differences (stock)" in run("--ledger", "stock")
        with pytest.raises(CommandError, match="Unknown ledger"):
            run("--ledger", "nope")
    finally:
        ledgers._CHECKERS.pop("clients-test")

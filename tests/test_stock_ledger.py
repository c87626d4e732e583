"""The stock ledger service (sales/services/stock.py): movements, the projection, negative stock,
moving-average cost, reservations, append-only entries and locking under concurrency."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError

from core.models import Setting
from sales.models import AppendOnlyError, Inventory, StockMovement, StockReservation
from sales.services import stock
from sales.services.stock import InsufficientStock, StockLine
from tests.factories_sales_catalogue import VariantFactory
from tests.factories_sales_organisation import WarehouseFactory

pytestmark = pytest.mark.django_db

D = Decimal


def row(warehouse, variant) -> Inventory:
    return Inventory.objects.get(warehouse=warehouse, variant=variant)


def line(warehouse, variant, quantity, unit_cost=None) -> StockLine:
    cost = None if unit_cost is None else D(str(unit_cost))
    return StockLine(warehouse.pk, variant.pk, D(str(quantity)), cost)


def post(tenant, *lines, document_type="adjust_inventory", document_id=None, **kwargs):
    return stock.post_movements(
        tenant=tenant, lines=list(lines), document_type=document_type, document_id=document_id or uuid.uuid4(), **kwargs
    )


@pytest.fixture
def wh(tenant):
    return WarehouseFactory(tenant=tenant, name="Main")


@pytest.fixture
def var(tenant):
    return VariantFactory(tenant=tenant, name="Cola 330ml")


def test_a_receipt_creates_the_row_and_records_the_movement(tenant, wh, var):
    doc = uuid.uuid4()
    movements = post(tenant, line(wh, var, 10, "2.5"), document_type="receiving_material", document_id=doc)
    inventory = row(wh, var)
    assert (inventory.quantity, inventory.reserved_quantity, inventory.cost) == (D(10), D(0), D("2.5"))
    assert inventory.product_id == var.product_id
    assert len(movements) == 1
    stored = list(stock.movements_of(tenant=tenant, document_type="receiving_material", document_id=doc))
    assert [(m.quantity, m.unit_cost, m.product_id) for m in stored] == [(D(10), D("2.5"), var.product_id)]


def test_moving_average_cost_on_inbound_lines_only(tenant, wh, var):
    post(tenant, line(wh, var, 10, 2))
    post(tenant, line(wh, var, 30, 4))  # (10×2 + 30×4) / 40 = 3.5
    assert row(wh, var).cost == D("3.5")
    post(tenant, line(wh, var, -20))  # outbound: cost unchanged, recorded at 3.5
    assert row(wh, var).cost == D("3.5")
    assert StockMovement.objects.filter(quantity=-20).get().unit_cost == D("3.5")
    post(tenant, line(wh, var, 5))  # inbound without a cost: recorded at the average, which stays
    assert row(wh, var).cost == D("3.5")
    assert row(wh, var).quantity == D(25)


def test_outbound_beyond_available_is_422_naming_variant_warehouse_available_requested(tenant, wh, var):
    post(tenant, line(wh, var, 5))
    with pytest.raises(InsufficientStock) as caught:
        post(tenant, line(wh, var, -7), document_type="invoice")
    exc = caught.value
    assert exc.status_code == 422
    assert exc.get_codes() == "insufficient_stock"
    message = str(exc.detail)
    assert "Cola 330ml" in message and str(var.pk) in message
    assert "Main" in message and str(wh.pk) in message
    assert "available 5" in message and "requested 7" in message
    assert exc.details[0]["available"] == 5 and exc.details[0]["requested"] == 7
    assert row(wh, var).quantity == D(5)
    assert StockMovement.objects.count() == 1


def test_the_check_counts_reserved_stock_as_unavailable(tenant, wh, var):
    post(tenant, line(wh, var, 10))
    stock.reserve(tenant=tenant, lines=[line(wh, var, 8)], document_type="proforma", document_id=uuid.uuid4())
    with pytest.raises(InsufficientStock):
        post(tenant, line(wh, var, -3))
    post(tenant, line(wh, var, -2))
    inventory = row(wh, var)
    assert (inventory.quantity, inventory.reserved_quantity, inventory.available_quantity) == (D(8), D(8), D(0))


def test_negative_stock_when_the_setting_or_the_caller_allows_it(tenant, wh, var):
    with pytest.raises(InsufficientStock):
        post(tenant, line(wh, var, -1))
    post(tenant, line(wh, var, -1), allow_negative=True)
    assert row(wh, var).quantity == D(-1)
    Setting.objects.filter(tenant=tenant, key="allow_negative_stock").update(value=True)
    assert stock.allow_negative_stock(tenant=tenant) is True
    post(tenant, line(wh, var, -2))
    assert row(wh, var).quantity == D(-3)
    with pytest.raises(InsufficientStock):
        post(tenant, line(wh, var, -1), allow_negative=False)


def test_an_inbound_line_into_a_negative_row_is_never_refused(tenant, wh, var):
    post(tenant, line(wh, var, -4), allow_negative=True)
    post(tenant, line(wh, var, 1, 10))
    inventory = row(wh, var)
    assert inventory.quantity == D(-3)
    assert inventory.cost == D(10)  # no stock to average with


def test_the_check_is_on_the_documents_net_effect_per_row(tenant, wh, var):
    post(tenant, line(wh, var, 2))
    post(tenant, line(wh, var, -5), line(wh, var, 4))  # net −1 of 2
    assert row(wh, var).quantity == D(1)
    assert StockMovement.objects.count() == 3


def test_zero_lines_move_nothing(tenant, wh, var):
    assert post(tenant, line(wh, var, 0)) == []
    assert not Inventory.objects.exists()


def test_another_tenants_variant_or_warehouse_is_refused(tenant, other_tenant, wh, var):
    foreign_variant = VariantFactory(tenant=other_tenant)
    foreign_warehouse = WarehouseFactory(tenant=other_tenant)
    with pytest.raises(ValidationError) as caught:
        post(tenant, line(wh, foreign_variant, 1))
    assert "variant" in caught.value.detail
    with pytest.raises(ValidationError) as caught:
        post(tenant, line(foreign_warehouse, var, 1))
    assert "warehouse" in caught.value.detail
    assert not Inventory.objects.exists() and not StockMovement.objects.exists()


def test_movements_and_reservations_are_append_only(tenant, wh, var):
    post(tenant, line(wh, var, 3))
    movement = StockMovement.objects.get()
    movement.quantity = D(4)
    with pytest.raises(AppendOnlyError):
        movement.save()
    with pytest.raises(AppendOnlyError):
        movement.delete()
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.filter(pk=movement.pk).update(quantity=D(4))
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.all().delete()
    stock.reserve(tenant=tenant, lines=[line(wh, var, 1)], document_type="proforma", document_id=uuid.uuid4())
    with pytest.raises(AppendOnlyError):
        StockReservation.objects.all().delete()
    assert StockMovement.objects.get().quantity == D(3)


def test_reserve_release_is_idempotent(tenant, wh, var):
    post(tenant, line(wh, var, 10))
    doc = uuid.uuid4()
    stock.reserve(tenant=tenant, lines=[line(wh, var, 4), line(wh, var, 2)], document_type="proforma", document_id=doc)
    assert row(wh, var).reserved_quantity == D(6)
    assert stock.reserved_by(tenant=tenant, document_type="proforma", document_id=doc) == {(wh.pk, var.pk): D(6)}
    with pytest.raises(InsufficientStock):
        stock.reserve(tenant=tenant, lines=[line(wh, var, 5)], document_type="proforma", document_id=uuid.uuid4())
    stock.release(tenant=tenant, document_type="proforma", document_id=doc)
    stock.release(tenant=tenant, document_type="proforma", document_id=doc)
    assert row(wh, var).reserved_quantity == D(0)
    assert StockReservation.objects.aggregate(total=Sum("quantity"))["total"] == D(0)
    assert StockReservation.objects.count() == 2  # one reserve entry, one release entry


def test_reserve_refuses_negative_quantities(tenant, wh, var):
    with pytest.raises(ValidationError):
        stock.reserve(tenant=tenant, lines=[line(wh, var, -1)], document_type="proforma", document_id=uuid.uuid4())


def test_consume_reservation_turns_it_into_movements_in_one_go(tenant, wh, var):
    post(tenant, line(wh, var, 10))
    proforma, invoice = uuid.uuid4(), uuid.uuid4()
    stock.reserve(tenant=tenant, lines=[line(wh, var, 10)], document_type="proforma", document_id=proforma)
    # Nothing else can take it, but the proforma's own conversion can.
    with pytest.raises(InsufficientStock):
        post(tenant, line(wh, var, -1), document_type="invoice")
    movements = stock.consume_reservation(
        tenant=tenant,
        document_type="proforma",
        document_id=proforma,
        into_document_type="invoice",
        into_document_id=invoice,
        lines=[line(wh, var, -10)],
    )
    assert [m.quantity for m in movements] == [D(-10)]
    inventory = row(wh, var)
    assert (inventory.quantity, inventory.reserved_quantity) == (D(0), D(0))
    assert stock.reserved_by(tenant=tenant, document_type="proforma", document_id=proforma) == {}
    assert stock.movements_of(tenant=tenant, document_type="invoice", document_id=invoice).count() == 1


def test_consume_reservation_refuses_more_than_is_there_and_changes_nothing(tenant, wh, var):
    post(tenant, line(wh, var, 5))
    proforma = uuid.uuid4()
    stock.reserve(tenant=tenant, lines=[line(wh, var, 5)], document_type="proforma", document_id=proforma)
    with pytest.raises(InsufficientStock):
        stock.consume_reservation(
            tenant=tenant,
            document_type="proforma",
            document_id=proforma,
            into_document_type="invoice",
            into_document_id=uuid.uuid4(),
            lines=[line(wh, var, -6)],
        )
    assert row(wh, var).reserved_quantity == D(5)


def test_use_reservation_checks_against_the_documents_own_reservation(tenant, wh, var):
    post(tenant, line(wh, var, 4))
    doc = uuid.uuid4()
    stock.reserve(tenant=tenant, lines=[line(wh, var, 4)], document_type="proforma", document_id=doc)
    with pytest.raises(InsufficientStock):
        post(tenant, line(wh, var, -4), document_type="proforma", document_id=doc)
    post(tenant, line(wh, var, -4), document_type="proforma", document_id=doc, use_reservation=True)
    assert row(wh, var).quantity == D(0)


def test_projection_equals_the_sum_of_entries(tenant, wh, var):
    other = WarehouseFactory(tenant=tenant)
    post(tenant, line(wh, var, 10, 1), line(other, var, 3, 2))
    post(tenant, line(wh, var, -4), line(other, var, 2))
    stock.reserve(tenant=tenant, lines=[line(wh, var, 1)], document_type="proforma", document_id=uuid.uuid4())
    for inventory in Inventory.objects.all():
        moved = StockMovement.objects.filter(warehouse=inventory.warehouse, variant=inventory.variant).aggregate(
            total=Sum("quantity")
        )["total"]
        reserved = StockReservation.objects.filter(warehouse=inventory.warehouse, variant=inventory.variant).aggregate(
            total=Sum("quantity")
        )["total"]
        assert inventory.quantity == moved
        assert inventory.reserved_quantity == (reserved or 0)


def test_a_five_line_document_costs_a_fixed_number_of_queries(tenant, wh):
    variants = [VariantFactory(tenant=tenant) for _ in range(5)]
    post(tenant, *[line(wh, v, 100, 1) for v in variants])
    with CaptureQueriesContext(connection) as ctx:
        post(tenant, *[line(wh, v, -1) for v in variants], document_type="invoice")
    # variants, warehouses, insert-missing, lock, movements, projection (plus savepoints)
    assert len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]) <= 6


# Concurrency (PostgreSQL) -----------------------------------------------------------------------------
THREADS = 16


def run_threads(work, count=THREADS) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported below
            results[i] = exc
            errors.append((i, exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def require_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: concurrency is a PostgreSQL matter")


@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_on_one_row_lose_nothing_and_oversell_nothing(tenant):
    require_postgresql()
    wh, var = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    post(tenant, line(wh, var, 10, 1))

    def work(i):
        try:
            post(tenant, line(wh, var, -1), document_type="invoice")
            return "ok"
        except InsufficientStock:
            return "short"

    results = run_threads(work)
    assert results.count("ok") == 10 and results.count("short") == 6, results
    assert row(wh, var).quantity == D(0)
    assert StockMovement.objects.filter(quantity=-1).count() == 10


@pytest.mark.django_db(transaction=True)
def test_sixteen_writers_first_use_of_a_row_create_it_once(tenant):
    require_postgresql()
    wh, var = WarehouseFactory(tenant=tenant), VariantFactory(tenant=tenant)
    run_threads(lambda i: post(tenant, line(wh, var, 1, i)))
    assert Inventory.objects.filter(warehouse=wh, variant=var).count() == 1
    assert row(wh, var).quantity == D(THREADS)


@pytest.mark.django_db(transaction=True)
def test_two_rows_in_opposite_orders_never_deadlock(tenant):
    require_postgresql()
    wh = WarehouseFactory(tenant=tenant)
    a, b = VariantFactory(tenant=tenant), VariantFactory(tenant=tenant)
    post(tenant, line(wh, a, 1000), line(wh, b, 1000))

    def work(i):
        for _ in range(10):
            lines = [line(wh, a, -1), line(wh, b, -1)]
            post(tenant, *(lines if i % 2 else lines[::-1]), document_type="invoice")
        return "ok"

    results = run_threads(work, count=2 * 4)
    assert results == ["ok"] * 8, results
    assert (row(wh, a).quantity, row(wh, b).quantity) == (D(920), D(920))

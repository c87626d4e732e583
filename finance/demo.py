"""Demo finance rows for tenant `demo` (called by core/demo.py): payment terms (some clients on
them), banks, a bank list and a few checks (skipped once the tenant has payment terms); then the
money (`load_money`, skipped once the tenant has payments): a few invoices of two clients, payments
(one paying the oldest invoices, one paying a named invoice in part, one left as unconsumed
credit), a settlement matching that credit with an open invoice, and an account adjustment.
Written through the resource serializers, so the rules apply as through the API."""

import datetime as dt
import random

from clients.serializers.client import ClientSerializer
from finance.models import PaymentTerm
from finance.serializers import banks, checks, terms

TERMS = [
    # name, days, discount %, discount days, description
    ("Cash on delivery", 0, 0, 0, "Paid when the goods are delivered."),
    ("Net 30", 30, 2, 10, "Due in 30 days; 2% off when paid within 10 days."),
    ("Net 60", 60, 0, 0, "Due in 60 days, for key accounts."),
]
BANKS = [
    ("Arab Bank", "ARABJOAX", "JO"),
    ("Housing Bank", "HBHOJOAX", "JO"),
    ("Cairo Amman Bank", "CAABJOAM", "JO"),
    ("Jordan Kuwait Bank", "JKBAJOAM", "JO"),
]


def _make(serializer_class, tenant, actor, instance=None, **data):
    context = {"tenant": tenant, "actor": actor}
    serializer = serializer_class(instance, data=data, context=context, partial=instance is not None)
    serializer.is_valid(raise_exception=True)
    return serializer.save()


def load(*, tenant, rng: random.Random, clients: list, reps: list, actor: dict) -> None:
    if not PaymentTerm.objects.filter(tenant=tenant).exists():
        _load_policies(tenant=tenant, rng=rng, clients=clients, reps=reps, actor=actor)
    load_money(tenant=tenant, rng=rng, clients=clients, reps=reps, actor=actor)
    from finance import demo_contracts  # a contract with installments, refunds (skipped once loaded)

    demo_contracts.load(tenant=tenant, rng=rng, clients=clients, reps=reps, actor=actor)


def _load_policies(*, tenant, rng: random.Random, clients: list, reps: list, actor: dict) -> None:
    made = [
        _make(
            terms.PaymentTermSerializer,
            tenant,
            actor,
            name=name,
            days=days,
            discount_percentage=discount,
            discount_days=discount_days,
            description=description,
        )
        for name, days, discount, discount_days, description in TERMS
    ]
    for client in clients:  # most clients buy on 30 days, some pay cash, a few key accounts get 60
        term = rng.choices(made, weights=[3, 6, 1])[0]
        _make(ClientSerializer, tenant, actor, instance=client, paymentTerm=str(term.pk))

    bank_rows = [_make(banks.BankSerializer, tenant, actor, name=n, code=c, country=k) for n, c, k in BANKS]
    _make(banks.BankListSerializer, tenant, actor, name="Accepted banks", banks=[str(b.pk) for b in bank_rows[:3]])

    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for number, client in enumerate(rng.sample(clients, min(4, len(clients))), start=1):
        issued = today - dt.timedelta(days=rng.randint(1, 20))
        _make(
            checks.CheckSerializer,
            tenant,
            actor,
            client=str(client.pk),
            rep=str(rng.choice(reps).pk) if reps else None,
            checkNumber=f"{rng.randint(100000, 999999)}",
            amount=float(rng.choice([150, 420.5, 980, 1250])),
            bank=str(rng.choice(bank_rows).pk),
            accountNumber=f"0{rng.randint(10, 99)}-{rng.randint(100000, 999999)}",
            issueDate=issued.isoformat(),
            dueDate=(issued + dt.timedelta(days=30 * number)).isoformat(),
            notes="Post-dated check" if number > 1 else "",
        )


def _cents(value) -> float:
    from decimal import ROUND_DOWN, Decimal

    return float(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def load_money(*, tenant, rng: random.Random, clients: list, reps: list, actor: dict) -> None:
    from finance.models import Payment
    from finance.serializers import payments, settlements
    from sales.models import Inventory, Warehouse
    from sales.serializers.invoices import InvoiceSerializer

    if Payment.objects.filter(tenant=tenant).exists() or len(clients) < 2 or not reps:
        return
    warehouse = Warehouse.objects.filter(tenant=tenant, name="Amman main").first()
    stocked = (
        Inventory.objects.filter(tenant=tenant, warehouse=warehouse, quantity__gte=20)
        .order_by("variant_id")
        .values_list("variant_id", flat=True)[:3]
        if warehouse
        else []
    )
    if not stocked:
        return
    rep = reps[0]
    first, second = clients[0], clients[1]
    today = dt.datetime.now(dt.UTC).replace(hour=9, minute=0, second=0, microsecond=0)

    def invoice(client, qty, days_ago):
        return _make(
            InvoiceSerializer, tenant, actor, client=str(client.pk), rep=str(rep.pk), warehouse=str(warehouse.pk),
            items=[{"variant": str(v), "qty": qty} for v in stocked[:2]],
            notes=f"Demo invoice, {days_ago} days ago",
        )  # fmt: skip

    a1, a2, a3 = invoice(first, 2, 40), invoice(first, 3, 20), invoice(first, 1, 5)
    b1 = invoice(second, 4, 10)

    def payment(client, amount, **extra):
        return _make(
            payments.PaymentSerializer, tenant, actor, client=str(client.pk), rep=str(rep.pk), amount=amount,
            paymentMethod=extra.pop("method", "cash"), reference=extra.pop("reference"),
            date=today.isoformat(), **extra,
        )  # fmt: skip

    # Pays the first client's oldest invoice in full and the next one in part.
    payment(first, _cents(a1.total + a2.total / 2), reference="RCPT-0001", description="Collected on the route")
    # Pays part of a named invoice.
    payment(second, _cents(b1.total / 4), method="check", reference="RCPT-0002",
            invoices=[{"invoice": str(b1.pk), "amount": _cents(b1.total / 4)}])  # fmt: skip
    # Credit left unconsumed (every open invoice named elsewhere), then matched by a settlement.
    credit = payment(second, _cents(b1.total / 4), reference="RCPT-0003", invoices=[],
                     description="Advance payment")  # fmt: skip
    _make(
        settlements.SettlementSerializer, tenant, actor, client=str(second.pk), rep=str(rep.pk),
        invoices=[{"invoice": str(b1.pk), "amount": float(credit.amount)}],
        payments=[{"payment": str(credit.pk), "amount": float(credit.amount)}],
        notes="Advance applied to the invoice",
    )  # fmt: skip
    payment(first, 25.0, method="bank_transfer", reference="RCPT-0004", invoices=[], description="Unallocated credit")
    _make(
        settlements.AccountAdjustmentSerializer, tenant, actor, client=str(first.pk), rep=str(rep.pk),
        type="credit", amount=5.0, reason="Damaged goods goodwill", reference="ADJ-0001",
    )  # fmt: skip
    del a3  # still open: the first client owes it

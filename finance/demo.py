"""Demo finance rows for tenant `demo` (called by core/demo.py): payment terms (some clients on
them), banks, a bank list and a few checks. Written through the resource serializers, so the
rules (discount_days ≤ days, unique bank names, one check number per bank) apply as through the
API. Skipped once the tenant has payment terms."""

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
    from finance import demo_contracts  # a contract with installments, refunds (skipped once loaded)

    demo_contracts.load(tenant=tenant, rng=rng, clients=clients, reps=reps, actor=actor)
    if PaymentTerm.objects.filter(tenant=tenant).exists():
        return
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

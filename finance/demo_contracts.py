"""Demo contracts and refunds for tenant `demo` (called by finance/demo.py): a maintenance
contract of four monthly installments (the first paid through the /pay service, the second
overdue, two to come) and two refunds (one processed, one pending). Written through the
serializers and services, so the rules apply as through the API. Skipped once the tenant has a
contract."""

import datetime as dt
from decimal import Decimal

from finance.models import Contract
from finance.serializers import contracts, refunds
from finance.services import installment_payments
from finance.services import refunds as refund_services


def _make(serializer_class, tenant, actor, **data):
    serializer = serializer_class(data=data, context={"tenant": tenant, "actor": actor})
    serializer.is_valid(raise_exception=True)
    return serializer.save()


def load(*, tenant, rng, clients: list, reps: list, actor: dict) -> None:
    if not clients or Contract.objects.filter(tenant=tenant).exists():
        return
    today = dt.date.today()
    client = clients[0]
    start = today - dt.timedelta(days=75)
    contract = _make(
        contracts.ContractSerializer,
        tenant,
        actor,
        title="Annual maintenance — cold rooms",
        type="maintenance",
        client=str(client.pk),
        startDate=dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC).isoformat(),
        endDate=dt.datetime.combine(start + dt.timedelta(days=365), dt.time.min, tzinfo=dt.UTC).isoformat(),
        totalAmount=1200,
        currency="USD",
        terms="Four monthly installments; a 15 USD late fee after 5 days of grace.",
        installments=[
            {
                "due_date": (today - dt.timedelta(days=45) + dt.timedelta(days=30 * i)).isoformat(),
                "amount": 300,
                "grace_period_days": 5,
                "late_fee": 15,
            }
            for i in range(4)
        ],
    )
    first, _overdue, *_rest = contract.installments.order_by("installment_number")
    installment_payments.pay_installment(
        tenant=tenant,
        installment_id=first.pk,
        payment_date=first.due_date,
        payment_amount=Decimal(300),
        payment_method="bank_transfer",
        payment_reference="TRX-100234",
    )
    processed = _make(
        refunds.RefundSerializer, tenant, actor, client=str(client.pk), amount=45, reason="Service visit cancelled"
    )
    refund_services.transition(refund=processed, status="approved")
    refund_services.transition(refund=processed, status="processed")
    other = clients[1] if len(clients) > 1 else client
    _make(
        refunds.RefundSerializer,
        tenant,
        actor,
        client=str(other.pk),
        rep=str(rng.choice(reps).pk) if reps else None,
        amount=20,
        reason="Damaged crate",
        refundMethod="cash",
    )

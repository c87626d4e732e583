"""Paying a contract installment (`POST /contract-installment/{id}/pay`, the admin's "mark paid").

SEMANTICS' decisions: partial payments are accepted and appended to `payment_history`
(`{date, amount, method, reference, notes, payment}`); `payment_amount` = Σ history; the status
stays pending (shown overdue past the grace period) until the amount due is covered, then
becomes `paid` and `payment_date`/`payment_method`/`payment_reference` are set. A payment past
what is still due is 422 (nothing recorded); paying a paid or cancelled installment is 409.

Amount due = amount − discount_applied, plus `late_fee` when the payment's date (`payment_date`)
is past due_date + grace_period_days: a payment recorded later keeps the date it was received
on. A `payment_date` after today is 422 (a payment is recorded once received).

Every payment is also a finance payment of the contract's client (finance/services/payments.py
`create_payment`: visible in `/payments`, posted to the client's ledger), in the same
transaction. When no installment of the contract is pending any more, the contract completes.

Locks: the contract row, then the installment row (so two payments racing on one installment
run one after the other: the second sees the first's history, and is refused once it is paid),
then the client's account inside create_payment.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from rest_framework.exceptions import NotFound

from core.models import Tenant
from finance.models import Contract, ContractInstallment
from finance.services import contracts
from finance.services.states import unprocessable

Status = ContractInstallment.Status


@transaction.atomic
def pay_installment(
    *,
    tenant: Tenant,
    installment_id,
    payment_date: dt.date,
    payment_amount: Decimal,
    payment_method: str = "",
    payment_reference: str = "",
    notes: str = "",
    rep=None,
    on: dt.date | None = None,
) -> ContractInstallment:
    from finance.services.payments import create_payment

    on = on or contracts.today()
    contract_id = (
        ContractInstallment.objects.filter(tenant=tenant, pk=installment_id)
        .values_list("contract_id", flat=True)
        .first()
    )
    if contract_id is None:
        raise NotFound()
    contract = Contract.objects.select_for_update().get(pk=contract_id)
    row = ContractInstallment.objects.select_for_update().get(pk=installment_id)
    shown = contracts.shown_status(row, on=on)
    if row.status != Status.PENDING:
        raise contracts.INSTALLMENT_STATES.refusal(shown, Status.PAID)
    if payment_amount is None or payment_amount <= 0:
        raise unprocessable("payment_amount", "Must be greater than 0.")
    if payment_date > on:
        raise unprocessable("payment_date", f"Cannot be after today ({on}): record a payment once received.")
    due = contracts.amount_due(row, on=payment_date)
    still_due = due - row.payment_amount
    if payment_amount > still_due:
        raise unprocessable(
            "payment_amount",
            f"{payment_amount} is more than the {still_due} still due on installment {row.installment_number} "
            f"(amount due {due}, paid {row.payment_amount}).",
            code="overpayment",
            still_due=float(still_due),
        )
    if contract.client_id is None:
        raise unprocessable("contract", "The contract has no client to record the payment for.")
    payment = create_payment(
        tenant=tenant,
        data={
            "client": contract.client,
            "rep": rep,
            "amount": payment_amount,
            "paymentMethod": payment_method or "",
            "reference": payment_reference or "",
            "description": f"Installment {row.installment_number} of contract {contract.title or contract.pk}",
            "date": payment_date,
            "invoices": [],
        },
    )
    row.payment_history = [
        *row.payment_history,
        {
            "date": payment_date.isoformat(),
            "amount": float(payment_amount),
            "method": payment_method or "",
            "reference": payment_reference or "",
            "notes": notes or "",
            "payment": str(payment.pk),
        },
    ]
    row.payment_amount += payment_amount
    if row.payment_amount >= due:
        row.status = Status.PAID
        row.payment_date = payment_date
        row.payment_method = payment_method or ""
        row.payment_reference = payment_reference or ""
    row.save()
    contracts._complete_if_done(contract)
    return row

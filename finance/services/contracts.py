"""Contracts and their installments: the schedule, its rules and the two state machines.

Schedule rules (422 naming the field, `installments[i].<field>` for an installment):
* `endDate ≥ startDate`; every installment's `due_date` lies within [startDate, endDate] (the
  days, in UTC) when the contract has them.
* Installments are numbered 1..n in their order (a given `installment_number` must be its
  position); set through the contract (`POST /contract`, `PUT /contract/{id}` with
  `installments[]`) their amounts add up to `totalAmount` exactly. One at a time
  (`POST /contract-installment`) the next number is appended and the schedule may grow up to
  `totalAmount`, never past it; the same bound holds when a PATCH changes an amount or the
  contract's `totalAmount` changes.
* A schedule with money paid on it is not replaced (409); the contract's client does not change
  once money was paid (409).

States (one table per model, finance/services/states.py; a refused transition is a 409 naming
the current and the requested state):
* contract: active → completed | cancelled. `completed` is the server's: set when no installment
  is pending any more and at least one was paid. Cancelling (`PUT {"status": "cancelled"}`)
  cancels the pending installments in the same transaction.
* installment (stored): pending → paid | cancelled; paid and cancelled are final. Shown as
  `overdue` while pending and today > due_date + grace_period_days (computed on read, so the
  list's `status=overdue` filter and `/overdue` always agree). `paid` only comes from `/pay`.

Locks, in this order everywhere: the contract row, then its installment rows (by id), then
(inside create_payment) the client's account, then invoices.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, F, Q, Sum, Value, When
from django.utils import timezone
from rest_framework.exceptions import NotFound

from core.api.exceptions import Conflict
from core.models import Tenant
from finance.models import Contract, ContractInstallment
from finance.services.states import machine, unprocessable

Status = ContractInstallment.Status
OPEN = Status.PENDING  # the one stored state that can still change

CONTRACT_STATES = machine(
    "contract",
    {"active": {"completed", "cancelled"}, "completed": set(), "cancelled": set()},
    server_only={"completed": "A contract completes by itself when every installment is paid."},
)
INSTALLMENT_STATES = machine(
    "installment",
    {"pending": {"paid", "cancelled"}, "overdue": {"paid", "cancelled"}, "paid": set(), "cancelled": set()},
    server_only={"paid": "An installment is paid through POST /contract-installment/{id}/pay."},
)

CONTRACT_FIELDS = ("title", "contract_type", "client", "start_date", "end_date", "total_amount", "currency", "terms")
INSTALLMENT_FIELDS = (
    "due_date", "amount", "currency", "late_fee", "discount_applied", "interest_rate", "grace_period_days",
    "auto_pay_enabled", "notes", "custom_fields", "reminder_sent", "reminder_dates", "integration_meta",
)  # fmt: skip
# What may still change on a paid or cancelled installment (nothing that touches money or dates).
FINAL_EDITABLE = {"notes", "custom_fields", "reminder_sent", "reminder_dates", "integration_meta"}
PUBLIC = {"start_date": "startDate", "end_date": "endDate", "total_amount": "totalAmount", "contract_type": "type"}


def today() -> dt.date:
    return timezone.localdate()


# Reading ---------------------------------------------------------------------------------------
def api_status(*, on: dt.date | None = None):
    """The status as the API shows it, in SQL: `overdue` for a pending installment past its grace."""
    on = on or today()
    return Case(
        When(status=OPEN, overdue_after__lt=on, then=Value(Status.OVERDUE)),
        default=F("status"),
        output_field=CharField(),
    )


def with_api_status(queryset, *, on: dt.date | None = None):
    return queryset.annotate(api_status=api_status(on=on))


def shown_status(installment: ContractInstallment, *, on: dt.date | None = None) -> str:
    if installment.status == OPEN and installment.overdue_after < (on or today()):
        return Status.OVERDUE
    return installment.status


def overdue_installments(*, tenant: Tenant, min_days: int = 0, on: dt.date | None = None):
    """Overdue installments (pending, today past due_date + grace), due at least `min_days` days
    ago, most overdue first. `days_overdue` = today − due_date (the grace days count)."""
    on = on or today()
    return with_api_status(
        ContractInstallment.objects.filter(
            tenant=tenant, status=OPEN, overdue_after__lt=on, due_date__lte=on - dt.timedelta(days=min_days)
        ),
        on=on,
    ).order_by("due_date", "contract_id", "installment_number", "pk")


def days_overdue(installment: ContractInstallment, *, on: dt.date | None = None) -> int:
    return ((on or today()) - installment.due_date).days


def amount_due(installment: ContractInstallment, *, on: dt.date | None = None) -> Decimal:
    """amount − discount_applied, plus late_fee once overdue (today past due_date + grace)."""
    due = installment.amount - installment.discount_applied
    if installment.overdue_after < (on or today()):
        due += installment.late_fee
    return max(due, Decimal("0.01"))


# Schedule rules ----------------------------------------------------------------------------------
def _day(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date() if timezone.is_aware(value) else value.date()
    return value


def period_error(*, start, end, due: dt.date) -> str | None:
    first, last = _day(start), _day(end)
    if first is not None and due < first:
        return f"{due} is before the contract's startDate ({first})."
    if last is not None and due > last:
        return f"{due} is after the contract's endDate ({last})."
    return None


def check_period(*, start, end) -> None:
    if start is not None and end is not None and end < start:
        raise unprocessable("endDate", f"Cannot be before startDate ({start.isoformat()}).")


def check_schedule(*, start, end, total: Decimal, items: list[dict]) -> None:
    """A whole schedule (the contract's `installments[]`): numbered 1..n, inside the period,
    Σ amounts = totalAmount."""
    for i, item in enumerate(items):
        number = item.get("installment_number")
        if number is not None and number != i + 1:
            raise unprocessable(
                f"installments[{i}].installment_number", f"Expected {i + 1}: installments are numbered 1..n in order."
            )
        problem = period_error(start=start, end=end, due=item["due_date"])
        if problem:
            raise unprocessable(f"installments[{i}].due_date", problem)
    if items:
        scheduled = sum((item["amount"] for item in items), Decimal(0))
        if scheduled != total:
            raise unprocessable(
                "installments",
                f"The installments add up to {scheduled}, not the contract's totalAmount ({total}).",
                code="sum_mismatch",
                scheduled=float(scheduled),
                totalAmount=float(total),
            )


def _scheduled(contract: Contract, *, excluding=None) -> Decimal:
    rows = contract.installments.all()
    if excluding is not None:
        rows = rows.exclude(pk=excluding.pk)
    return rows.aggregate(s=Sum("amount"))["s"] or Decimal(0)


def _has_payments(contract: Contract) -> bool:
    return contract.installments.filter(Q(payment_amount__gt=0) | Q(status=Status.PAID)).exists()


def _lock_contract(contract_id) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract_id)


def _make_installments(contract: Contract, items: list[dict]) -> None:
    rows = []
    for number, item in enumerate(items, start=1):
        values = {k: v for k, v in item.items() if k in INSTALLMENT_FIELDS}
        values.setdefault("currency", contract.currency)
        row = ContractInstallment(tenant_id=contract.tenant_id, contract=contract, installment_number=number, **values)
        row.overdue_after = row.due_date + dt.timedelta(days=row.grace_period_days or 0)
        rows.append(row)
    ContractInstallment.objects.bulk_create(rows)


# Contracts -----------------------------------------------------------------------------------
@transaction.atomic
def create_contract(*, tenant: Tenant, data: dict) -> Contract:
    status = data.get("status")
    if status not in (None, "", Contract.Status.ACTIVE):
        raise unprocessable("status", "A contract starts active.", code="invalid_choice")
    items = list(data.get("installments") or [])
    values = {k: v for k, v in data.items() if k in ("id", *CONTRACT_FIELDS, "integration_meta")}
    client = values.get("client")
    if client is not None and client.tenant_id != tenant.pk:
        raise unprocessable("client", f"Not found: {client.pk}.", code="does_not_exist")
    contract = Contract(tenant=tenant, **values)
    check_period(start=contract.start_date, end=contract.end_date)
    check_schedule(start=contract.start_date, end=contract.end_date, total=contract.total_amount, items=items)
    contract.save()
    _make_installments(contract, items)
    return contract


@transaction.atomic
def update_contract(*, contract: Contract, data: dict) -> Contract:
    contract = _lock_contract(contract.pk)
    requested = data.get("status")
    if requested not in (None, "") and requested != contract.status:
        CONTRACT_STATES.check(contract.status, requested, by_client=True)
    values = {k: v for k, v in data.items() if k in (*CONTRACT_FIELDS, "integration_meta")}
    money_fields = {"client", "start_date", "end_date", "total_amount", "currency"}
    changes_money = "installments" in data or any(
        k in values and values[k] != getattr(contract, k) for k in money_fields
    )
    if changes_money and contract.status != Contract.Status.ACTIVE:
        raise Conflict(f"The contract is {contract.status}: its client, period, amount and schedule are final.")
    if "client" in values and values["client"] != contract.client and _has_payments(contract):
        raise Conflict("Money was paid on this contract's installments: its client cannot change.")
    for name, value in values.items():
        setattr(contract, name, value)
    check_period(start=contract.start_date, end=contract.end_date)
    if "installments" in data:
        items = list(data["installments"] or [])
        if _has_payments(contract):
            raise Conflict("Money was paid on this contract's installments: its schedule cannot be replaced.")
        check_schedule(start=contract.start_date, end=contract.end_date, total=contract.total_amount, items=items)
        contract.installments.all().delete()
        _make_installments(contract, items)
    elif changes_money:
        for row in contract.installments.all():
            problem = period_error(start=contract.start_date, end=contract.end_date, due=row.due_date)
            if problem:
                raise unprocessable(PUBLIC["start_date"] if "before" in problem else PUBLIC["end_date"],
                                    f"Installment {row.installment_number} is due {problem}")  # fmt: skip
        scheduled = _scheduled(contract)
        if scheduled > contract.total_amount:
            raise unprocessable("totalAmount", f"The installments already add up to {scheduled}.")
    if requested == Contract.Status.CANCELLED and contract.status != requested:
        contract.status = Contract.Status.CANCELLED
        _cancel_pending(contract)
    contract.save()
    return contract


def _cancel_pending(contract: Contract) -> int:
    rows = list(contract.installments.select_for_update().filter(status=OPEN).order_by("pk"))
    for row in rows:
        row.status = Status.CANCELLED
        row.save(update_fields=["status"])
    return len(rows)


@transaction.atomic
def cancel_contract(*, contract: Contract) -> Contract:
    return update_contract(contract=contract, data={"status": Contract.Status.CANCELLED})


@transaction.atomic
def delete_contract(*, contract: Contract) -> None:
    contract = _lock_contract(contract.pk)
    if _has_payments(contract):
        raise Conflict("Money was paid on this contract's installments: it cannot be deleted (cancel it instead).")
    contract.delete()


def _complete_if_done(contract: Contract) -> None:
    rows = contract.installments.values_list("status", flat=True)
    statuses = set(rows)
    if contract.status == Contract.Status.ACTIVE and Status.PAID in statuses and OPEN not in statuses:
        contract.status = Contract.Status.COMPLETED
        contract.save(update_fields=["status"])


# Installments one at a time ------------------------------------------------------------------
@transaction.atomic
def create_installment(*, tenant: Tenant, data: dict) -> ContractInstallment:
    target = data.get("contract")
    if target is None or target.tenant_id != tenant.pk:
        raise unprocessable("contract", "This field is required." if target is None else f"Not found: {target.pk}.")
    contract = _lock_contract(target.pk)
    if contract.status != Contract.Status.ACTIVE:
        raise Conflict(f"The contract is {contract.status}: no installment can be added.")
    count = contract.installments.count()
    if data.get("installment_number") != count + 1:
        raise unprocessable("installment_number", f"Expected {count + 1}: installments are numbered 1..n.")
    problem = period_error(start=contract.start_date, end=contract.end_date, due=data["due_date"])
    if problem:
        raise unprocessable("due_date", problem)
    scheduled = _scheduled(contract)
    if scheduled + data["amount"] > contract.total_amount:
        raise unprocessable(
            "amount",
            f"The schedule would add up to {scheduled + data['amount']}, past the contract's totalAmount "
            f"({contract.total_amount}).",
        )
    values = {k: v for k, v in data.items() if k in ("id", *INSTALLMENT_FIELDS)}
    values.setdefault("currency", contract.currency)
    row = ContractInstallment(tenant=tenant, contract=contract, installment_number=count + 1, **values)
    row.save()
    return row


@transaction.atomic
def update_installment(*, installment: ContractInstallment, data: dict) -> ContractInstallment:
    contract = _lock_contract(installment.contract_id)
    row = ContractInstallment.objects.select_for_update().get(pk=installment.pk)
    shown = shown_status(row)
    requested = data.get("status")
    if requested not in (None, "") and requested != shown:
        INSTALLMENT_STATES.check(shown, requested, by_client=True)
    values = {k: v for k, v in data.items() if k in INSTALLMENT_FIELDS}
    final = row.status != OPEN or requested == Status.CANCELLED
    changed = {k for k, v in values.items() if v != getattr(row, k)}
    if row.status != OPEN and changed - FINAL_EDITABLE:
        fields = ", ".join(sorted(changed - FINAL_EDITABLE))
        message = f"The installment is {shown}: {fields} cannot change (only {', '.join(sorted(FINAL_EDITABLE))} may)."
        raise Conflict(message, details=[{"path": "status", "message": message, "code": "final", "current": shown}])
    if "due_date" in changed:
        problem = period_error(start=contract.start_date, end=contract.end_date, due=values["due_date"])
        if problem:
            raise unprocessable("due_date", problem)
    if "amount" in changed:
        if values["amount"] < row.payment_amount:
            raise unprocessable("amount", f"{row.payment_amount} was already paid on this installment.")
        scheduled = _scheduled(contract, excluding=row) + values["amount"]
        if scheduled > contract.total_amount:
            raise unprocessable(
                "amount", f"The schedule would add up to {scheduled}, past totalAmount ({contract.total_amount})."
            )
    for name, value in values.items():
        setattr(row, name, value)
    if requested == Status.CANCELLED and row.status == OPEN:
        row.status = Status.CANCELLED
    row.save()
    if final:
        _complete_if_done(contract)
    return row


@transaction.atomic
def delete_installment(*, installment: ContractInstallment) -> None:
    contract = _lock_contract(installment.contract_id)
    row = ContractInstallment.objects.select_for_update().get(pk=installment.pk)
    if row.status != OPEN or row.payment_amount > 0:
        raise Conflict(f"Installment {row.installment_number} is {shown_status(row)} or has payments: it stays.")
    last = contract.installments.order_by("-installment_number").values_list("installment_number", flat=True)[0]
    if row.installment_number != last:
        raise Conflict(
            f"Only the last installment ({last}) can be deleted: the numbers stay 1..n. Cancel this one instead."
        )
    row.delete()


def get_installment(*, tenant: Tenant, installment_id) -> ContractInstallment:
    row = ContractInstallment.objects.filter(tenant=tenant, pk=installment_id).first()
    if row is None:
        raise NotFound()
    return row

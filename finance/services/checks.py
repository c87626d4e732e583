"""Checks clients hand over (`/checks`).

* Immutable once created: the API has no update or delete (405), the admin shows a check
  read-only; `status` starts `pending` and `clearedDate` empty.
* Unique per (tenant, bank, check number): a second check with the same number on the same bank
  is a 409 naming the existing check's `_id` (also when two creates race: the database's unique
  constraint decides, and the loser gets the same 409).
* `client`, `rep` and `bank` are the tenant's rows (the serializer resolves them in the
  tenant; checked again here for the admin and imports). `amount > 0`; `dueDate` is not
  before `issueDate`.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from core.models import Tenant
from finance.models import Check

WRITABLE = (
    "id", "client", "rep", "check_number", "amount", "bank", "account_number", "issue_date", "due_date", "notes",
    "integration_meta",
)  # fmt: skip
REQUIRED = ("client", "check_number", "amount", "bank", "due_date")
# Public names, for the messages (the API's field names).
PUBLIC = {"check_number": "checkNumber", "due_date": "dueDate", "issue_date": "issueDate"}


def find_duplicate(*, tenant: Tenant, bank_id, check_number: str) -> Check | None:
    return Check.objects.filter(tenant=tenant, bank_id=bank_id, check_number=check_number).first()


def duplicate_conflict(existing: Check) -> Conflict:
    message = (
        f"Check number '{existing.check_number}' of this bank is already recorded ({existing.pk}); "
        "a check number is unique per bank."
    )
    return Conflict(
        message, details=[{"path": "checkNumber", "message": message, "code": "unique", "_id": str(existing.pk)}]
    )


def check_errors(*, tenant: Tenant, data: dict) -> dict[str, str]:
    """The problems of a new check's values, by public field name (API, admin and imports)."""
    errors = {}
    for name in REQUIRED:
        if data.get(name) in (None, ""):
            errors[PUBLIC.get(name, name)] = "This field is required."
    if isinstance(data.get("check_number"), str) and not data["check_number"].strip():
        errors["checkNumber"] = "This field may not be blank."
    amount = data.get("amount")
    if amount is not None and Decimal(amount) <= 0:
        errors["amount"] = "Must be greater than 0."
    for name in ("client", "rep", "bank"):
        target = data.get(name)
        if target is not None and target.tenant_id != getattr(tenant, "pk", tenant):
            errors[name] = f"Not found: {target.pk}."
    issue, due = data.get("issue_date"), data.get("due_date")
    if issue is not None and due is not None and due < issue:
        errors["dueDate"] = "Cannot be before issueDate."
    return errors


@transaction.atomic
def create_check(*, tenant: Tenant, data: dict) -> Check:
    data = {name: value for name, value in data.items() if name in WRITABLE}
    if isinstance(data.get("check_number"), str):
        data["check_number"] = data["check_number"].strip()
    errors = check_errors(tenant=tenant, data=data)
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})
    existing = find_duplicate(tenant=tenant, bank_id=data["bank"].pk, check_number=data["check_number"])
    if existing is not None:
        raise duplicate_conflict(existing)
    check = Check(tenant=tenant, **data)
    try:
        with transaction.atomic():
            check.save()
    except IntegrityError:  # a concurrent create took the number meanwhile
        existing = find_duplicate(tenant=tenant, bank_id=check.bank_id, check_number=check.check_number)
        if existing is None:
            raise
        raise duplicate_conflict(existing) from None
    return check

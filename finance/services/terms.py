"""Payment terms: the days a client has to pay, and the early-payment discount.

* `discount_days ≤ days` (a discount cannot last longer than the term itself): a create or an
  update that breaks it is a 422 naming `discount_days`. An update is checked against the stored
  values of the fields it does not send, under the row's lock.
* A term that clients still name (`client.paymentTerm`) cannot be deleted (409 naming how
  many): their invoices' due dates would silently stop following it.
* `due_date_for` is what invoices call for their default `dueDate`: the issue date plus the
  days of the client's term; None when the client has no term or names an unknown one.
"""

import datetime as dt
import uuid

from django.apps import apps
from django.db import transaction
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict, Unprocessable
from core.ids import parse_uuid
from core.models import Tenant
from finance.models import PaymentTerm
from finance.models.terms import MAX_TERM_DAYS

EDITABLE = ("name", "description", "days", "discount_percentage", "discount_days", "is_active", "integration_meta")


def unprocessable(path: str, message: str, code: str = "unprocessable") -> Unprocessable:
    """A 422 naming the field at fault, in the error body's `details` too."""
    error = Unprocessable(f"{path}: {message}" if path else message)
    error.details = [{"path": path, "message": message, "code": code}]
    return error


def discount_days_error(*, days: int, discount_days: int) -> str | None:
    """Why this pair may not be stored (None when it may); shared by the API, admin and imports."""
    if discount_days > days:
        return (
            f"discount_days ({discount_days}) cannot exceed days ({days}): the early-payment discount "
            "lasts at most as long as the term."
        )
    return None


def _check_values(data: dict) -> None:
    errors = {}
    for name in ("days", "discount_days"):
        if name in data and not 0 <= data[name] <= MAX_TERM_DAYS:
            errors[name] = [f"Expected an integer from 0 to {MAX_TERM_DAYS}."]
    if "discount_percentage" in data and not 0 <= data["discount_percentage"] <= 100:
        errors["discount_percentage"] = ["Expected a number from 0 to 100."]
    if "name" in data and not str(data["name"]).strip():
        errors["name"] = ["This field may not be blank."]
    if errors:
        raise ValidationError(errors)


def _check_discount(*, days: int, discount_days: int) -> None:
    error = discount_days_error(days=days, discount_days=discount_days)
    if error:
        raise unprocessable("discount_days", error, "discount_days_exceed_days")


@transaction.atomic
def create_term(*, tenant: Tenant, data: dict) -> PaymentTerm:
    """A new term. `id` may be given (imports choose the id before writing)."""
    data = {name: value for name, value in data.items() if name in (*EDITABLE, "id")}
    if not data.get("name"):
        raise ValidationError({"name": ["This field is required."]})
    _check_values(data)
    term = PaymentTerm(tenant=tenant, **data)
    _check_discount(days=term.days, discount_days=term.discount_days)
    term.save()
    return term


@transaction.atomic
def update_term(*, term: PaymentTerm, data: dict) -> PaymentTerm:
    """A partial update; `discount_days ≤ days` is checked with the stored value of whichever of
    the two the body leaves out."""
    data = {name: value for name, value in data.items() if name in EDITABLE}
    _check_values(data)
    locked = PaymentTerm.objects.select_for_update().get(pk=term.pk)
    for name, value in data.items():
        setattr(locked, name, value)
    _check_discount(days=locked.days, discount_days=locked.discount_days)
    locked.save()
    return locked


def clients_naming(term: PaymentTerm):
    Client = apps.get_model("clients", "Client")
    return Client.objects.filter(tenant_id=term.tenant_id, payment_term=str(term.pk))


@transaction.atomic
def delete_term(*, term: PaymentTerm) -> None:
    from core import services as core_services

    locked = PaymentTerm.objects.select_for_update().get(pk=term.pk)
    count = clients_naming(locked).count()
    if count:
        noun = "client names" if count == 1 else "clients name"
        raise Conflict(f"Cannot delete this payment term: {count} {noun} it as their paymentTerm.")
    core_services.delete_row(instance=locked)


def due_date_for(*, tenant: Tenant, client, issued_on: dt.date) -> dt.date | None:
    """The due date of an invoice issued on `issued_on` for `client` (a Client or its id): the
    issue date plus the days of the client's payment term (an inactive term still applies to
    the clients that name it). None when the client is not the tenant's, has no term, or names
    a term the tenant does not have."""
    if isinstance(issued_on, dt.datetime):
        issued_on = issued_on.date()
    tenant_pk = getattr(tenant, "pk", tenant)
    if isinstance(client, (str, uuid.UUID)):
        client_pk = parse_uuid(str(client))
        if client_pk is None:
            return None
        Client = apps.get_model("clients", "Client")
        term_id = (
            Client.objects.filter(tenant_id=tenant_pk, pk=client_pk).values_list("payment_term", flat=True).first()
        )
    else:
        if client is None or client.tenant_id != tenant_pk:
            return None
        term_id = client.payment_term
    term_pk = parse_uuid(term_id) if term_id else None
    if term_pk is None:
        return None
    days = PaymentTerm.objects.filter(tenant_id=tenant_pk, pk=term_pk).values_list("days", flat=True).first()
    if days is None:
        return None
    return issued_on + dt.timedelta(days=days)

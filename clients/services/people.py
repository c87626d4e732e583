"""Rules of the client master data around the client: contacts, locations, the mail
suppression list. The API serializers, the admin and import commands all write through here.

Channels, specialities and tags have no rule of their own (the generic `core.services` rows):
deleting a channel a client uses is refused (PROTECT, 409); deleting a speciality, tag or
contact drops it from every client's list (many-to-many rows go with it).
"""

import math
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from clients.models import Client, ClientContact, ClientLocation, MailUnsubscribe
from core import services as core_services
from core.api.exceptions import Conflict
from core.models import Tenant

# Nested objects of a location ---------------------------------------------------------------
# Each check returns {path: message} ("" = the value itself), empty when the value is valid,
# so the API can answer 422 with `business_hours.monday.open` and the admin form can show it.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOUR_MINUTE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _unknown_keys(value: dict, allowed) -> dict:
    return {str(key): f"Unknown key; allowed: {', '.join(allowed)}." for key in value if key not in allowed}


def coordinates_errors(value) -> dict[str, str]:
    """`{latitude: -90..90, longitude: -180..180}`, both numbers, both present."""
    if not isinstance(value, dict):
        return {"": "Expected an object {latitude, longitude}."}
    errors = _unknown_keys(value, ("latitude", "longitude"))
    for key, bound in (("latitude", 90), ("longitude", 180)):
        if key not in value:
            errors[key] = "This field is required."
        elif not _is_number(value[key]):
            errors[key] = "Expected a number."
        elif not -bound <= value[key] <= bound:
            errors[key] = f"Must be between -{bound} and {bound}."
    return errors


def contact_info_errors(value) -> dict[str, str]:
    """`{phone, email, fax}`, all optional strings; a non-empty email must be valid."""
    if not isinstance(value, dict):
        return {"": "Expected an object {phone, email, fax}."}
    errors = _unknown_keys(value, ("phone", "email", "fax"))
    for key in ("phone", "email", "fax"):
        if key in value and value[key] is not None and not isinstance(value[key], str):
            errors[key] = "Expected a string."
    email = value.get("email")
    if isinstance(email, str) and email.strip():
        try:
            validate_email(email.strip())
        except DjangoValidationError:
            errors["email"] = "Enter a valid email address."
    return errors


def business_hours_errors(value) -> dict[str, str]:
    """Keys are weekdays (monday..sunday, any subset); each day is `{open: "HH:MM", close:
    "HH:MM", is_closed: bool}`. An open day needs both times and `open < close`; a closed day
    may omit them (times given anyway must still be well formed)."""
    if not isinstance(value, dict):
        return {"": "Expected an object keyed by weekday."}
    errors = _unknown_keys(value, WEEKDAYS)
    for day in WEEKDAYS:
        if day not in value:
            continue
        hours = value[day]
        if not isinstance(hours, dict):
            errors[day] = "Expected an object {open, close, is_closed}."
            continue
        errors.update({f"{day}.{k}": m for k, m in _unknown_keys(hours, ("open", "close", "is_closed")).items()})
        is_closed = hours.get("is_closed", False)
        if not isinstance(is_closed, bool):
            errors[f"{day}.is_closed"] = "Expected true or false."
            continue
        times = {}
        for key in ("open", "close"):
            raw = hours.get(key)
            if raw is None:
                if not is_closed:
                    errors[f"{day}.{key}"] = "Required unless is_closed is true."
            elif not isinstance(raw, str) or not HOUR_MINUTE.match(raw):
                errors[f"{day}.{key}"] = 'Expected a time "HH:MM" (00:00 to 23:59).'
            else:
                times[key] = raw
        if not is_closed and len(times) == 2 and times["open"] >= times["close"]:
            errors[f"{day}.close"] = "Must be later than open."
    return errors


LOCATION_OBJECT_CHECKS = {
    "coordinates": coordinates_errors,
    "contact_info": contact_info_errors,
    "business_hours": business_hours_errors,
}


# Client contacts -------------------------------------------------------------------------------
@transaction.atomic
def save_client_contact(*, contact: ClientContact, actor: dict | None) -> ClientContact:
    """Save a contact, recording who did it: `creator` on the first save, `editor` after.
    Neither is ever taken from the client's input."""
    if contact._state.adding:
        contact.creator = actor or {}
    else:
        contact.editor = actor
    contact.save()
    return contact


def create_client_contact(*, tenant: Tenant, data: dict, actor: dict | None) -> ClientContact:
    return save_client_contact(contact=ClientContact(tenant=tenant, **data), actor=actor)


def update_client_contact(*, contact: ClientContact, data: dict, actor: dict | None) -> ClientContact:
    for name, value in data.items():
        setattr(contact, name, value)
    return save_client_contact(contact=contact, actor=actor)


# Client locations ------------------------------------------------------------------------------
@transaction.atomic
def save_client_location(*, location: ClientLocation) -> ClientLocation:
    """Save a location keeping at most one primary location per client.

    Saving a location with `is_primary=True` unsets the client's previous primary in the same
    transaction (the client row is locked first, so two concurrent "make primary" calls queue
    instead of colliding on the partial unique constraint). Unsetting or deleting the primary
    promotes none: the client simply has no primary location until one is marked again.
    """
    list(Client.objects.select_for_update().filter(pk=location.client_id).values_list("pk", flat=True))
    if location.is_primary:
        others = ClientLocation.objects.filter(client_id=location.client_id, is_primary=True)
        if not location._state.adding:
            others = others.exclude(pk=location.pk)
        core_services.bump_versions(others, is_primary=False)
    location.save()
    return location


def create_client_location(*, tenant: Tenant, data: dict) -> ClientLocation:
    return save_client_location(location=ClientLocation(tenant=tenant, **data))


def update_client_location(*, location: ClientLocation, data: dict) -> ClientLocation:
    for name, value in data.items():
        setattr(location, name, value)
    return save_client_location(location=location)


# Mail suppression list -------------------------------------------------------------------------
DEFAULT_UNSUBSCRIBE_TYPES = ["all"]


def normalise_email(email: str) -> str:
    """How addresses are stored and looked up: trimmed, lower case."""
    return email.strip().lower()


def find_unsubscribe(*, tenant: Tenant, email: str, unsubscribe_type: str | None = None) -> MailUnsubscribe | None:
    """The suppression row that stops mail to `email` (of `unsubscribe_type`, if given: a row
    of type `all` covers every type), or None when the address may be mailed."""
    row = MailUnsubscribe.objects.filter(tenant=tenant, email=normalise_email(email)).first()
    if row is None or unsubscribe_type is None:
        return row
    types = row.unsubscribe_types or DEFAULT_UNSUBSCRIBE_TYPES
    return row if "all" in types or unsubscribe_type in types else None


@transaction.atomic
def save_mail_unsubscribe(*, row: MailUnsubscribe) -> MailUnsubscribe:
    """Store an address on the suppression list: normalised, once per tenant (a second entry
    for the same address, in any case or spacing, is a 409 naming it), types default `all`."""
    row.email = normalise_email(row.email)
    if not row.unsubscribe_types:
        row.unsubscribe_types = list(DEFAULT_UNSUBSCRIBE_TYPES)
    taken = MailUnsubscribe.objects.filter(tenant_id=row.tenant_id, email=row.email)
    if not row._state.adding:
        taken = taken.exclude(pk=row.pk)
    conflict = Conflict(f"{row.email} is already on the unsubscribe list.")
    if taken.exists():
        raise conflict
    try:
        with transaction.atomic():  # a concurrent insert of the same address lands here
            row.save()
    except IntegrityError:
        raise conflict
    return row


def create_mail_unsubscribe(*, tenant: Tenant, data: dict) -> MailUnsubscribe:
    return save_mail_unsubscribe(row=MailUnsubscribe(tenant=tenant, **data))

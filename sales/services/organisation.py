"""Rules of the sales organisation: reps, teams, routes, warehouses, suppliers and reason lists.
The API serializers and the admin both write through here.

* Rep: the password is stored as a Django hash (`make_password`) and never returned; an update
  without a password keeps the old hash. Email and username are unique per tenant, compared
  case-insensitively (409 naming the field). `permissions` always holds the four documented
  flags and `settings` its one key, so every rep renders the same shape.
* Team: its members are the reps pointing at it; `admins` are the members whose role is
  "admin" (case-insensitive).
* Route: `clients[]` are RouteClient rows in the list's order. A client appears once per
  route, priorities are distinct integers ≥ 0; missing priorities are numbered after the
  highest given one, in list order (all missing: 1..n).
* Warehouse `location` is a GeoJSON point, `[lng, lat]` within range.
* Deleting a row that others reference is refused (409) naming what references it.
"""

import math
from collections.abc import Iterable

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import ProtectedError
from rest_framework.exceptions import ValidationError

from core import services as core_services
from core.api.exceptions import Conflict
from core.models import Tenant
from sales.models import Rep, Route, RouteClient, Warehouse

# Reps ------------------------------------------------------------------------------------------
# The body documents two flags, the response four; all four are accepted (a client may PUT back
# the document it read).
REP_PERMISSION_FLAGS = ("rep_can_add_calendar", "rep_can_add_client", "rep_can_edit_calendar", "rep_can_edit_client")
REP_SETTINGS_DEFAULTS = {"allowable_accuracy": None}
TEAM_ADMIN_ROLE = "admin"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _unknown_keys(value: dict, allowed) -> dict[str, str]:
    return {str(key): f"Unknown key; allowed: {', '.join(allowed)}." for key in value if key not in allowed}


def rep_permissions_errors(value) -> dict[str, str]:
    """`{rep_can_add_client, rep_can_edit_client, ...}`: known flags only, each true or false."""
    if not isinstance(value, dict):
        return {"": "Expected an object of permission flags."}
    errors = _unknown_keys(value, REP_PERMISSION_FLAGS)
    for key in REP_PERMISSION_FLAGS:
        if key in value and not isinstance(value[key], bool):
            errors[key] = "Expected true or false."
    return errors


def rep_settings_errors(value) -> dict[str, str]:
    """`{allowable_accuracy}`: a number of metres ≥ 0, or null for no limit."""
    if not isinstance(value, dict):
        return {"": "Expected an object {allowable_accuracy}."}
    errors = _unknown_keys(value, tuple(REP_SETTINGS_DEFAULTS))
    accuracy = value.get("allowable_accuracy")
    if accuracy is not None and (not _is_number(accuracy) or accuracy < 0):
        errors["allowable_accuracy"] = "Expected a number ≥ 0 (or null)."
    return errors


def rep_identity_conflicts(*, tenant: Tenant, email: str, username: str, exclude_pk=None) -> dict[str, str]:
    """Which of email / username another rep of the tenant already uses: {field: message}."""
    others = Rep.objects.filter(tenant=tenant)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    conflicts = {}
    if email and others.filter(email__iexact=email).exists():
        conflicts["email"] = f"A rep with email '{email}' already exists."
    if username and others.filter(username__iexact=username).exists():
        conflicts["username"] = f"A rep with username '{username}' already exists."
    return conflicts


def _raise_object_errors(field: str, errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({field: {path or "non_field_errors": [message] for path, message in errors.items()}})


@transaction.atomic
def save_rep(*, rep: Rep, password: str | None = None) -> Rep:
    """Save a rep built or changed by the caller: checks the rules, hashes a new password (None
    keeps the stored hash), completes `permissions`/`settings` to their documented keys."""
    _raise_object_errors("permissions", rep_permissions_errors(rep.permissions))
    _raise_object_errors("settings", rep_settings_errors(rep.settings))
    if rep.team_id is not None and rep.team.tenant_id != rep.tenant_id:
        raise ValidationError({"team_id": [f"Not found: {rep.team_id}."]})
    rep.email = rep.email.strip()
    rep.username = rep.username.strip()
    conflicts = rep_identity_conflicts(
        tenant=rep.tenant, email=rep.email, username=rep.username, exclude_pk=None if rep._state.adding else rep.pk
    )
    if conflicts:
        raise Conflict(conflicts)
    if password is not None:
        if not password:
            raise ValidationError({"password": ["This field may not be blank."]})
        rep.password = make_password(password)
    if not rep.password:
        raise ValidationError({"password": ["This field is required."]})
    rep.permissions = {key: bool(rep.permissions.get(key, False)) for key in REP_PERMISSION_FLAGS}
    rep.settings = {**REP_SETTINGS_DEFAULTS, **rep.settings}
    rep.save()
    return rep


@transaction.atomic
def create_rep(*, tenant: Tenant, data: dict, password_optional: bool = False) -> Rep:
    """`password_optional` (data imports: no export carries a rep's password) creates a rep
    without one as a rep that cannot sign in until staff set a password."""
    data = dict(data)
    password = data.pop("password", None)
    if password is None:
        if not password_optional:
            raise ValidationError({"password": ["This field is required."]})
        rep = Rep(tenant=tenant, password=make_password(None), **data)  # unusable ("!…")
        return save_rep(rep=rep)
    return save_rep(rep=Rep(tenant=tenant, **data), password=password)


@transaction.atomic
def update_rep(*, rep: Rep, data: dict) -> Rep:
    """A partial update. `permissions` and `settings` merge into the stored objects."""
    data = dict(data)
    password = data.pop("password", None)
    for name in ("permissions", "settings"):
        if name in data and isinstance(data[name], dict):
            data[name] = {**getattr(rep, name), **data[name]}
    for name, value in data.items():
        setattr(rep, name, value)
    return save_rep(rep=rep, password=password)


# Teams -----------------------------------------------------------------------------------------
def team_members(*, tenant: Tenant, team_id) -> dict[str, list[dict]]:
    """`{admins, reps}` of `GET /team/{id}`: every member in `reps`, the members whose role is
    "admin" also in `admins`, each as `{_id, name, email, username}`, ordered by name."""
    rows = (
        Rep.objects.filter(tenant=tenant, team_id=team_id)
        .order_by("name", "pk")
        .values("pk", "name", "email", "username", "role")
    )
    reps, admins = [], []
    for row in rows:
        member = {"_id": str(row["pk"]), "name": row["name"], "email": row["email"], "username": row["username"]}
        reps.append(member)
        if row["role"].strip().lower() == TEAM_ADMIN_ROLE:
            admins.append(member)
    return {"admins": admins, "reps": reps}


# Routes ----------------------------------------------------------------------------------------
def route_clients_errors(entries: list[dict], *, tenant_id=None) -> dict[tuple[int, str], str]:
    """Problems of a route's client list `[{client, priority}]`, keyed by (index, field)
    (`(2, "client_id")` is `clients[2].client_id`). `priority` may be None (numbered later)."""
    errors: dict[tuple[int, str], str] = {}
    seen_clients: dict = {}
    seen_priorities: dict = {}
    for i, entry in enumerate(entries):
        client = entry.get("client")
        if client is None:
            errors[i, "client_id"] = "This field is required."
        elif tenant_id is not None and client.tenant_id != tenant_id:
            errors[i, "client_id"] = f"Not found: {client.pk}."
        elif client.pk in seen_clients:
            errors[i, "client_id"] = f"Duplicate: client {client.pk} is already at clients[{seen_clients[client.pk]}]."
        else:
            seen_clients[client.pk] = i
        priority = entry.get("priority")
        if priority is None:
            continue
        if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
            errors[i, "priority"] = "Expected an integer ≥ 0."
        elif priority in seen_priorities:
            errors[i, "priority"] = (
                f"Duplicate: priority {priority} is already at clients[{seen_priorities[priority]}]."
            )
        else:
            seen_priorities[priority] = i
    return errors


def route_clients_error_detail(errors: dict[tuple[int, str], str]) -> dict:
    """The errors nested as DRF reports them: `{2: {"client_id": [...]}}` (→ clients[2].client_id)."""
    detail: dict = {}
    for (i, name), message in sorted(errors.items()):
        detail.setdefault(i, {})[name] = [message]
    return detail


def number_priorities(entries: list[dict]) -> list[int]:
    """Each entry's priority: the given one, or the next after the highest given, in list order."""
    given = [e["priority"] for e in entries if e.get("priority") is not None]
    following = max(given, default=0) + 1
    out = []
    for entry in entries:
        if entry.get("priority") is None:
            out.append(following)
            following += 1
        else:
            out.append(entry["priority"])
    return out


@transaction.atomic
def set_route_clients(*, route: Route, entries: list[dict]) -> None:
    """Replace the route's client list by `entries` ([{client, priority}], in visiting list order)."""
    errors = route_clients_errors(entries, tenant_id=route.tenant_id)
    if errors:
        raise ValidationError({"clients": route_clients_error_detail(errors)})
    RouteClient.objects.filter(route=route).delete()
    RouteClient.objects.bulk_create(
        RouteClient(route=route, client=entry["client"], priority=priority, position=position)
        for position, (entry, priority) in enumerate(zip(entries, number_priorities(entries), strict=True))
    )
    getattr(route, "_prefetched_objects_cache", {}).pop("stops", None)  # a prefetch read before is stale now


def route_clients(route: Route) -> list[dict]:
    """The documented `clients` of a route: `[{client_id, priority}]` in list order (uses a
    prefetch of `stops` when there is one)."""
    stops = sorted(route.stops.all(), key=lambda stop: stop.position)
    return [{"client_id": str(stop.client_id), "priority": stop.priority} for stop in stops]


@transaction.atomic
def create_route(*, tenant: Tenant, data: dict) -> Route:
    data = dict(data)
    entries = data.pop("clients", None)
    _check_route_rep(tenant.pk, data.get("rep"))
    route = core_services.create_row(model=Route, tenant=tenant, data=data)
    if entries:
        set_route_clients(route=route, entries=entries)
    return route


@transaction.atomic
def update_route(*, route: Route, data: dict) -> Route:
    """A partial update; `clients`, when given, replaces the whole list."""
    data = dict(data)
    entries = data.pop("clients", None)
    if "rep" in data:
        _check_route_rep(route.tenant_id, data["rep"])
    route = core_services.update_row(instance=route, data=data)
    if entries is not None:
        set_route_clients(route=route, entries=entries)
    return route


def _check_route_rep(tenant_id, rep) -> None:
    if rep is not None and rep.tenant_id != tenant_id:
        raise ValidationError({"rep_id": [f"Not found: {rep.pk}."]})


# Warehouses ------------------------------------------------------------------------------------
def location_errors(value) -> dict[str, str]:
    """A GeoJSON point: `{type: "Point", coordinates: [lng (−180..180), lat (−90..90)]}`."""
    if not isinstance(value, dict):
        return {"": 'Expected an object {type: "Point", coordinates: [lng, lat]}.'}
    errors = _unknown_keys(value, ("type", "coordinates"))
    if value.get("type", "Point") != "Point":
        errors["type"] = 'Expected "Point".'
    coordinates = value.get("coordinates")
    if coordinates is None:
        errors["coordinates"] = "This field is required."
    elif not isinstance(coordinates, list) or len(coordinates) != 2 or not all(map(_is_number, coordinates)):
        errors["coordinates"] = "Expected [longitude, latitude] (two numbers)."
    else:
        lng, lat = coordinates
        if not -180 <= lng <= 180:
            errors["coordinates[0]"] = "Longitude must be between -180 and 180."
        if not -90 <= lat <= 90:
            errors["coordinates[1]"] = "Latitude must be between -90 and 90."
    return errors


def normalise_location(value: dict | None) -> dict | None:
    if value is None:
        return None
    return {"type": "Point", "coordinates": list(value["coordinates"])}


@transaction.atomic
def save_warehouse(*, warehouse: Warehouse) -> Warehouse:
    """Save a warehouse built or changed by the caller, its location checked and normalised."""
    if warehouse.location is not None:
        _raise_object_errors("location", location_errors(warehouse.location))
        warehouse.location = normalise_location(warehouse.location)
    warehouse.save()
    return warehouse


@transaction.atomic
def create_warehouse(*, tenant: Tenant, data: dict) -> Warehouse:
    return save_warehouse(warehouse=Warehouse(tenant=tenant, **data))


@transaction.atomic
def update_warehouse(*, warehouse: Warehouse, data: dict) -> Warehouse:
    for name, value in data.items():
        setattr(warehouse, name, value)
    return save_warehouse(warehouse=warehouse)


# Deletes ---------------------------------------------------------------------------------------
def _referenced_by(exc: ProtectedError, limit: int = 5) -> str:
    """`2 route (North, South)`, per referencing kind, naming a few rows of each."""
    # The collector loads the referencing rows with their pk only: their names come in one
    # query per kind (not one per row), and a row deleted meanwhile is shown by its id.
    pks_by_model: dict = {}
    for obj in exc.protected_objects:
        pks_by_model.setdefault(type(obj), []).append(obj.pk)
    by_kind: dict[str, list[str]] = {}
    for model, pks in pks_by_model.items():
        names = {}
        if any(field.name == "name" for field in model._meta.concrete_fields):
            names = dict(model._base_manager.filter(pk__in=pks).values_list("pk", "name"))
        by_kind[str(model._meta.verbose_name)] = [str(names.get(pk) or pk) for pk in pks]
    parts = []
    for kind, names in sorted(by_kind.items()):
        shown = ", ".join(sorted(names)[:limit]) + (", ..." if len(names) > limit else "")
        parts.append(f"{len(names)} {kind} ({shown})")
    return "; ".join(parts)


@transaction.atomic
def delete_row(*, instance: models.Model) -> None:
    """Delete one row; a row others reference is a 409 naming them."""
    try:
        core_services.delete_row(instance=instance)
    except ProtectedError as exc:
        label = type(instance)._meta.verbose_name
        raise Conflict(f"Cannot delete {label} '{instance}': still referenced by {_referenced_by(exc)}.") from exc


@transaction.atomic
def delete_rows(*, model: type[models.Model], tenant: Tenant, ids: Iterable) -> int:
    """Bulk delete, all or nothing (unknown ids 404); referenced rows are a 409 naming them."""
    try:
        return core_services.delete_rows(model=model, tenant=tenant, ids=ids)
    except ProtectedError as exc:
        label = model._meta.verbose_name_plural
        raise Conflict(f"Cannot delete these {label}: still referenced by {_referenced_by(exc)}.") from exc

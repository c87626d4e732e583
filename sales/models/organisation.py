"""The sales organisation: reps, teams, routes, warehouses, suppliers and reason lists.

Rules (hashing, uniqueness with a 409, route orderings) live in sales/services/organisation.py;
the constraints here are the database's last word when two writes race.
"""

from django.contrib.auth.hashers import check_password
from django.db import models
from django.db.models.functions import Lower

from core.models import TenantModel
from core.uniqueness import unique_name


class Team(TenantModel):
    """A group of reps. Its members are the reps whose `team` is this team."""

    name = models.CharField(max_length=200)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("team")]


class Rep(TenantModel):
    """A field sales representative (the documented `/rep`, not the `src/oas` superset).

    `password` holds a Django password hash, never the raw password. Email and username are
    unique per tenant, case-insensitively (an empty username means none)."""

    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    username = models.CharField(max_length=150, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    role = models.CharField(max_length=100)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="reps")
    password = models.CharField(max_length=256)
    disabled = models.BooleanField(default=False)
    # {rep_can_add_client, rep_can_edit_client, rep_can_add_calendar, rep_can_edit_calendar}: booleans.
    permissions = models.JSONField(default=dict, blank=True)
    # {allowable_accuracy}: how far (metres) from a client a rep may check in; null = no limit.
    settings = models.JSONField(default=dict, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(models.F("tenant"), Lower("email"), name="rep_unique_email"),
            models.UniqueConstraint(
                models.F("tenant"), Lower("username"), condition=~models.Q(username=""), name="rep_unique_username"
            ),
        ]

    def check_password(self, raw_password: str) -> bool:
        return bool(self.password) and check_password(raw_password, self.password)


class Route(TenantModel):
    """A rep's visiting route for one weekday; its clients are RouteClient rows, in order."""

    class Day(models.TextChoices):
        SAT = "sat"
        SUN = "sun"
        MON = "mon"
        TUE = "tue"
        WED = "wed"
        THU = "thu"
        FRI = "fri"

    name = models.CharField(max_length=200)
    rep = models.ForeignKey(Rep, on_delete=models.PROTECT, related_name="routes")
    day = models.CharField(max_length=3, choices=Day.choices)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        indexes = [*TenantModel.Meta.indexes, models.Index(fields=["tenant", "rep", "day"], name="route_rep_day")]


class RouteClient(models.Model):
    """A client on a route (the route's `clients[]`): `position` keeps the list's order,
    `priority` is the visiting order the client gave (distinct within the route)."""

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="route_stops")
    priority = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("route", "position")
        constraints = [
            models.UniqueConstraint(fields=["route", "client"], name="routeclient_unique_client"),
            models.UniqueConstraint(fields=["route", "priority"], name="routeclient_unique_priority"),
        ]
        indexes = [models.Index(fields=["route", "position"], name="routeclient_order")]

    def __str__(self):
        return f"{self.route} #{self.priority}: {self.client}"


class Warehouse(TenantModel):
    """A stock location. `location` is a GeoJSON point `{type: "Point", coordinates: [lng, lat]}`."""

    name = models.CharField(max_length=200)
    location = models.JSONField(null=True, blank=True)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        pass


class Supplier(TenantModel):
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    address = models.JSONField(default=dict, blank=True)  # free object (street, city, country, ...)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        pass


class ReturnReason(TenantModel):
    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("returnreason")]


class InventoryAdjustmentReason(TenantModel):
    """Why stock was adjusted; `type` gives an adjustment's sign (increase +, decrease −)."""

    class Type(models.TextChoices):
        INCREASE = "increase"
        DECREASE = "decrease"

    name = models.CharField(max_length=200)
    type = models.CharField(max_length=8, choices=Type.choices)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("inventoryadjustmentreason")]

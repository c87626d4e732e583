"""Client master data around the client: channels, contacts, locations, specialities, tags,
and the mail suppression list."""

from django.db import models

from core.models import TenantModel
from core.uniqueness import unique_name


class ClientChannel(TenantModel):
    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("clientchannel")]


class ClientContact(TenantModel):
    """A person at a client. Linked from `client.contacts[]` (the contact has no client field)."""

    name = models.CharField(max_length=200)
    local_name = models.CharField(max_length=200, blank=True, default="")
    phone1 = models.CharField(max_length=50, blank=True, default="")
    phone2 = models.CharField(max_length=50, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    title = models.CharField(max_length=200, blank=True, default="")
    extra_info = models.TextField(blank=True, default="")
    disabled = models.BooleanField(default=False)
    media = models.JSONField(default=list, blank=True)
    cover_photo = models.CharField(max_length=2048, blank=True, default="")
    # Who created / last edited it: {_id, name, username, type: admin|rep|client}, set from the caller.
    creator = models.JSONField(default=dict, blank=True, editable=False)
    editor = models.JSONField(null=True, blank=True, editable=False)

    class Meta(TenantModel.Meta):
        pass


class ClientLocation(TenantModel):
    class LocationType(models.TextChoices):
        OFFICE = "office"
        WAREHOUSE = "warehouse"
        RETAIL = "retail"
        BRANCH = "branch"
        OTHER = "other"

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=500)
    city = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=100, blank=True, default="")
    postal_code = models.CharField(max_length=20, blank=True, default="")
    country = models.CharField(max_length=100, blank=True, default="")
    coordinates = models.JSONField(null=True, blank=True)  # {latitude, longitude}
    is_primary = models.BooleanField(default=False)
    location_type = models.CharField(max_length=16, choices=LocationType.choices, default=LocationType.OFFICE)
    contact_info = models.JSONField(null=True, blank=True)  # {phone, email, fax}
    business_hours = models.JSONField(null=True, blank=True)  # {monday: {open, close, is_closed}, ...}
    notes = models.TextField(blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [
            # At most one primary location per client (the service unsets the previous one).
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(is_primary=True), name="clientlocation_one_primary"
            )
        ]


class Speciality(TenantModel):
    name = models.CharField(max_length=200)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "specialities"
        constraints = [unique_name("speciality")]


class Tag(TenantModel):
    name = models.CharField(max_length=200)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        constraints = [unique_name("tag")]


class MailUnsubscribe(TenantModel):
    """An address that must not be mailed. The email is stored normalised (trimmed, lower case)."""

    email = models.EmailField(max_length=254)
    reason = models.TextField(blank=True, default="")
    unsubscribe_types = models.JSONField(default=list, blank=True)
    user_agent = models.CharField(max_length=500, blank=True, default="")
    ip_address = models.CharField(max_length=64, blank=True, default="")

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "email"], name="mailunsubscribe_unique_email")]
        verbose_name = "mail unsubscribe"

    def __str__(self):
        return self.email

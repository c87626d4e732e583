"""The client: one row behind three API surfaces (Repzo `/v1/client`, Aiwyn `/gql/v1/clients`,
the CRM `/clients`). SEMANTICS.md §5 maps each surface's names onto these columns.

Reps (`assigned_to`), teams and the price list are foreign keys into the sales app, validated
within the tenant. Payment terms and job categories (apps still to come) are kept as plain ids
until their resources exist.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.models import TenantModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class ClientQuerySet(models.QuerySet):
    def with_silenced(self):
        """Annotate `silenced`: the client's email is on the tenant's mail suppression list."""
        from django.db.models.functions import Lower

        from .people import MailUnsubscribe

        return self.annotate(
            silenced=models.Exists(
                MailUnsubscribe.objects.filter(
                    tenant_id=models.OuterRef("tenant_id"), email=Lower(models.OuterRef("email"))
                )
            )
        )


class Client(TenantModel):
    class PaymentType(models.TextChoices):
        CASH = "cash"
        CREDIT = "credit"

    # Identity and naming
    name = models.CharField(max_length=255)
    local_name = models.CharField(max_length=255, blank=True, default="")
    legal_name = models.CharField(max_length=255, blank=True, default="")
    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    client_code = models.CharField(max_length=64, blank=True, null=True, help_text="Unique per tenant.")
    sync_id = models.CharField(max_length=100, blank=True, null=True, help_text="Idempotency key from mobile.")
    external_id = models.CharField(max_length=100, blank=True, null=True)
    source = models.CharField(max_length=100, blank=True, null=True)
    client_type = models.CharField(max_length=50, blank=True, default="")
    industry = models.CharField(max_length=100, blank=True, default="")
    size = models.CharField(max_length=50, blank=True, default="")
    status = models.CharField(max_length=50, blank=True, default="")
    # Archived and disabled are one state with three spellings (Repzo `disabled`, Aiwyn
    # `active` = not disabled, CRM `isArchived`).
    disabled = models.BooleanField(default=False)

    # Contact details
    phone = models.CharField(max_length=50, blank=True, default="")
    cell_phone = models.CharField(max_length=50, blank=True, default="")
    home_phone = models.CharField(max_length=50, blank=True, default="")
    fax = models.CharField(max_length=50, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    website = models.CharField(max_length=500, blank=True, default="")
    contact_name = models.CharField(max_length=200, blank=True, default="")
    contact_title = models.CharField(max_length=200, blank=True, default="")
    contacts = models.ManyToManyField("clients.ClientContact", blank=True, related_name="clients")
    primary_contact = models.ForeignKey(
        "clients.ClientContact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Address and geography
    formatted_address = models.CharField(max_length=500, blank=True, default="")
    city = models.CharField(max_length=100, blank=True, default="")
    state = models.CharField(max_length=100, blank=True, default="")
    zip = models.CharField(max_length=20, blank=True, default="")
    country = models.CharField(max_length=100, blank=True, default="")
    billing_address = models.JSONField(null=True, blank=True)  # {street, city, state, zipCode, country}
    lat = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lng = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    location_verified = models.BooleanField(default=False)
    last_location_update = models.DateTimeField(null=True, blank=True, editable=False)
    geofencing_radius = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    territory = models.CharField(max_length=100, blank=True, default="")

    # Field-sales organisation
    tags = models.ManyToManyField("clients.Tag", blank=True, related_name="clients")
    speciality = models.ManyToManyField("clients.Speciality", blank=True, related_name="clients")
    channel = models.ForeignKey(
        "clients.ClientChannel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
        db_index=False,  # served by the (tenant, channel, id) index
    )
    parent_client = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_chain = models.BooleanField(default=False)
    chain = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="chain_members")
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")
    assigned_to = models.ManyToManyField("sales.Rep", blank=True, related_name="assigned_clients")
    teams = models.ManyToManyField("sales.Team", blank=True, related_name="clients")
    job_category = models.JSONField(default=list, blank=True)
    owner = models.CharField(max_length=64, blank=True, null=True)  # rep id (loan officer / partner staff)
    price_tag = models.CharField(max_length=100, blank=True, default="")
    target_visit = models.IntegerField(null=True, blank=True, validators=[MinValueValidator(0)])
    profile_pic = models.CharField(max_length=2048, blank=True, default="")
    logo = models.CharField(max_length=2048, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    custom_fields = models.JSONField(default=dict, blank=True)
    is_simplified = models.BooleanField(default=False)
    last_login_time = models.DateTimeField(null=True, blank=True, editable=False)

    # Credit and payment
    sv_price_list = models.ForeignKey(
        "sales.PriceList", null=True, blank=True, on_delete=models.PROTECT, related_name="clients"
    )
    payment_term = models.CharField(max_length=64, blank=True, null=True)  # payment term id
    payment_type = models.CharField(max_length=10, choices=PaymentType.choices, blank=True, default="")
    tax_number = models.CharField(max_length=64, blank=True, default="")
    credit_limit = models.DecimalField(**MONEY, null=True, blank=True)
    invoice_balance_limit = models.DecimalField(**MONEY, null=True, blank=True)
    enable_invoice_balance_limit = models.BooleanField(default=False)
    enable_payment_terms_grace_period_days = models.BooleanField(default=False)
    # Mirror of the balance an external ERP keeps; written by integrations, never by the API.
    integrated_client_balance = models.DecimalField(**MONEY, null=True, blank=True, editable=False)

    # Consumer-lending profile (CRM surface)
    fico = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(300), MaxValueValidator(850)]
    )
    total_income = models.DecimalField(**MONEY, null=True, blank=True)
    total_debt_payments = models.DecimalField(**MONEY, null=True, blank=True)
    first_time_buyer = models.BooleanField(null=True, blank=True)
    # Stored hashed (Django's password hasher); the raw token is never returned.
    login_token_hash = models.CharField(max_length=200, blank=True, default="", editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta(TenantModel.Meta):
        indexes = [
            *TenantModel.Meta.indexes,
            models.Index(fields=["tenant", "channel", "id"], name="client_channel_idx"),
            models.Index(fields=["tenant", "updated_at"], name="client_updated_idx"),
            models.Index(fields=["tenant", "name"], name="client_name_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "client_code"], name="client_unique_code"),
            models.UniqueConstraint(fields=["tenant", "sync_id"], name="client_unique_sync_id"),
        ]

    # "Silenced" is derived from the mail suppression list rather than stored: it can never
    # disagree with it. Lists read it through ClientQuerySet.with_silenced().
    @property
    def is_silenced(self) -> bool:
        if hasattr(self, "silenced"):
            return self.silenced
        from .people import MailUnsubscribe

        return (
            bool(self.email)
            and MailUnsubscribe.objects.filter(tenant_id=self.tenant_id, email=self.email.strip().lower()).exists()
        )

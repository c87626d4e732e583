"""Demo data for a fresh install: tenant `demo`, its users and a small, realistic data set.

Everything is written through the resources' services (never raw SQL), so the rows look
exactly like rows made through the API or the admin. The data are deterministic (a seeded generator): two
installs show the same clients. `load_demo_data` is idempotent: the users are (re)synced on
every run, the rows are made only while the tenant has no client.
"""

import random
import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from clients.models import Client, ClientChannel, ClientContact, ClientLocation, MailUnsubscribe, Speciality, Tag
from clients.services import client as client_services
from clients.services import people as people_services
from core import services
from core.models import ApiKey, CustomList, CustomListItem, CustomStatus, Media, Tenant, TenantModel, User

DEMO_NAMESPACE = "demo"
ADMIN_USERNAME = "admin"
STAFF_USERNAME = "demo-staff"
STAFF_GROUP = "Tenant staff"
CLIENT_COUNT = 40
DEMO_ACTOR = {"_id": None, "name": "Demo data", "type": "admin"}

CHANNELS = ["Retail", "Wholesale", "Pharmacy", "HoReCa", "Clinic", "Hospital", "Key Accounts", "E-commerce"]
# The kind of business each channel's clients are, for their names.
CHANNEL_NOUNS = {
    "Retail": ["Market", "Minimarket", "Grocery"],
    "Wholesale": ["Trading Co.", "Distribution", "Wholesale"],
    "Pharmacy": ["Pharmacy"],
    "HoReCa": ["Restaurant", "Café", "Hotel"],
    "Clinic": ["Medical Center", "Clinic"],
    "Hospital": ["Hospital"],
    "Key Accounts": ["Hypermarket", "Supermarkets"],
    "E-commerce": ["Online Store"],
}
NAME_WORDS = [
    "Al Noor", "Green Valley", "Sunrise", "Blue Nile", "Cedar", "Golden Gate", "Jasmine", "Oasis", "Crescent",
    "Olive Tree", "Palm", "Royal", "Silver Star", "Desert Rose", "Harbor", "Summit", "Pioneer", "Horizon",
    "Lotus", "Unity",
]  # fmt: skip
SPECIALITIES = ["General Practice", "Cardiology", "Pediatrics", "Dermatology", "Dentistry", "Orthopedics"]
TAGS = ["VIP", "New", "Key account", "Credit hold", "Weekly visit", "Monthly visit", "Promo", "At risk"]
# (city, state, latitude, longitude)
CITIES = [
    ("Amman", "Amman", 31.9539, 35.9106),
    ("Zarqa", "Zarqa", 32.0728, 36.0880),
    ("Irbid", "Irbid", 32.5568, 35.8469),
    ("Aqaba", "Aqaba", 29.5321, 35.0063),
    ("Madaba", "Madaba", 31.7197, 35.7936),
    ("Salt", "Balqa", 32.0392, 35.7272),
    ("Jerash", "Jerash", 32.2747, 35.8961),
    ("Karak", "Karak", 31.1853, 35.7048),
]
STREETS = ["King Abdullah II St", "Mecca St", "Queen Rania St", "Zahran St", "Al Madina St", "University St"]
FIRST_NAMES = ["Omar", "Lina", "Sami", "Rana", "Khaled", "Maya", "Yousef", "Dana", "Tariq", "Noor", "Hadi", "Salma"]
LAST_NAMES = ["Haddad", "Khoury", "Nasser", "Saleh", "Mansour", "Azar", "Qasem", "Darwish", "Hamdan", "Said"]
TITLES = ["Owner", "Store Manager", "Purchasing Manager", "Head Pharmacist", "Accountant", "Operations Manager"]
CUSTOM_STATUSES = [
    ("Prospect", "#9e9e9e", "client"),
    ("Active", "#4caf50", "client"),
    ("On hold", "#ff9800", "client"),
    ("Scheduled", "#2196f3", "workorder"),
    ("In progress", "#673ab7", "workorder"),
    ("Done", "#4caf50", "workorder"),
]
CUSTOM_LISTS = {
    ("Visit outcomes", "visit", "Why a visit ended the way it did."): [
        ("Order taken", "order"),
        ("Decision maker absent", "absent"),
        ("Store closed", "closed"),
        ("Follow-up needed", "follow_up"),
    ],
    ("Competitor brands", "storecheck", "Brands seen on the shelf during store checks."): [
        ("Acme Foods", "acme"),
        ("Globex Pharma", "globex"),
        ("Initech Drinks", "initech"),
    ],
}


@dataclass
class DemoResult:
    tenant: Tenant
    created_rows: bool
    # Passwords this run generated (users created without a password given); show them once.
    generated_passwords: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def staff_permissions():
    """Every permission on tenant-owned models, plus API keys: what a tenant's staff manage."""
    from django.apps import apps

    models = [m for m in apps.get_models() if issubclass(m, TenantModel)] + [ApiKey]
    content_types = ContentType.objects.get_for_models(*models, for_concrete_models=False).values()
    return Permission.objects.filter(content_type__in=content_types)


def _ensure_user(*, username, tenant, password, superuser) -> str | None:
    """Create or update a demo user. Returns the password when this call generated one."""
    user = User.objects.filter(username=username).first()
    generated = None
    if user is None:
        user = User(username=username, email=f"{username}@demo.example")
        if password is None:
            password = generated = secrets.token_urlsafe(12)
    user.tenant = tenant
    user.is_staff = True
    user.is_superuser = superuser
    user.is_active = True
    if password is not None:
        user.set_password(password)
    user.save()
    if not superuser:
        group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
        group.permissions.set(staff_permissions())
        user.groups.add(group)
    return generated


@transaction.atomic
def load(*, admin_password: str | None = None, staff_password: str | None = None) -> DemoResult:
    tenant = Tenant.objects.filter(namespace=DEMO_NAMESPACE).first()
    if tenant is None:
        tenant = services.create_tenant(namespace=DEMO_NAMESPACE, name="Demo Distribution Co.")
    result = DemoResult(tenant=tenant, created_rows=False)
    for username, password, superuser in (
        (ADMIN_USERNAME, admin_password, True),
        (STAFF_USERNAME, staff_password, False),
    ):
        generated = _ensure_user(username=username, tenant=tenant, password=password, superuser=superuser)
        if generated:
            result.generated_passwords[username] = generated

    if not Client.objects.filter(tenant=tenant).exists():
        _create_rows(tenant, random.Random(42))
        result.created_rows = True
    from sales import demo as sales_demo  # the catalogue and the sales organisation (skipped once loaded)

    sales_demo.load(
        tenant=tenant,
        rng=random.Random(7),
        clients=list(Client.objects.filter(tenant=tenant).order_by("pk")),
        actor=DEMO_ACTOR,
    )
    from finance import demo as finance_demo  # payment terms, banks, checks (skipped once loaded)

    finance_demo.load(
        tenant=tenant,
        rng=random.Random(11),
        clients=list(Client.objects.filter(tenant=tenant).order_by("pk")),
        reps=list(apps.get_model("sales", "Rep").objects.filter(tenant=tenant).order_by("pk")),
        actor=DEMO_ACTOR,
    )
    sales_models = [apps.get_model("sales", name) for name in ("Product", "Variant", "Rep", "Route")]
    finance_models = [
        apps.get_model("finance", name)
        for name in ("PaymentTerm", "Bank", "Check", "Payment", "Settlement", "AccountAdjustment")
    ]
    for model in (
        Client,
        ClientChannel,
        ClientContact,
        ClientLocation,
        Speciality,
        Tag,
        MailUnsubscribe,
        Media,
        *finance_models,
        *sales_models,  # last: the summary ends with the routes
    ):
        result.counts[model._meta.verbose_name_plural] = model.objects.filter(tenant=tenant).count()
    return result


def _create(model, tenant, **data):
    return services.create_row(model=model, tenant=tenant, data=data)


def _business_hours(rng):
    closing = rng.choice(["17:00", "18:00", "21:00"])
    hours = {day: {"open": "08:00", "close": closing, "is_closed": False} for day in _WEEKDAYS}
    hours["friday"] = {"open": None, "close": None, "is_closed": True}
    hours["saturday"] = {"open": "10:00", "close": "14:00", "is_closed": rng.random() < 0.3}
    return hours


_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday")


def _phone(rng):
    return f"+962 7{rng.choice('789')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _create_rows(tenant, rng):
    channels = {name: _create(ClientChannel, tenant, name=name) for name in CHANNELS}
    specialities = [_create(Speciality, tenant, name=name) for name in SPECIALITIES]
    tags = [_create(Tag, tenant, name=name) for name in TAGS]

    used_names = set()
    clients = []
    for number in range(1, CLIENT_COUNT + 1):
        channel_name = rng.choice(CHANNELS)
        name = f"{rng.choice(NAME_WORDS)} {rng.choice(CHANNEL_NOUNS[channel_name])}"
        while name in used_names:
            name = f"{rng.choice(NAME_WORDS)} {rng.choice(CHANNEL_NOUNS[channel_name])}"
        used_names.add(name)
        city, state, lat, lng = rng.choice(CITIES)
        lat, lng = round(lat + rng.uniform(-0.04, 0.04), 6), round(lng + rng.uniform(-0.04, 0.04), 6)
        street = f"{rng.randint(1, 250)} {rng.choice(STREETS)}"
        slug = name.lower().replace(" ", "").replace(".", "").replace("é", "e")
        email = f"info@{slug}.example"

        contacts = []
        for _ in range(rng.choice((1, 1, 2))):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            contacts.append(
                people_services.create_client_contact(
                    tenant=tenant,
                    actor=DEMO_ACTOR,
                    data={
                        "name": f"{first} {last}",
                        "title": rng.choice(TITLES),
                        "phone1": _phone(rng),
                        "email": f"{first}.{last}@{slug}.example".lower(),
                    },
                )
            )
        medical = channel_name in ("Pharmacy", "Clinic", "Hospital")
        client = client_services.create_client(
            tenant=tenant,
            data={
                "name": name,
                "client_code": f"C-{number:04d}",
                "channel": channels[channel_name],
                "city": city,
                "state": state,
                "country": "Jordan",
                "formatted_address": f"{street}, {city}, Jordan",
                "lat": lat,
                "lng": lng,
                "location_verified": rng.random() < 0.7,
                "phone": _phone(rng),
                "email": email,
                "contact_name": contacts[0].name,
                "contact_title": contacts[0].title,
                "primary_contact": contacts[0],
                "contacts": contacts,
                "tags": rng.sample(tags, rng.randint(0, 3)),
                "speciality": rng.sample(specialities, rng.randint(1, 2)) if medical else [],
                "payment_type": rng.choice(["cash", "credit"]),
                "credit_limit": Decimal(rng.choice([0, 500, 1000, 2500, 5000, 10000])),
                "target_visit": rng.choice([2, 4, 8]),
                "territory": f"{city} {rng.choice(['North', 'South', 'Center'])}",
                "status": rng.choice(["Active", "Active", "Active", "Prospect", "On hold"]),
                "disabled": number % 17 == 0,  # a couple of archived clients
            },
        )
        people_services.create_client_location(
            tenant=tenant,
            data={
                "client": client,
                "name": "Main branch",
                "address": street,
                "city": city,
                "state": state,
                "country": "Jordan",
                "postal_code": f"{rng.randint(11100, 11999)}",
                "coordinates": {"latitude": lat, "longitude": lng},
                "is_primary": True,
                "location_type": "warehouse" if channel_name == "Wholesale" else "retail",
                "contact_info": {"phone": client.phone, "email": email},
                "business_hours": _business_hours(rng),
            },
        )
        clients.append(client)

    for client in rng.sample(clients, 3):
        people_services.create_mail_unsubscribe(
            tenant=tenant,
            data={
                "email": client.email,
                "reason": "Asked not to receive newsletters.",
                "unsubscribe_types": ["marketing"],
            },
        )
    for name, color, entity in CUSTOM_STATUSES:
        _create(CustomStatus, tenant, name=name, color=color, entity=entity)
    for (name, entity, description), items in CUSTOM_LISTS.items():
        custom_list = _create(CustomList, tenant, name=name, entity=entity, description=description)
        for item_name, value in items:
            _create(CustomListItem, tenant, name=item_name, value=value, custom_list=custom_list)
    for client in rng.sample(clients, 5):
        _create(
            Media,
            tenant,
            name=f"{client.name} storefront",
            url=f"https://media.example/demo/{client.client_code}.jpg",
            document_type=Media.DocumentType.IMAGE,
            parent_document_type="clients",
            parent_document_key=str(client.pk),
        )
    _create(
        Media,
        tenant,
        name="Price list 2025",
        description="The price list reps hand out.",
        url="https://media.example/demo/price-list-2025.pdf",
        document_type=Media.DocumentType.PDF,
    )

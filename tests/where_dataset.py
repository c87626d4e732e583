"""The shared query dataset (QUERY-DIALECTS.md §1) on the real models.

* staff → ClientChannel (the object relationship `client.channel`). `name` is NOT NULL there,
  so staff 9's NULL name is stored as "" (NULLs inside a relationship are exercised through
  `client.parent_client`, whose target has the nullable `client_code`).
* client → Client: name, clientRef → `client_code`, active → `not disabled`, createdAt,
  updatedAt (= createdAt + id days), partnerStaffId → `owner` (text) and `channel`,
  balance → `credit_limit`. `Client.name` is NOT NULL: client 5's NULL name is "".
  The spec's nullable `active` (client 5) lives in the nullable `first_time_buyer`.
  Extras: `fico` (nullable integer) and `parent_client` (2 → 1, 3 → 4, 6 → 5).
* contact → ClientContact linked through `client.contacts` (the array relationship).
  `email` is NOT NULL: contact 2's NULL email is ""; isPrimary is `title == "primary"`.

Rows are created in id order, so primary keys (UUIDv7) sort like the spec's ids.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from clients.models import Client, ClientChannel, ClientContact

STAFF = {5: "Alice Moss", 6: "bob stone", 7: "Carla Tech", 9: ""}

# id: (name, clientRef, active, createdAt, partnerStaffId, balance, fico)
CLIENTS = {
    1: ("Acme Technologies", "A-1045", True, "2021-03-01T10:00", 5, "100.00", 720),
    2: ("biotech labs", "B-2001", True, "2022-06-15T08:30", 6, "0.00", 650),
    3: ("Zeta Corp", "Z-4501", False, "2019-12-31T23:59", 7, "-50.00", None),
    4: ("O'Brien & Sons", None, True, "2023-01-10T00:00", None, None, 800),
    5: ("", "N-0005", None, "2020-05-05T12:00", 9, "25.50", 700),
    6: ("TECHNO 50% Off", "T_45", True, "1899-12-31T00:00", 5, "10.00", None),
}
DISABLED = {1: False, 2: False, 3: True, 4: False, 5: False, 6: False}
PARENTS = {2: 1, 3: 4, 6: 5}

# id: (client id, email, isPrimary)
CONTACTS = {
    1: (1, "ceo@acme.test", True),
    2: (1, "", False),
    3: (2, "info@biotech.test", False),
    4: (3, "x@zeta.test", True),
}


@dataclass
class Dataset:
    tenant: object
    clients: dict = field(default_factory=dict)  # spec id -> Client
    channels: dict = field(default_factory=dict)  # staff id -> ClientChannel
    contacts: dict = field(default_factory=dict)  # spec id -> ClientContact

    def numbers(self, rows) -> list[int]:
        """The spec ids of `rows` (a queryset or iterable of clients), in their order."""
        by_pk = {c.pk: n for n, c in self.clients.items()}
        return [by_pk[pk] for pk in (r.pk if hasattr(r, "pk") else r for r in rows)]


def _utc(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def build(tenant) -> Dataset:
    data = Dataset(tenant)
    for n, name in STAFF.items():
        data.channels[n] = ClientChannel.objects.create(tenant=tenant, name=name)
    for n, (name, ref, active, created, staff, balance, fico) in CLIENTS.items():
        client = Client.objects.create(
            tenant=tenant,
            name=name,
            client_code=ref,
            disabled=DISABLED[n],
            first_time_buyer=active,
            owner=None if staff is None else str(staff),
            channel=data.channels.get(staff),
            credit_limit=None if balance is None else Decimal(balance),
            fico=fico,
        )
        created_at = _utc(created)
        # save() stamps updated_at; the spec's timestamps are written past it.
        Client.objects.filter(pk=client.pk).update(created_at=created_at, updated_at=created_at + dt.timedelta(days=n))
        client.refresh_from_db()
        data.clients[n] = client
    for child, parent in PARENTS.items():
        Client.objects.filter(pk=data.clients[child].pk).update(parent_client=data.clients[parent])
        data.clients[child].parent_client = data.clients[parent]
    for n, (client_n, email, primary) in CONTACTS.items():
        contact = ClientContact.objects.create(
            tenant=tenant, name=f"Contact {n}", email=email, title="primary" if primary else ""
        )
        data.clients[client_n].contacts.add(contact)
        data.contacts[n] = contact
    return data

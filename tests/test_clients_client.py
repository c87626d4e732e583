import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Client
from clients.services import client as client_services
from core.api.exceptions import Conflict
from sales.models import PriceList, Rep, Team
from tests.api_cases import ResourceAPICase
from tests.factories import (
    ClientChannelFactory,
    ClientContactFactory,
    ClientFactory,
    ClientLocationFactory,
    SpecialityFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def make_rep(tenant, name="Omar"):
    team = Team.objects.create(tenant=tenant, name=f"Team of {name}")
    return Rep.objects.create(
        tenant=tenant, name=name, email=f"{name.lower()}@example.test", role="rep", password="x", team=team
    )


class TestClientAPI(ResourceAPICase):
    path = "client"
    family = "D"
    update_data = {"name": "Renamed", "credit_limit": 1500.5, "isChain": True, "customFields": {"tier": "gold"}}
    invalid_data = [
        {},  # name is required
        {"name": 123},
        {"name": "x", "payment_type": "barter"},
        {"name": "x", "lat": "31.9"},
        {"name": "x", "lat": 123.0},
        {"name": "x", "tags": "not-a-list"},
        {"name": "x", "channel": "01890a5d-ac96-774b-bcce-b302099a8057"},
        {"name": "x", "credit_limit": "12"},
        {"name": "x", "disabled": "false"},
        {"name": "x", "email": "not-an-email"},
    ]

    def make(self, tenant, **kwargs):
        return ClientFactory(tenant=tenant, **kwargs)

    def get_create_data(self, tenant):
        channel = ClientChannelFactory(tenant=tenant)
        tags = [TagFactory(tenant=tenant) for _ in range(2)]
        rep = make_rep(tenant)
        return {
            "name": "Acme Trading",
            "local_name": "أكمي",
            "client_code": "ACM-1",
            "email": "buyer@acme.test",
            "phone": "+962 6 555 0101",
            "city": "Amman",
            "lat": 31.95,
            "lng": 35.91,
            "credit_limit": 2500.75,
            "payment_type": "credit",
            "channel": str(channel.pk),
            "tags": [str(t.pk) for t in tags],
            "isChain": False,
            "customFields": {"segment": "A"},
            "integration_meta": {"erp": "C-77"},
            "assigned_to": [str(rep.pk)],
            "teams": [str(rep.team_id)],
            "sv_priceList": str(PriceList.objects.create(tenant=tenant, name="Retail").pk),
            "target_visit": 4,
        }


def test_create_answers_documented_shape(api, tenant):
    channel = ClientChannelFactory(tenant=tenant)
    tag = TagFactory(tenant=tenant)
    r = api.post(
        "/v1/client",
        {"name": "Acme", "channel": str(channel.pk), "tags": [str(tag.pk)], "credit_limit": 10.1, "lat": 1.5, "lng": 2},
        format="json",
    )
    assert r.status_code == 201
    doc = r.json()
    assert doc["channel"] == str(channel.pk) and doc["tags"] == [str(tag.pk)]
    assert doc["credit_limit"] == 10.1 and isinstance(doc["credit_limit"], float)  # a number, not a string
    assert doc["company_namespace"] == ["acme"] and doc["__v"] == 0
    assert isinstance(doc["last_location_update"], int)  # epoch ms, set because lat/lng were given
    assert doc["createdAt"].endswith("Z") and len(doc["createdAt"]) == 24
    assert "login_token_hash" not in doc and "tenant" not in doc


def test_references_from_another_tenant_are_refused(api, tenant, other_tenant):
    foreign_tag = TagFactory(tenant=other_tenant)
    foreign_channel = ClientChannelFactory(tenant=other_tenant)
    for body, path in (
        ({"name": "x", "tags": [str(foreign_tag.pk)]}, "tags"),
        ({"name": "x", "channel": str(foreign_channel.pk)}, "channel"),
    ):
        r = api.post("/v1/client", body, format="json")
        assert r.status_code == 400
        assert r.json()["details"][0]["path"] == path
    assert not Client.objects.exists()


def test_client_code_is_unique_per_tenant(api, tenant, other_tenant):
    ClientFactory(tenant=tenant, client_code="DUP")
    ClientFactory(tenant=other_tenant, client_code="SAME")
    r = api.post("/v1/client", {"name": "x", "client_code": "DUP"}, format="json")
    assert r.status_code == 409 and "client_code" in r.json()["error"]
    assert api.post("/v1/client", {"name": "y", "client_code": "SAME"}, format="json").status_code == 201
    # empty codes never collide
    assert api.post("/v1/client", {"name": "a", "client_code": ""}, format="json").status_code == 201
    assert api.post("/v1/client", {"name": "b", "client_code": ""}, format="json").status_code == 201


def test_sync_id_makes_create_idempotent(api, tenant):
    first = api.post("/v1/client", {"name": "Offline", "sync_id": "m-1"}, format="json").json()
    again = api.post("/v1/client", {"name": "Offline retry", "sync_id": "m-1"}, format="json")
    assert again.status_code == 201 and again.json()["_id"] == first["_id"]
    assert Client.objects.filter(tenant=tenant).count() == 1


def test_update_is_partial_and_counts_versions(api, tenant):
    client = ClientFactory(tenant=tenant, city="Irbid", email="a@b.test")
    r = api.put(f"/v1/client/{client.pk}", {"name": "New"}, format="json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["name"] == "New" and doc["city"] == "Irbid" and doc["email"] == "a@b.test" and doc["__v"] == 1
    assert doc["updatedAt"] >= doc["createdAt"]
    # documented read-only fields in a PUT body are ignored
    r = api.put(f"/v1/client/{client.pk}", {"_id": "x", "__v": 99, "integrated_client_balance": 5}, format="json")
    assert r.status_code == 200 and r.json()["_id"] == str(client.pk) and r.json()["integrated_client_balance"] is None


def test_client_cannot_be_its_own_parent(api, tenant):
    client = ClientFactory(tenant=tenant)
    r = api.patch(f"/v1/client/{client.pk}", {"parent_client_id": str(client.pk)}, format="json")
    assert r.status_code == 400 and r.json()["details"][0]["path"] == "parent_client_id"


def test_deleting_a_referenced_client_is_409_naming_the_reference(api, tenant):
    client = ClientFactory(tenant=tenant)
    ClientLocationFactory(tenant=tenant, client=client)
    r = api.delete(f"/v1/client/{client.pk}")
    assert r.status_code == 409 and "client location" in r.json()["error"]
    assert Client.objects.filter(pk=client.pk).exists()


def test_deleting_a_channel_in_use_is_409(api, tenant):
    channel = ClientChannelFactory(tenant=tenant)
    ClientFactory(tenant=tenant, channel=channel)
    assert api.delete(f"/v1/client-channel/{channel.pk}").status_code == 409


def test_deleting_a_tag_pulls_it_from_clients(api, tenant):
    tag, keep = TagFactory(tenant=tenant), TagFactory(tenant=tenant)
    client = ClientFactory(tenant=tenant)
    client.tags.set([tag, keep])
    assert api.delete(f"/v1/tag/{tag.pk}").status_code == 200
    assert api.get(f"/v1/client/{client.pk}").json()["tags"] == [str(keep.pk)]


def _age(client):
    """Put a client's last write in the past, so a sync bound after it finds only new writes."""
    Client.objects.filter(pk=client.pk).update(updated_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


SINCE = {"from_updatedAt": "2025-01-01T00:00:00Z"}


@pytest.mark.parametrize("how", ["tag", "speciality", "speciality-remove", "contact", "primary-contact"])
def test_a_client_whose_lists_lose_a_deleted_row_counts_a_new_version(api, tenant, how):
    """Deleting a tag, speciality or contact changes the documents of the clients that listed
    it: they move to a new __v and updatedAt, so an SDK syncing by from_updatedAt sees it."""
    client, bystander = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    if how == "tag":
        row = TagFactory(tenant=tenant)
        client.tags.add(row)
        url = f"/v1/tag/{row.pk}"
    elif how.startswith("speciality"):
        row = SpecialityFactory(tenant=tenant)
        client.speciality.add(row)
        url = f"/v1/speciality/{row.pk}"
    else:
        row = ClientContactFactory(tenant=tenant)
        if how == "contact":
            client.contacts.add(row)
        else:
            Client.objects.filter(pk=client.pk).update(primary_contact=row)
        url = f"/v1/client-contact/{row.pk}"
    _age(client), _age(bystander)
    assert [d["_id"] for d in api.get("/v1/client", SINCE).json()["data"]] == []
    if how == "speciality-remove":
        r = api.post("/v1/speciality/remove", {"ids": [str(row.pk)]}, format="json")
    else:
        r = api.delete(url)
    assert r.status_code == 200, r.content
    synced = api.get("/v1/client", SINCE).json()["data"]
    assert [d["_id"] for d in synced] == [str(client.pk)]  # the bystander did not change
    assert synced[0]["__v"] == 1
    assert str(row.pk) not in json.dumps(synced[0])


def test_a_refused_bulk_delete_moves_no_version(tenant):
    """delete_rows is all or nothing: a protected row (a channel in use) refuses the whole
    batch, and the clients that list the other rows keep their version."""
    from django.db.models import ProtectedError

    from clients.models import ClientChannel, Tag
    from core import services

    used, free = ClientChannelFactory(tenant=tenant), ClientChannelFactory(tenant=tenant)
    ClientFactory(tenant=tenant, channel=used)
    with pytest.raises(ProtectedError):
        services.delete_rows(model=ClientChannel, tenant=tenant, ids=[str(free.pk), str(used.pk)])
    assert ClientChannel.objects.filter(pk__in=[used.pk, free.pk]).count() == 2

    tag = TagFactory(tenant=tenant)
    client = ClientFactory(tenant=tenant)
    client.tags.add(tag)
    services.delete_queryset(queryset=Tag.objects.filter(pk=tag.pk))  # the admin's bulk delete
    client.refresh_from_db()
    assert client.version == 1 and list(client.tags.all()) == []


# --- list parameters ------------------------------------------------------------------------


def names(body):
    return [d["name"] for d in body["data"]]


@pytest.fixture
def clients(tenant):
    channel_a, channel_b = ClientChannelFactory(tenant=tenant), ClientChannelFactory(tenant=tenant)
    vip, new = TagFactory(tenant=tenant, name="vip"), TagFactory(tenant=tenant, name="new")
    rows = []
    for i, (name, city, channel, tags, disabled) in enumerate(
        [
            ("Alpha Foods", "Amman", channel_a, [vip], False),
            ("Beta Pharma", "Irbid", channel_b, [vip, new], False),
            ("Gamma Retail", "Amman", channel_b, [], True),
            ("Delta Foods", "Zarqa", channel_a, [new], False),
        ]
    ):
        c = ClientFactory(tenant=tenant, name=name, city=city, channel=channel, disabled=disabled)
        c.tags.set(tags)
        Client.objects.filter(pk=c.pk).update(updated_at=dt.datetime(2024, 1, 1 + i, tzinfo=dt.UTC))
        rows.append(c)
    return {"rows": rows, "channel_a": channel_a, "vip": vip, "new": new}


def test_default_order_is_creation_order(api, clients):
    assert names(api.get("/v1/client").json()) == ["Alpha Foods", "Beta Pharma", "Gamma Retail", "Delta Foods"]


def test_sort_and_sort_by_in_both_shapes(api, clients):
    assert names(api.get("/v1/client", {"sort": "name"}).json())[0] == "Alpha Foods"
    assert names(api.get("/v1/client", {"sort": "name", "sortPageOrder": "dsc"}).json())[0] == "Gamma Retail"
    sdk = json.dumps([{"field": "city", "type": "desc"}, {"field": "name", "type": "asc"}])
    assert names(api.get("/v1/client", {"sortBy": sdk}).json()) == [
        "Delta Foods", "Beta Pharma", "Alpha Foods", "Gamma Retail",
    ]  # fmt: skip
    assert names(api.get("/v1/client", {"sortBy": json.dumps([{"name": "desc"}])}).json())[0] == "Gamma Retail"
    assert api.get("/v1/client", {"sortBy": "[{bad json"}).status_code == 400
    assert api.get("/v1/client", {"sortBy": json.dumps([{"field": "name", "type": "sideways"}])}).status_code == 400


def test_search_filters_and_disabled(api, clients):
    assert names(api.get("/v1/client", {"search": "foods"}).json()) == ["Alpha Foods", "Delta Foods"]
    assert names(api.get("/v1/client", {"city": "Amman"}).json()) == ["Alpha Foods", "Gamma Retail"]
    assert len(api.get("/v1/client", {"city": '["Amman","Zarqa"]'}).json()["data"]) == 3
    assert len(api.get("/v1/client", {"city[]": ["Irbid", "Zarqa"]}).json()["data"]) == 2
    assert names(api.get("/v1/client", {"disabled": "true"}).json()) == ["Gamma Retail"]
    assert len(api.get("/v1/client", {"disabled": "false"}).json()["data"]) == 3
    assert api.get("/v1/client", {"disabled": "maybe"}).status_code == 400
    channel = str(clients["channel_a"].pk)
    assert names(api.get("/v1/client", {"channel": channel}).json()) == ["Alpha Foods", "Delta Foods"]
    assert api.get("/v1/client", {"channel": "not-an-id"}).json()["data"] == []


def test_array_filters_match_any_overlap_without_duplicates(api, clients):
    both = json.dumps([str(clients["vip"].pk), str(clients["new"].pk)])
    body = api.get("/v1/client", {"tags": both}).json()
    assert names(body) == ["Alpha Foods", "Beta Pharma", "Delta Foods"] and body["total_result"] == 3


def test_id_filter_in_every_wire_form(api, clients):
    a, b = (str(c.pk) for c in clients["rows"][:2])
    assert names(api.get("/v1/client", {"_id": a}).json()) == ["Alpha Foods"]
    assert len(api.get("/v1/client", {"_id": json.dumps([a, b])}).json()["data"]) == 2
    assert len(api.get("/v1/client", {"_id[]": [a, b]}).json()["data"]) == 2
    assert len(api.get(f"/v1/client?_id={a}&_id={b}").json()["data"]) == 2
    assert api.get("/v1/client", {"_id": "60f7b1b3e4b0e8b3f8b3f8b3"}).json()["data"] == []


def test_cursors_are_exclusive_and_ranges_inclusive(api, clients):
    rows = clients["rows"]
    after = api.get("/v1/client", {"from__id": str(rows[1].pk)}).json()
    # the cursor positions the page; the total is still the whole (filtered) set
    assert names(after) == ["Gamma Retail", "Delta Foods"] and after["total_result"] == 4
    assert names(api.get("/v1/client", {"to__id": str(rows[1].pk)}).json()) == ["Alpha Foods"]
    assert api.get("/v1/client", {"from__id": "zzz"}).status_code == 400
    jan2 = int(dt.datetime(2024, 1, 2, tzinfo=dt.UTC).timestamp() * 1000)
    jan3 = int(dt.datetime(2024, 1, 3, tzinfo=dt.UTC).timestamp() * 1000)
    body = api.get("/v1/client", {"from_updatedAt": jan2, "to_updatedAt": jan3}).json()
    assert names(body) == ["Beta Pharma", "Gamma Retail"]
    body = api.get("/v1/client", {"from_updatedAt": "2024-01-03T00:00:00Z"}).json()
    assert names(body) == ["Gamma Retail", "Delta Foods"]
    assert api.get("/v1/client", {"from_updatedAt": "yesterday"}).status_code == 400


def test_limit_offset_and_filter_json(api, clients):
    body = api.get("/v1/client", {"limit": 2, "offset": 2}).json()
    assert names(body) == ["Gamma Retail", "Delta Foods"] and body["current_page"] == 2
    body = api.get("/v1/client", {"filter": json.dumps({"city": "Amman", "disabled": False})}).json()
    assert names(body) == ["Alpha Foods"]
    assert api.get("/v1/client", {"filter": json.dumps({"password": "x"})}).status_code == 400
    assert api.get("/v1/client", {"filter": "{oops"}).status_code == 400
    assert api.get("/v1/client", {"limit": 5000}).status_code == 400


def test_integration_meta_dotted_filter(api, tenant):
    ClientFactory(tenant=tenant, name="Mapped", integration_meta={"erp_id": "E-1"})
    ClientFactory(tenant=tenant, name="Other", integration_meta={"erp_id": "E-2"})
    assert names(api.get("/v1/client", {"integration_meta.erp_id": "E-1"}).json()) == ["Mapped"]


def test_page_urls_keep_the_other_parameters(api, clients):
    body = api.get("/v1/client", {"per_page": 1, "city": "Amman"}).json()
    assert body["total_pages"] == 2 and body["next_page_url"].endswith("per_page=1&city=Amman&page=2")
    assert body["prev_page_url"] is None


def test_populated_keys_expand_references(api, tenant):
    channel = ClientChannelFactory(tenant=tenant, name="Retail")
    tag = TagFactory(tenant=tenant, name="vip")
    speciality = SpecialityFactory(tenant=tenant, name="Cardiology")
    contact = ClientContactFactory(tenant=tenant, name="Jane")
    client = ClientFactory(tenant=tenant, channel=channel)
    client.tags.set([tag])
    client.speciality.set([speciality])
    client.contacts.set([contact])
    keys = json.dumps(["tags", "channel", "contacts", "speciality"])
    doc = api.get("/v1/client", {"populatedKeys": keys}).json()["data"][0]
    assert doc["channel"]["name"] == "Retail" and doc["tags"][0]["name"] == "vip"
    assert doc["speciality"][0]["name"] == "Cardiology" and doc["contacts"][0]["name"] == "Jane"
    detail = api.get(f"/v1/client/{client.pk}", {"populatedKeys": '["channel"]'}).json()
    assert detail["channel"]["_id"] == str(channel.pk)
    assert api.get("/v1/client", {"populatedKeys": '["password"]'}).status_code == 400


def test_list_query_count_is_constant_with_relations(api, tenant):
    for _ in range(5):
        client = ClientFactory(tenant=tenant, channel=ClientChannelFactory(tenant=tenant))
        client.tags.set([TagFactory(tenant=tenant) for _ in range(3)])
        client.contacts.set([ClientContactFactory(tenant=tenant)])
    api.get("/v1/client")
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/v1/client", {"per_page": 50}).json()
    assert len(body["data"]) == 5 and all(len(d["tags"]) == 3 for d in body["data"])
    # key lookup, count, one page query (relations ride along as arrays); the list's statement
    # timeout adds its transaction control (a savepoint inside the test's transaction)
    reads = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    reads = [sql for sql in reads if "set_config('statement_timeout'" not in sql]
    assert len(reads) == 3, reads


def test_service_refuses_duplicate_codes(tenant):
    client_services.create_client(tenant=tenant, data={"name": "A", "client_code": "X1"})
    with pytest.raises(Conflict):
        client_services.create_client(tenant=tenant, data={"name": "B", "client_code": "X1"})
    other = client_services.create_client(tenant=tenant, data={"name": "C"})
    with pytest.raises(Conflict):
        client_services.update_client(client=other, data={"client_code": "X1"})


def test_deep_pages_keep_order_and_relations(api, tenant):
    tags = [TagFactory(tenant=tenant) for _ in range(2)]
    for i in range(7):
        c = ClientFactory(tenant=tenant, name=f"N{i}")
        c.tags.set(tags[: i % 3])
    expected = [f"N{i}" for i in reversed(range(7))]
    got = []
    for page in (1, 2, 3, 4):
        body = api.get("/v1/client", {"sort": "name", "sortPageOrder": "desc", "per_page": 2, "page": page}).json()
        got += [(d["name"], len(d["tags"])) for d in body["data"]]
    assert [name for name, _ in got] == expected
    assert [n for _, n in got] == [int(name[1:]) % 3 for name in expected]


def test_reps_teams_and_price_list_are_tenant_references(api, tenant, other_tenant):
    rep = make_rep(tenant)
    price_list = PriceList.objects.create(tenant=tenant, name="Wholesale")
    body = {
        "name": "Ref",
        "assigned_to": [str(rep.pk)],
        "teams": [str(rep.team_id)],
        "sv_priceList": str(price_list.pk),
    }
    doc = api.post("/v1/client", body, format="json").json()
    assert doc["assigned_to"] == [str(rep.pk)] and doc["teams"] == [str(rep.team_id)]
    assert doc["sv_priceList"] == str(price_list.pk)
    listed = api.get(
        "/v1/client", {"assigned_to": str(rep.pk), "populatedKeys": '["assigned_to", "sv_priceList"]'}
    ).json()
    assert listed["total_result"] == 1
    assert (
        listed["data"][0]["assigned_to"][0]["name"] == "Omar" and "password" not in listed["data"][0]["assigned_to"][0]
    )
    assert listed["data"][0]["sv_priceList"]["name"] == "Wholesale"
    foreign = make_rep(other_tenant, name="Zed")
    r = api.post("/v1/client", {"name": "x", "assigned_to": [str(foreign.pk)]}, format="json")
    assert r.status_code == 400 and r.json()["details"][0]["path"] == "assigned_to"
    assert api.post("/v1/client", {"name": "x", "sv_priceList": "not-an-id"}, format="json").status_code == 400
    # a price list a client uses cannot be deleted; a rep leaving is pulled from the client
    assert api.delete(f"/v1/pricelist/{price_list.pk}").status_code == 409

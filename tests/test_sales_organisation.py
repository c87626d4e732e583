"""Sales organisation: reps, teams, routes, warehouses, suppliers, return and adjustment
reasons. The generic API cases per resource, then each resource's own rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError

from core.api.exceptions import Conflict
from sales.models import Rep, Route, RouteClient, Team, Warehouse
from sales.services import organisation as services
from tests.api_cases import ResourceAPICase
from tests.factories import ClientFactory
from tests.factories_sales_organisation import (
    REP_PASSWORD,
    InventoryAdjustmentReasonFactory,
    RepFactory,
    ReturnReasonFactory,
    RouteClientFactory,
    RouteFactory,
    SupplierFactory,
    TeamFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def route_with_clients(tenant, count=2, **kwargs):
    route = RouteFactory(tenant=tenant, **kwargs)
    for position in range(count):
        RouteClientFactory(route=route, client=ClientFactory(tenant=tenant), priority=position + 1, position=position)
    return route


# Generic API cases ---------------------------------------------------------------------------------
class TestTeamAPI(ResourceAPICase):
    path = "team"
    family = "D"
    create_data = {"name": "North", "disabled": False}
    update_data = {"name": "South"}
    invalid_data = [{"name": 5}, {}, {"name": ""}, {"name": "x", "disabled": "yes"}]

    def make(self, tenant, **kwargs):
        return TeamFactory(tenant=tenant, **kwargs)

    def test_list_row_equals_detail(self, api, tenant):
        # The detail adds the members (`admins`, `reps`); the rest is the list row.
        team = self.make(tenant)
        listed = [d for d in api.get(self.url, {"per_page": 100}).json()["data"] if d["_id"] == str(team.pk)]
        detail = api.get(self.detail(team.pk)).json()
        assert detail.pop("admins") == [] and detail.pop("reps") == []
        assert listed == [detail]


class TestRepAPI(ResourceAPICase):
    path = "rep"
    family = "D"
    update_data = {"name": "Renamed", "phone": "+962 7 0000"}
    invalid_data = [
        {},
        {"name": "A", "email": "a@example.test", "role": "rep"},  # no password
        {"name": "A", "email": "not-an-email", "role": "rep", "password": "pw"},
        {"name": "A", "email": "a@example.test", "password": "pw"},  # no role
        {"name": "A", "role": "rep", "password": "pw"},  # no email
        {"name": "A", "email": "a@example.test", "role": "rep", "password": 5},
        {"name": "A", "email": "a@example.test", "role": "rep", "password": "pw", "permissions": {"nope": True}},
        {
            "name": "A",
            "email": "a@example.test",
            "role": "rep",
            "password": "pw",
            "permissions": {"rep_can_add_client": 1},
        },
        {
            "name": "A",
            "email": "a@example.test",
            "role": "rep",
            "password": "pw",
            "settings": {"allowable_accuracy": -1},
        },
        {"name": "A", "email": "a@example.test", "role": "rep", "password": "pw", "team_id": "nope"},
    ]

    def get_create_data(self, tenant):
        return {
            "name": "Ann",
            "email": "ann@example.test",
            "username": "ann",
            "phone": "+962 7 1234",
            "role": "rep",
            "team_id": str(TeamFactory(tenant=tenant).pk),
            "password": "s3cret!",
            "disabled": False,
            "permissions": {"rep_can_add_client": True, "rep_can_edit_client": False},
            "settings": {"allowable_accuracy": 150},
            "integration_meta": {"erp_id": "R-1"},
            "company_namespace": [tenant.namespace],
        }

    def assert_matches(self, sent, doc):
        super().assert_matches({k: v for k, v in sent.items() if k != "password"}, doc)

    def make(self, tenant, **kwargs):
        return RepFactory(tenant=tenant, **kwargs)


class TestRouteAPI(ResourceAPICase):
    path = "route"
    family = "D"
    update_data = {"name": "Tuesday north", "day": "tue"}
    invalid_data = [
        {},
        {"name": "R", "day": "mon"},  # no rep
        {"name": "R", "rep_id": "not-an-id", "day": "mon"},
    ]

    def get_create_data(self, tenant):
        rep = RepFactory(tenant=tenant)
        clients = [ClientFactory(tenant=tenant) for _ in range(3)]
        return {
            "name": "Monday north",
            "rep_id": str(rep.pk),
            "day": "mon",
            "clients": [{"client_id": str(c.pk), "priority": i + 1} for i, c in enumerate(clients)],
            "disabled": False,
            "integration_meta": {"erp_id": "RT-1"},
            "company_namespace": [tenant.namespace],
        }

    def make(self, tenant, **kwargs):
        return route_with_clients(tenant, **kwargs)

    def test_create_rejects_bad_day(self, api, tenant):
        data = {**self.get_create_data(tenant), "day": "monday"}
        r = api.post(self.url, data, format="json")
        assert r.status_code == 400 and "day" in r.json()["error"]


class TestWarehouseAPI(ResourceAPICase):
    path = "warehouse"
    family = "D"
    create_data = {
        "name": "Main",
        "location": {"type": "Point", "coordinates": [35.9, 31.9]},
        "disabled": False,
        "integration_meta": {"erp_id": "W-1"},
        "company_namespace": ["acme"],
    }
    update_data = {"name": "Main (old)", "disabled": True}
    invalid_data = [
        {},
        {"name": 1},
        {"name": "W", "location": {"type": "Point", "coordinates": [200, 0]}},
        {"name": "W", "location": {"type": "Point", "coordinates": [0, 91]}},
        {"name": "W", "location": {"type": "Polygon", "coordinates": [0, 0]}},
        {"name": "W", "location": {"type": "Point", "coordinates": [0]}},
        {"name": "W", "location": {"type": "Point", "coordinates": ["1", "2"]}},
        {"name": "W", "location": [1, 2]},
    ]

    def make(self, tenant, **kwargs):
        return WarehouseFactory(tenant=tenant, **kwargs)


class TestSupplierAPI(ResourceAPICase):
    path = "supplier"
    family = "E"
    create_data = {
        "name": "Acme Foods",
        "email": "orders@acme-foods.test",
        "phone": "+962 6 555",
        "address": {"street": "King Hussein St", "city": "Amman"},
        "disabled": False,
        "integration_meta": {"erp_id": "S-1"},
    }
    update_data = {"phone": "+962 6 556"}
    invalid_data = [{}, {"name": ""}, {"name": "S", "email": "nope"}, {"name": "S", "address": "Amman"}]

    def make(self, tenant, **kwargs):
        return SupplierFactory(tenant=tenant, **kwargs)


class TestReturnReasonAPI(ResourceAPICase):
    path = "return-reason"
    family = "D"
    create_data = {"name": "Damaged", "local_name": "تالف", "disabled": False, "integration_meta": {"k": "v"}}
    update_data = {"local_name": "Endommagé"}
    invalid_data = [{}, {"name": ""}, {"name": "x", "local_name": 3}]

    def make(self, tenant, **kwargs):
        return ReturnReasonFactory(tenant=tenant, **kwargs)


class TestInventoryAdjustmentReasonAPI(ResourceAPICase):
    path = "inventory-adjustment-reason"
    family = "E"
    create_data = {"name": "Found in count", "type": "increase", "disabled": False}
    update_data = {"type": "decrease"}
    invalid_data = [{}, {"name": "Lost"}, {"type": "increase"}, {"name": "Lost", "type": "sideways"}]

    def make(self, tenant, **kwargs):
        return InventoryAdjustmentReasonFactory(tenant=tenant, **kwargs)


def rep_body(tenant=None, **overrides):
    body = {"name": "Ann", "email": "ann@example.test", "username": "ann", "role": "rep", "password": "s3cret!"}
    return {**body, **overrides}


def all_text(*responses) -> str:
    return " ".join(r.content.decode() for r in responses)


# Reps ---------------------------------------------------------------------------------------------
class TestRepPassword:
    def test_stored_hashed_and_never_returned(self, api, tenant):
        created = api.post("/v1/rep", rep_body(), format="json")
        assert created.status_code == 201, created.content
        rep = Rep.objects.get(pk=created.json()["_id"])
        assert rep.password != "s3cret!" and rep.password.startswith(("md5$", "pbkdf2_"))
        assert rep.check_password("s3cret!") and not rep.check_password("wrong")
        got = api.get(f"/v1/rep/{rep.pk}")
        listed = api.get("/v1/rep")
        updated = api.put(f"/v1/rep/{rep.pk}", {"phone": "1"}, format="json")
        populated = api.get("/v1/route", {"populatedKeys": "rep_id"})
        for doc in (created.json(), got.json(), listed.json()["data"][0], updated.json()):
            assert "password" not in doc
        text = all_text(created, got, listed, updated, populated)
        assert "s3cret!" not in text and rep.password not in text and "md5$" not in text

    def test_update_without_password_keeps_the_hash_and_with_one_rehashes(self, api, tenant):
        rep = RepFactory(tenant=tenant)
        old_hash = rep.password
        assert api.put(f"/v1/rep/{rep.pk}", {"name": "New name"}, format="json").status_code == 200
        rep.refresh_from_db()
        assert rep.password == old_hash and rep.check_password(REP_PASSWORD)
        assert api.put(f"/v1/rep/{rep.pk}", {"password": "another-one"}, format="json").status_code == 200
        rep.refresh_from_db()
        assert rep.password != old_hash
        assert rep.check_password("another-one") and not rep.check_password(REP_PASSWORD)

    def test_blank_or_missing_password_is_refused(self, api, tenant):
        assert api.post("/v1/rep", rep_body(password=""), format="json").status_code == 400
        rep = RepFactory(tenant=tenant)
        assert api.put(f"/v1/rep/{rep.pk}", {"password": ""}, format="json").status_code == 400
        with pytest.raises(ValidationError):
            services.create_rep(tenant=tenant, data={"name": "A", "email": "a@example.test", "role": "rep"})

    def test_service_hashes(self, tenant):
        rep = services.create_rep(
            tenant=tenant, data={"name": "A", "email": "a@example.test", "role": "rep", "password": "pw-1"}
        )
        assert rep.password != "pw-1" and rep.check_password("pw-1")
        services.update_rep(rep=rep, data={"name": "B"})
        assert Rep.objects.get(pk=rep.pk).check_password("pw-1")


class TestRepIdentity:
    def test_email_unique_per_tenant_case_insensitive(self, api, other_api, tenant):
        assert api.post("/v1/rep", rep_body(), format="json").status_code == 201
        r = api.post("/v1/rep", rep_body(email="ANN@Example.TEST", username="ann2"), format="json")
        assert r.status_code == 409 and "email" in r.json()["error"]
        assert Rep.objects.filter(tenant=tenant).count() == 1
        # another tenant may use the same email and username
        assert other_api.post("/v1/rep", rep_body(), format="json").status_code == 201

    def test_username_unique_per_tenant(self, api, tenant):
        assert api.post("/v1/rep", rep_body(), format="json").status_code == 201
        r = api.post("/v1/rep", rep_body(email="other@example.test", username="ANN"), format="json")
        assert r.status_code == 409 and "username" in r.json()["error"] and "email" not in r.json()["error"]
        # an empty username is "none": many reps may have it
        for i in range(2):
            body = rep_body(email=f"x{i}@example.test", username="")
            assert api.post("/v1/rep", body, format="json").status_code == 201

    def test_update_into_a_taken_identity_is_409_and_own_identity_is_fine(self, api, tenant):
        RepFactory(tenant=tenant, email="taken@example.test", username="taken")
        rep = RepFactory(tenant=tenant, email="mine@example.test", username="mine")
        r = api.put(f"/v1/rep/{rep.pk}", {"email": "Taken@example.test"}, format="json")
        assert r.status_code == 409 and "email" in r.json()["error"]
        r = api.put(f"/v1/rep/{rep.pk}", {"username": "taken"}, format="json")
        assert r.status_code == 409 and "username" in r.json()["error"]
        r = api.put(f"/v1/rep/{rep.pk}", {"email": "MINE@example.test", "username": "mine"}, format="json")
        assert r.status_code == 200

    def test_service_refuses_duplicates(self, tenant):
        RepFactory(tenant=tenant, email="a@example.test")
        with pytest.raises(Conflict) as exc:
            services.create_rep(
                tenant=tenant, data={"name": "A", "email": "A@example.test", "role": "rep", "password": "pw"}
            )
        assert "email" in str(exc.value.detail)


class TestRepDocument:
    def test_permissions_render_the_four_flags_and_merge_on_update(self, api, tenant):
        body = rep_body(permissions={"rep_can_add_client": True}, settings={"allowable_accuracy": 50})
        doc = api.post("/v1/rep", body, format="json").json()
        assert doc["permissions"] == {
            "rep_can_add_calendar": False,
            "rep_can_add_client": True,
            "rep_can_edit_calendar": False,
            "rep_can_edit_client": False,
        }
        assert doc["settings"] == {"allowable_accuracy": 50}
        doc = api.put(f"/v1/rep/{doc['_id']}", {"permissions": {"rep_can_edit_client": True}}, format="json").json()
        assert doc["permissions"]["rep_can_add_client"] is True and doc["permissions"]["rep_can_edit_client"] is True

    def test_defaults(self, api, tenant):
        doc = api.post("/v1/rep", rep_body(), format="json").json()
        assert set(doc["permissions"]) == set(services.REP_PERMISSION_FLAGS)
        assert not any(doc["permissions"].values())
        assert doc["settings"] == {"allowable_accuracy": None}
        assert doc["team_id"] is None and doc["disabled"] is False

    def test_team_of_another_tenant_is_refused(self, api, tenant, other_tenant):
        foreign = TeamFactory(tenant=other_tenant)
        r = api.post("/v1/rep", rep_body(team_id=str(foreign.pk)), format="json")
        assert r.status_code == 400 and "team_id" in r.json()["error"]
        rep = RepFactory(tenant=tenant)
        r = api.put(f"/v1/rep/{rep.pk}", {"team_id": str(foreign.pk)}, format="json")
        assert r.status_code == 400
        rep.team = foreign
        with pytest.raises(ValidationError):
            services.save_rep(rep=rep)

    def test_populate_and_filter_team(self, api, tenant):
        team = TeamFactory(tenant=tenant, name="North")
        member = RepFactory(tenant=tenant, team=team)
        RepFactory(tenant=tenant)
        body = api.get("/v1/rep", {"team_id": str(team.pk), "populatedKeys": "team_id"}).json()
        assert [d["_id"] for d in body["data"]] == [str(member.pk)]
        assert body["data"][0]["team_id"]["name"] == "North"
        doc = api.get(f"/v1/rep/{member.pk}", {"populatedKeys": ["team_id"]}).json()
        assert doc["team_id"]["_id"] == str(team.pk)
        assert api.get("/v1/rep", {"search": member.email}).json()["total_result"] == 1

    def test_team_can_be_cleared(self, api, tenant):
        rep = RepFactory(tenant=tenant, team=TeamFactory(tenant=tenant))
        assert api.put(f"/v1/rep/{rep.pk}", {"team_id": None}, format="json").json()["team_id"] is None

    def test_delete_of_a_rep_on_a_route_is_409_naming_it(self, api, tenant):
        rep = RepFactory(tenant=tenant)
        spare = RepFactory(tenant=tenant)
        RouteFactory(tenant=tenant, rep=rep, name="Monday north")
        r = api.delete(f"/v1/rep/{rep.pk}")
        assert r.status_code == 409
        assert "route" in r.json()["error"] and "Monday north" in r.json()["error"]
        assert Rep.objects.filter(pk=rep.pk).exists()
        with pytest.raises(Conflict):
            services.delete_row(instance=rep)
        assert api.delete(f"/v1/rep/{spare.pk}").status_code == 200

    def test_a_blocking_row_deleted_meanwhile_is_named_by_its_id(self, tenant):
        """Two deletes at once (schema fuzzing with two workers): the route that blocked the rep
        is gone by the time the 409 names it. That was a 500 (the name loaded per row)."""
        from django.db.models import ProtectedError

        rep = RepFactory(tenant=tenant)
        gone = RouteFactory(tenant=tenant, rep=rep, name="Gone")
        RouteFactory(tenant=tenant, rep=rep, name="Kept")
        blocking = list(Route.objects.filter(rep=rep).only("pk"))  # as the deletion collector loads them
        Route.objects.filter(pk=gone.pk).delete()
        message = services._referenced_by(ProtectedError("protected", blocking))
        assert message.startswith("2 route (") and "Kept" in message and str(gone.pk) in message


# Teams --------------------------------------------------------------------------------------------
class TestTeamMembers:
    def test_detail_lists_members_and_admins(self, api, tenant):
        team = TeamFactory(tenant=tenant)
        boss = RepFactory(tenant=tenant, team=team, name="Ann", role="Admin", username="ann")
        worker = RepFactory(tenant=tenant, team=team, name="Bob", role="rep", username="")
        RepFactory(tenant=tenant, name="Outsider", role="admin")  # no team
        RepFactory(tenant=tenant, team=TeamFactory(tenant=tenant), role="admin")  # another team
        doc = api.get(f"/v1/team/{team.pk}").json()
        assert doc["reps"] == [
            {"_id": str(boss.pk), "name": "Ann", "email": boss.email, "username": "ann"},
            {"_id": str(worker.pk), "name": "Bob", "email": worker.email, "username": ""},
        ]
        assert doc["admins"] == [doc["reps"][0]]
        assert "reps" not in api.get("/v1/team").json()["data"][0]

    def test_writes_answer_the_plain_document(self, api, tenant):
        team = TeamFactory(tenant=tenant)
        for r in (
            api.post("/v1/team", {"name": "T"}, format="json"),
            api.put(f"/v1/team/{team.pk}", {}, format="json"),
        ):
            assert "admins" not in r.json() and "reps" not in r.json()

    def test_sdk_alias(self, api, tenant):
        team = TeamFactory(tenant=tenant)
        assert api.get("/teams").json()["total_result"] == 1
        assert api.get(f"/v1/teams/{team.pk}").json()["reps"] == []
        assert api.post("/teams", {"name": "Via SDK"}, format="json").status_code == 201

    def test_delete_of_a_team_with_reps_is_409(self, api, tenant):
        team = TeamFactory(tenant=tenant)
        RepFactory(tenant=tenant, team=team, name="Ann")
        r = api.delete(f"/v1/team/{team.pk}")
        assert r.status_code == 409 and "Ann" in r.json()["error"]
        assert Team.objects.filter(pk=team.pk).exists()

    def test_service(self, tenant, other_tenant):
        team = TeamFactory(tenant=tenant)
        RepFactory(tenant=tenant, team=team, role="admin")
        assert len(services.team_members(tenant=tenant, team_id=team.pk)["admins"]) == 1
        assert services.team_members(tenant=other_tenant, team_id=team.pk) == {"admins": [], "reps": []}


# Routes -------------------------------------------------------------------------------------------
def route_body(tenant, clients, **overrides):
    rep = overrides.pop("rep", None) or RepFactory(tenant=tenant)
    return {"name": "Monday", "rep_id": str(rep.pk), "day": "mon", "clients": clients, **overrides}


class TestRouteClients:
    def test_order_and_priorities_are_kept(self, api, tenant):
        a, b, c = (ClientFactory(tenant=tenant) for _ in range(3))
        clients = [
            {"client_id": str(c.pk), "priority": 7},
            {"client_id": str(a.pk), "priority": 2},
            {"client_id": str(b.pk), "priority": 0},
        ]
        r = api.post("/v1/route", route_body(tenant, clients), format="json")
        assert r.status_code == 201, r.content
        assert r.json()["clients"] == clients
        route_id = r.json()["_id"]
        assert api.get(f"/v1/route/{route_id}").json()["clients"] == clients
        assert api.get("/v1/route").json()["data"][0]["clients"] == clients
        stops = RouteClient.objects.filter(route_id=route_id).order_by("position")
        assert [(s.client_id, s.priority) for s in stops] == [(c.pk, 7), (a.pk, 2), (b.pk, 0)]

    def test_missing_priorities_are_numbered_by_position(self, api, tenant):
        a, b, c = (ClientFactory(tenant=tenant) for _ in range(3))
        r = api.post("/v1/route", route_body(tenant, [{"client_id": str(x.pk)} for x in (a, b, c)]), format="json")
        assert [x["priority"] for x in r.json()["clients"]] == [1, 2, 3]
        mixed = [{"client_id": str(a.pk)}, {"client_id": str(b.pk), "priority": 5}, {"client_id": str(c.pk)}]
        r = api.put(f"/v1/route/{r.json()['_id']}", {"clients": mixed}, format="json")
        assert [x["priority"] for x in r.json()["clients"]] == [6, 5, 7]

    def test_duplicate_client_is_400_naming_it(self, api, tenant):
        a, b = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
        clients = [{"client_id": str(a.pk)}, {"client_id": str(b.pk)}, {"client_id": str(a.pk)}]
        r = api.post("/v1/route", route_body(tenant, clients), format="json")
        assert r.status_code == 400 and "clients[2].client_id" in r.json()["error"]
        assert not Route.objects.exists()

    def test_duplicate_priority_is_400(self, api, tenant):
        a, b = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
        clients = [{"client_id": str(a.pk), "priority": 1}, {"client_id": str(b.pk), "priority": 1}]
        r = api.post("/v1/route", route_body(tenant, clients), format="json")
        assert r.status_code == 400 and "clients[1].priority" in r.json()["error"]

    @pytest.mark.parametrize(
        ("item", "path"),
        [
            ({"client_id": "nope"}, "clients[0].client_id"),
            ({"client_id": 5}, "clients[0].client_id"),
            ({}, "clients[0].client_id"),
            ("x", "clients[0]"),
            ({"client_id": None, "priority": 1}, "clients[0].client_id"),
            ({"client_id": "CLIENT", "priority": -1}, "clients[0].priority"),
            ({"client_id": "CLIENT", "priority": 1.5}, "clients[0].priority"),
            ({"client_id": "CLIENT", "priority": "1"}, "clients[0].priority"),
            ({"client_id": "CLIENT", "priority": True}, "clients[0].priority"),
            ({"client_id": "CLIENT", "extra": 1}, "clients[0].extra"),
        ],
    )
    def test_bad_items_are_400_with_their_path(self, api, tenant, item, path):
        client = ClientFactory(tenant=tenant)
        if isinstance(item, dict) and item.get("client_id") == "CLIENT":
            item = {**item, "client_id": str(client.pk)}
        r = api.post("/v1/route", route_body(tenant, [item]), format="json")
        assert r.status_code == 400 and path in r.json()["error"], r.content
        assert api.post("/v1/route", route_body(tenant, {"client_id": "x"}), format="json").status_code == 400

    def test_client_or_rep_of_another_tenant_is_refused(self, api, tenant, other_tenant):
        foreign = ClientFactory(tenant=other_tenant)
        r = api.post("/v1/route", route_body(tenant, [{"client_id": str(foreign.pk)}]), format="json")
        assert r.status_code == 400 and "clients[0].client_id" in r.json()["error"]
        r = api.post("/v1/route", route_body(tenant, [], rep=RepFactory(tenant=other_tenant)), format="json")
        assert r.status_code == 400 and "rep_id" in r.json()["error"]
        assert not Route.objects.exists()
        route = RouteFactory(tenant=tenant)
        with pytest.raises(ValidationError):
            services.set_route_clients(route=route, entries=[{"client": foreign, "priority": None}])
        with pytest.raises(ValidationError):
            services.update_route(route=route, data={"rep": RepFactory(tenant=other_tenant)})

    def test_update_replaces_the_list_only_when_given(self, api, tenant):
        route = route_with_clients(tenant, count=3)
        before = api.get(f"/v1/route/{route.pk}").json()["clients"]
        r = api.put(f"/v1/route/{route.pk}", {"name": "Renamed"}, format="json")
        assert r.json()["clients"] == before
        newcomer = ClientFactory(tenant=tenant)
        kept = before[2]["client_id"]
        body = {"clients": [{"client_id": str(newcomer.pk), "priority": 1}, {"client_id": kept, "priority": 2}]}
        r = api.patch(f"/v1/route/{route.pk}", body, format="json")
        assert r.json()["clients"] == body["clients"]
        assert r.json()["__v"] == 2
        assert api.put(f"/v1/route/{route.pk}", {"clients": []}, format="json").json()["clients"] == []
        assert not RouteClient.objects.filter(route=route).exists()

    def test_filters_and_populate(self, api, tenant):
        rep = RepFactory(tenant=tenant, name="Ann")
        mine = RouteFactory(tenant=tenant, rep=rep, day="sun")
        RouteFactory(tenant=tenant, rep=rep, day="mon")
        RouteFactory(tenant=tenant, day="sun")
        body = api.get("/v1/route", {"rep_id": str(rep.pk), "day": "sun", "populatedKeys": "rep_id"}).json()
        assert [d["_id"] for d in body["data"]] == [str(mine.pk)]
        assert body["data"][0]["rep_id"]["name"] == "Ann" and "password" not in body["data"][0]["rep_id"]

    def test_list_query_count_is_constant_with_many_clients(self, api, tenant):
        route_with_clients(tenant, count=1)
        api.get("/v1/route")
        with CaptureQueriesContext(connection) as few:
            api.get("/v1/route")
        for _ in range(5):
            route_with_clients(tenant, count=6)
        with CaptureQueriesContext(connection) as many:
            body = api.get("/v1/route").json()
        assert len(many) == len(few)
        assert sum(len(d["clients"]) for d in body["data"]) == 31

    def test_deleting_the_route_drops_its_stops_not_the_clients(self, api, tenant):
        route = route_with_clients(tenant, count=2)
        client_ids = list(route.stops.values_list("client_id", flat=True))
        assert api.delete(f"/v1/route/{route.pk}").json()["clients"][0]["client_id"] == str(client_ids[0])
        assert not RouteClient.objects.exists()
        assert len(client_ids) == 2 and ClientFactory._meta.model.objects.filter(pk__in=client_ids).count() == 2

    def test_a_client_on_a_route_cannot_be_deleted(self, api, tenant):
        route = route_with_clients(tenant, count=1)
        stop = route.stops.get()
        assert api.delete(f"/v1/client/{stop.client_id}").status_code == 409

    def test_number_priorities(self):
        assert services.number_priorities([{"priority": None}, {"priority": None}]) == [1, 2]
        assert services.number_priorities([{"priority": 0}, {"priority": None}]) == [0, 1]
        assert services.number_priorities([{"priority": None}, {"priority": 9}]) == [10, 9]


# Warehouses ---------------------------------------------------------------------------------------
class TestWarehouseLocation:
    def test_location_is_a_geojson_point(self, api, tenant):
        r = api.post("/v1/warehouse", {"name": "W", "location": {"coordinates": [-180, 90]}}, format="json")
        assert r.status_code == 201
        assert r.json()["location"] == {"type": "Point", "coordinates": [-180, 90]}
        r = api.post("/v1/warehouse", {"name": "No location"}, format="json")
        assert r.json()["location"] is None
        r = api.put(f"/v1/warehouse/{r.json()['_id']}", {"location": {"coordinates": [200, 0]}}, format="json")
        assert r.status_code == 400 and "location.coordinates[0]" in r.json()["error"]
        r = api.post("/v1/warehouse", {"name": "W", "location": {"coordinates": [0, -91]}}, format="json")
        assert r.status_code == 400 and "location.coordinates[1]" in r.json()["error"]

    def test_service_checks_and_normalises(self, tenant):
        warehouse = services.create_warehouse(tenant=tenant, data={"name": "W", "location": {"coordinates": [1, 2]}})
        assert warehouse.location == {"type": "Point", "coordinates": [1, 2]}
        with pytest.raises(ValidationError):
            services.update_warehouse(warehouse=warehouse, data={"location": {"type": "Point", "coordinates": [1]}})
        assert Warehouse.objects.get(pk=warehouse.pk).location["coordinates"] == [1, 2]

    def test_warehouses_are_per_tenant(self, api, other_api, tenant):
        WarehouseFactory(tenant=tenant, name="Mine")
        assert other_api.get("/v1/warehouse").json()["total_result"] == 0
        assert api.get("/v1/warehouse", {"name": "Mine"}).json()["total_result"] == 1


# Suppliers and reasons -----------------------------------------------------------------------------
def test_supplier_requires_a_name_and_a_valid_email(api, tenant):
    r = api.post("/v1/supplier", {"email": "a@example.test"}, format="json")
    assert r.status_code == 400 and "name" in r.json()["error"]
    r = api.post("/v1/supplier", {"name": "S", "email": "nope"}, format="json")
    assert r.status_code == 400 and "email" in r.json()["error"]
    body = api.post("/v1/supplier", {"name": "S"}, format="json").json()
    assert set(body["data"]) == {
        "_id", "name", "email", "phone", "address", "disabled", "integration_meta", "createdAt", "updatedAt",
    }  # fmt: skip


def test_inventory_adjustment_reason_type_is_required_and_filterable(api, tenant):
    r = api.post("/v1/inventory-adjustment-reason", {"name": "Lost"}, format="json")
    assert r.status_code == 400 and "type" in r.json()["error"]
    InventoryAdjustmentReasonFactory(tenant=tenant, type="decrease")
    InventoryAdjustmentReasonFactory(tenant=tenant, type="increase")
    body = api.get("/v1/inventory-adjustment-reason", {"type": "decrease"}).json()
    assert [d["type"] for d in body["data"]] == ["decrease"]
    assert set(body["data"][0]) == {"_id", "name", "type", "disabled", "createdAt", "updatedAt"}


def test_return_reason_document(api, tenant):
    doc = api.post("/v1/return-reason", {"name": "Expired", "local_name": "منتهي"}, format="json").json()
    assert set(doc) == {
        "_id", "name", "local_name", "disabled", "integration_meta", "company_namespace", "createdAt", "updatedAt",
        "__v",
    }  # fmt: skip


# Admin --------------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant):
    from django.contrib.auth.models import Permission

    from core.models import User

    user = User.objects.create_user(username="staff", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["sales", "clients"]))
    return user


def form_errors(response):
    context = response.context
    if not context:
        return ""
    errors = [str(context["adminform"].form.errors)]
    errors += [
        str(f.formset.non_form_errors()) + str(f.formset.errors) for f in context.get("inline_admin_formsets", [])
    ]
    return " ".join(errors)


REP_FORM = {
    "name": "Ann",
    "email": "ann@example.test",
    "username": "ann",
    "phone": "",
    "role": "rep",
    "permissions": "{}",
    "settings": "{}",
    "integration_meta": "{}",
    "_save": "Save",
}


class TestAdmin:
    @pytest.mark.parametrize(
        "model", ["rep", "team", "route", "warehouse", "supplier", "returnreason", "inventoryadjustmentreason"]
    )
    def test_pages_render(self, client, staff, tenant, model):
        route = route_with_clients(tenant, count=1)
        rows = {
            "rep": route.rep,
            "team": TeamFactory(tenant=tenant),
            "route": route,
            "warehouse": WarehouseFactory(tenant=tenant),
            "supplier": SupplierFactory(tenant=tenant),
            "returnreason": ReturnReasonFactory(tenant=tenant),
            "inventoryadjustmentreason": InventoryAdjustmentReasonFactory(tenant=tenant),
        }
        client.force_login(staff)
        assert client.get(f"/admin/sales/{model}/").status_code == 200
        assert client.get(f"/admin/sales/{model}/add/").status_code == 200
        page = client.get(f"/admin/sales/{model}/{rows[model].pk}/change/")
        assert page.status_code == 200
        if model == "rep":
            assert route.rep.password not in page.text

    def test_rep_added_with_a_hashed_password_and_unique_email(self, client, staff, tenant):
        client.force_login(staff)
        response = client.post("/admin/sales/rep/add/", {**REP_FORM, "new_password": "typed-pw"})
        assert response.status_code == 302, form_errors(response)
        rep = Rep.objects.get(email="ann@example.test")
        assert rep.tenant == tenant and rep.check_password("typed-pw") and rep.password != "typed-pw"
        assert set(rep.permissions) == set(services.REP_PERMISSION_FLAGS)
        # no password on add: refused; same email (other case): refused
        response = client.post("/admin/sales/rep/add/", {**REP_FORM, "email": "x@example.test", "username": "x"})
        assert response.status_code == 200 and "needs a password" in form_errors(response)
        response = client.post(
            "/admin/sales/rep/add/", {**REP_FORM, "email": "ANN@example.test", "username": "", "new_password": "p"}
        )
        assert response.status_code == 200 and "already exists" in form_errors(response)
        # change without a password keeps it
        response = client.post(f"/admin/sales/rep/{rep.pk}/change/", {**REP_FORM, "name": "Ann B"})
        assert response.status_code == 302, form_errors(response)
        rep.refresh_from_db()
        assert rep.name == "Ann B" and rep.check_password("typed-pw")

    def test_route_clients_inline_follows_the_rules(self, client, staff, tenant):
        rep = RepFactory(tenant=tenant)
        a, b = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
        client.force_login(staff)

        def post(rows):
            data = {
                "name": "Admin route",
                "rep": str(rep.pk),
                "day": "wed",
                "integration_meta": "{}",
                "stops-TOTAL_FORMS": str(len(rows)),
                "stops-INITIAL_FORMS": "0",
                "stops-MIN_NUM_FORMS": "0",
                "stops-MAX_NUM_FORMS": "1000",
                "_save": "Save",
            }
            for i, (client_row, priority) in enumerate(rows):
                data[f"stops-{i}-client"] = str(client_row.pk)
                data[f"stops-{i}-priority"] = "" if priority is None else str(priority)
            return client.post("/admin/sales/route/add/", data)

        response = post([(a, 1), (a, 2)])
        assert response.status_code == 200 and "duplicate" in form_errors(response).lower()
        response = post([(a, 1), (b, 1)])
        assert response.status_code == 200 and "duplicate" in form_errors(response).lower()
        assert not Route.objects.exists()
        response = post([(b, None), (a, 4)])
        assert response.status_code == 302, form_errors(response)
        route = Route.objects.get()
        assert route.tenant == tenant
        assert services.route_clients(route) == [
            {"client_id": str(b.pk), "priority": 5},
            {"client_id": str(a.pk), "priority": 4},
        ]

    def test_warehouse_location_is_checked(self, client, staff, tenant):
        client.force_login(staff)
        data = {"name": "W", "integration_meta": "{}", "_save": "Save"}
        response = client.post("/admin/sales/warehouse/add/", {**data, "location": '{"coordinates": [0, 95]}'})
        assert response.status_code == 200 and "Latitude" in form_errors(response)
        response = client.post("/admin/sales/warehouse/add/", {**data, "location": '{"coordinates": [10, 20]}'})
        assert response.status_code == 302, form_errors(response)
        assert Warehouse.objects.get().location == {"type": "Point", "coordinates": [10, 20]}

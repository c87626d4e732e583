"""Generic checks of lookup lists whose names are unique per tenant in any case
(core/uniqueness.py), mixed into ResourceAPICase: a create or update that takes a name
another row has is a 409 in the resource's error shape naming that row's `_id`."""

import pytest

# The lookup lists (README "Lookup lists"): rows that are a label other rows refer to by name.
LOOKUP_LISTS = {
    "tag", "client-channel", "speciality",
    "product-category", "product-brand", "product-group",
    "tax", "measure-unit", "measureunitfamily",
    "team", "return-reason", "inventory-adjustment-reason", "banks",
}  # fmt: skip


class UniqueNameCase:
    """Needs ResourceAPICase's helpers (url, detail, doc, make, model, operations)."""

    def _conflict(self, response, owner_id):
        assert response.status_code == 409, (response.status_code, response.content[:300])
        body = response.json()
        assert body["success"] is False and owner_id in body["error"]
        assert [(d["path"], d["code"], d["_id"]) for d in body["details"]] == [("name", "unique", owner_id)]

    def test_names_are_unique_per_tenant_in_any_case(self, api, other_api, tenant, other_tenant):
        if self.path not in LOOKUP_LISTS:
            pytest.skip("not a lookup list")
        data = self.get_create_data(tenant)
        first = api.post(self.url, data, format="json")
        assert first.status_code == 201, first.content
        owner = self.doc(first.json())["_id"]
        before = self.count_in(tenant)
        for name in (data["name"], data["name"].upper(), data["name"].lower(), data["name"].swapcase()):
            self._conflict(api.post(self.url, {**data, "name": name}, format="json"), owner)
        assert self.count_in(tenant) == before
        if "update" not in self.operations:
            return
        # another tenant has names of its own
        foreign = self.make(other_tenant)
        r = other_api.patch(self.detail(foreign.pk), {"name": data["name"]}, format="json")
        assert r.status_code == 200, r.content
        other = self.make(tenant)
        self._conflict(api.patch(self.detail(other.pk), {"name": data["name"].upper()}, format="json"), owner)
        other.refresh_from_db()
        assert other.name.lower() != data["name"].lower()
        # a row may change the case of its own name
        r = api.patch(self.detail(owner), {"name": data["name"].upper()}, format="json")
        assert r.status_code == 200, r.content
        assert self.doc(r.json())["name"] == data["name"].upper()

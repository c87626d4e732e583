"""Generic API tests for any resource (NetBox's APIViewTestCases idea).

A resource's test class names its path, family, documented operations, a factory and a few
bodies; it then gets: list envelope and paging, get, create (201), update by PUT and by PATCH,
delete, bulk remove, 405 on undocumented methods, 401 without a key, 404 across tenants and
for non-UUID ids, 400/422 on bad input, the list row equal to the detail document, and a
query count that does not grow with the page size.

    class TestTagAPI(ResourceAPICase):
        path = "tag"
        family = "D"
        operations = {"list", "create", "retrieve", "update", "destroy"}
        create_data = {"name": "VIP"}
        update_data = {"name": "Gold"}
        invalid_data = [{"name": 5}, {}]

        def make(self, tenant, **kwargs):
            return TagFactory(tenant=tenant, **kwargs)
"""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.api_cases_names import UniqueNameCase
from tests.api_cases_sorting import SortAndPagingCase

ALL = {"list", "create", "retrieve", "update", "destroy"}

LIST_KEYS = {
    "A": {"success", "data", "total"},
    "B": {"success", "data", "paging"},
    "C": {"success", "data", "pagination"},
    "D": {
        "data",
        "total_result",
        "current_count",
        "total_pages",
        "current_page",
        "per_page",
        "first_page_url",
        "last_page_url",
        "next_page_url",
        "prev_page_url",
        "path",
    },
    "D-": {"data", "total_result", "current_count", "total_pages", "current_page", "per_page"},
    "E": {"data", "meta"},
    "F": {"success", "result", "pagination"},
}


def list_items(family, body):
    return body["result"] if family == "F" else body["data"]


def list_total(family, body):
    return {
        "A": lambda: body["total"],
        "B": lambda: body["paging"]["total"],
        "C": lambda: body["pagination"]["total"],
        "D": lambda: body["total_result"],
        "D-": lambda: body["total_result"],
        "E": lambda: body["meta"]["total"],
        "F": lambda: body["pagination"]["total"],
    }[family]()


def one(family, body):
    if family in ("D", "D-"):
        return body
    if family == "F":
        assert body["success"] is True
        return body["result"]
    if family in ("A", "B", "C"):
        assert body["success"] is True
    return body["data"]


JUNK_VALUES = [None, [], {}, "x" * 5000, "nul\u0000byte", 10**30, -1.5, True, {"nested": {"deep": [1, 2]}}]
JUNK_PARAMS = {
    "page": ["abc", "-1", "99999999999999999999", "1e3"],
    "per_page": ["0", "x", "1000000"],
    "limit": ["0", "-5", "abc"],
    "offset": ["-1", "x"],
    "sort": ["no_such", "-", "name;drop"],
    "sortBy": ["{", "[1]", '[{"field": 1}]', '[{"a": "asc", "b": "desc"}]', "null"],
    "_id": ["[", '[{"x":1}]', "nul\u0000", "not-a-uuid"],
    "from__id": ["x", ""],
    "from_updatedAt": ["1e30", "-1e30", "nan", "2024-13-45", "inf"],
    "to_createdAt": ["abc"],
    "search": ["nul\u0000byte", "%_%", "x" * 3000],
    "filter": ["[]", '{"no_such": 1}', '{"_id": {"$gt": 1}}', "nul\u0000"],
    "populatedKeys": ["[", '["no_such"]', "[1]"],
    "disabled": ["maybe"],
    "company_namespace": ['["a", 1]'],
}
# JSON inside query parameters that the decoder must refuse (400), not choke on (500).
DEEP = "[" * 5000 + "]" * 5000
JUNK_JSON_PARAMS = {
    "filter": ['{"name": ' + DEEP + "}", '{"name": "\\ud800"}', '{"_id": "\\udfff"}'],
    "sortBy": [DEEP, '[{"\\ud800": "asc"}]'],
    "_id": [DEEP, '["\\ud800"]'],
    "populatedKeys": [DEEP, '["\\ud800"]'],
}
# Raw JSON values (not expressible as Python values the test client would encode) that a body
# must not be able to smuggle into the database or the renderer: lone surrogates, nesting
# deeper than any document may be stored, JSON's non-numbers.
RAW_JUNK = ['"\\ud800"', '{"a": "\\udfff"}', '{"\\ud83d": 1}', "[" * 300 + "]" * 300, "NaN", "-Infinity"]


def raw_body(base: dict, name: str, raw: str) -> str:
    return json.dumps({**base, name: "__JUNK__"}).replace('"__JUNK__"', raw)


class GarbageInputCase:
    """Mixed into ResourceAPICase: nothing a client sends may cause a 500."""

    def test_garbage_bodies_never_500(self, api, tenant):
        if "create" not in self.operations:
            pytest.skip("no create")
        from django.urls import resolve

        serializer = resolve(self.url).func.cls.serializer_class(context={"tenant": tenant})
        writable = [name for name, field in serializer.fields.items() if not field.read_only]
        base = self.get_create_data(tenant)
        for name in writable:
            for junk in JUNK_VALUES:
                r = api.post(self.url, {**base, name: junk}, format="json")
                assert r.status_code < 500, (name, junk, r.status_code, r.content[:300])

    def test_malformed_json_bodies_are_400_and_store_nothing(self, api, tenant):
        if "create" not in self.operations:
            pytest.skip("no create")
        from django.urls import resolve

        serializer = resolve(self.url).func.cls.serializer_class(context={"tenant": tenant})
        writable = [name for name, field in serializer.fields.items() if not field.read_only]
        base = self.get_create_data(tenant)
        before = self.count_in(tenant)
        for name in writable:
            for raw in RAW_JUNK:
                r = api.post(self.url, raw_body(base, name, raw), content_type="application/json")
                assert r.status_code == 400, (name, raw[:20], r.status_code, r.content[:300])
                assert r.json()["success"] is False
        assert self.count_in(tenant) == before

    def test_garbage_updates_never_500_and_the_row_still_renders(self, api, tenant):
        if "update" not in self.operations:
            pytest.skip("no update")
        from django.urls import resolve

        obj = self.make(tenant)
        serializer = resolve(self.url).func.cls.serializer_class(context={"tenant": tenant})
        writable = [name for name, field in serializer.fields.items() if not field.read_only]
        for name in writable:
            for junk in JUNK_VALUES:
                r = api.patch(self.detail(obj.pk), {name: junk}, format="json")
                assert r.status_code < 500, (name, junk, r.status_code, r.content[:300])
            for raw in RAW_JUNK:
                r = api.put(self.detail(obj.pk), raw_body({}, name, raw), content_type="application/json")
                assert r.status_code == 400, (name, raw[:20], r.status_code, r.content[:300])
        if "retrieve" in self.operations:
            assert api.get(self.detail(obj.pk)).status_code == 200
        if "list" in self.operations:
            assert api.get(self.url, {"per_page": 1000}).status_code == 200

    def test_big_integers_in_json_fields_round_trip(self, api, tenant):
        """JSON allows integers beyond 64 bits; a free JSON field stores them and every page
        that shows the row still renders."""
        if "update" not in self.operations or "integration_meta" not in self.registry_names():
            pytest.skip("no writable integration_meta")
        obj = self.make(tenant)
        meta = {"erp_id": 123456789012345678901234567890, "neg": -(2**64)}
        r = api.patch(self.detail(obj.pk), {"integration_meta": meta}, format="json")
        assert r.status_code == 200, r.content
        assert self.doc(r.json())["integration_meta"] == meta
        if "list" in self.operations:
            listed = list_items(self.family, api.get(self.url, {"_id": str(obj.pk)}).json())
            assert [d["integration_meta"] for d in listed] == [meta]
        if "retrieve" in self.operations:
            assert self.doc(api.get(self.detail(obj.pk)).json())["integration_meta"] == meta

    def test_garbage_list_parameters_never_500(self, api, tenant):
        if "list" not in self.operations:
            pytest.skip("no list")
        self.make(tenant)
        for name, values in JUNK_PARAMS.items():
            for value in values:
                r = api.get(self.url, {name: value})
                assert r.status_code < 500, (name, value, r.status_code, r.content[:300])
        for name, values in JUNK_JSON_PARAMS.items():
            for value in values:
                r = api.get(self.url, {name: value})
                assert r.status_code == 400, (name, value[:30], r.status_code, r.content[:300])
        # ranges on every number, date and time field: non-numbers and overflows are 400
        from core.api import registry as reg

        for name, info in self.registry().fields.items():
            if info.orm_path is None or info.kind not in (reg.NUMBER, reg.INTEGER, reg.DATETIME, reg.DATE):
                continue
            for value in ("nan", "inf", "-Infinity", "1e400", "x"):
                r = api.get(self.url, {f"from_{name}": value})
                assert r.status_code == 400, (name, value, r.status_code, r.content[:300])
            r = api.get(self.url, {"filter": json.dumps({name: "nan"})})
            assert r.status_code < 500, (name, r.status_code, r.content[:300])


@pytest.mark.django_db
class ResourceAPICase(GarbageInputCase, SortAndPagingCase, UniqueNameCase):
    path: str = ""
    family: str = "D"
    operations: set = ALL
    create_data: dict = {}
    update_data: dict = {}
    invalid_data: list = []  # bodies that must be refused on create
    compare_fields: tuple = ()  # fields of create_data to check in the answer (default: all scalars)

    # --- to provide -------------------------------------------------------------------------
    def make(self, tenant, **kwargs):
        raise NotImplementedError

    def get_create_data(self, tenant):
        return dict(self.create_data)

    # --- helpers -------------------------------------------------------------------------------
    @property
    def url(self):
        return f"/v1/{self.path}"

    def detail(self, pk):
        return f"/v1/{self.path}/{pk}"

    def doc(self, body):
        return one(self.family, body)

    @property
    def validation_status(self):
        return 422 if self.family == "B" else 400

    def assert_matches(self, sent: dict, doc: dict):
        for key, value in sent.items():
            if self.compare_fields and key not in self.compare_fields:
                continue
            if key in ("company_namespace",) or isinstance(value, (list, dict)) and not value:
                continue
            if isinstance(value, (str, int, float, bool)):
                assert doc[key] == value, (key, doc.get(key), value)

    # --- the tests -----------------------------------------------------------------------------
    def test_list_envelope_and_paging(self, api, tenant, other_tenant):
        if "list" not in self.operations:
            pytest.skip("no list")
        for _ in range(3):
            self.make(tenant)
        self.make(other_tenant)
        r = api.get(self.url, {"per_page": 2})
        assert r.status_code == 200, r.content
        body = r.json()
        assert set(body) == LIST_KEYS[self.family]
        assert len(list_items(self.family, body)) == 2
        total = list_total(self.family, body)
        r2 = api.get(self.url, {"per_page": 2, "page": 2})
        items2 = list_items(self.family, r2.json())
        assert len(items2) == total - 2
        ids1 = {d["_id"] for d in list_items(self.family, body)}
        assert ids1.isdisjoint({d["_id"] for d in items2})
        # the other tenant's row is never listed
        assert total == self.count_in(tenant)
        # page beyond the end: empty data, totals intact
        r3 = api.get(self.url, {"per_page": 2, "page": 50})
        assert list_items(self.family, r3.json()) == []
        assert list_total(self.family, r3.json()) == total

    def count_in(self, tenant):
        model = self.model()
        return model.objects.filter(tenant=tenant).count()

    def model(self):
        from django.urls import resolve

        return resolve(self.url).func.cls.serializer_class.Meta.model

    def test_list_row_equals_detail(self, api, tenant):
        if not {"list", "retrieve"} <= self.operations:
            pytest.skip("no list or get")
        obj = self.make(tenant)
        listed = [
            d for d in list_items(self.family, api.get(self.url, {"per_page": 100}).json()) if d["_id"] == str(obj.pk)
        ]
        detail = self.doc(api.get(self.detail(obj.pk)).json())
        assert listed == [detail]

    def test_list_query_count_does_not_grow(self, api, tenant):
        if "list" not in self.operations:
            pytest.skip("no list")
        for _ in range(6):
            self.make(tenant)
        api.get(self.url, {"per_page": 1})  # warm-up: the key's last_used_at is written once
        with CaptureQueriesContext(connection) as small:
            assert api.get(self.url, {"per_page": 1}).status_code == 200
        with CaptureQueriesContext(connection) as large:
            assert api.get(self.url, {"per_page": 100}).status_code == 200
        assert len(large) == len(small), [q["sql"] for q in large.captured_queries]

    def test_sdk_root_path_serves_the_same_resource(self, api, tenant):
        """The official SDK calls `/<path>` (no /v1): the same operations answer there."""
        obj = self.make(tenant)
        if "list" in self.operations:
            v1, root = api.get(self.url, {"per_page": 100}), api.get(f"/{self.path}", {"per_page": 100})
            assert root.status_code == 200, root.content
            assert list_items(self.family, root.json()) == list_items(self.family, v1.json())
        if "retrieve" in self.operations:
            assert api.get(f"/{self.path}/{obj.pk}").json() == api.get(self.detail(obj.pk)).json()
        if "update" in self.operations:
            r = api.put(f"/{self.path}/{obj.pk}", self.update_data, format="json")  # the SDK's update
            assert r.status_code == 200, r.content
            self.assert_matches(self.update_data, self.doc(r.json()))
        if "destroy" in self.operations:
            assert api.delete(f"/{self.path}/{obj.pk}").status_code in (200, 409)
        assert api.delete(f"/{self.path}").status_code == 405

    def test_repzo_list_parameters(self, api, tenant, other_tenant):
        """QUERY-DIALECTS.md §4 on this resource: sort + sortPageOrder, sortBy in both shapes,
        `_id` in every wire form, from_/to_ timestamps (epoch ms and ISO, inclusive),
        from__id/to__id (exclusive), limit/offset, filter (JSON), disabled, search."""
        if "list" not in self.operations:
            pytest.skip("no list")
        for _ in range(3):
            self.make(tenant)
        self.make(other_tenant)

        def ids(params):
            r = api.get(self.url, {"per_page": 1000, **params})
            assert r.status_code == 200, (params, r.content[:300])
            return [d["_id"] for d in list_items(self.family, r.json())]

        everything = sorted(ids({}))
        assert len(everything) == self.count_in(tenant) >= 3
        a, b, c = everything[0], everything[1], everything[-1]
        desc = sorted(everything, reverse=True)
        assert ids({"sortBy": '[{"field": "_id", "type": "desc"}]'}) == desc  # SDK shape
        assert ids({"sortBy": '[{"_id": "asc"}]'}) == everything  # map shape
        assert ids({"sort": "_id", "sortPageOrder": "dsc"}) == desc
        assert api.get(self.url, {"sort": "_id", "sortPageOrder": "sideways"}).status_code == 400

        # _id: k=v, k=JSON array (what the SDK sends), k[]=v, repeated k=v
        assert ids({"_id": a}) == [a]
        assert sorted(ids({"_id": json.dumps([a, b])})) == [a, b]
        assert sorted(ids({"_id[]": [a, b]})) == [a, b]
        assert sorted(ids({"_id": [a, b]})) == [a, b]
        assert ids({"_id": "not-an-id"}) == []

        # keyset cursors are exclusive
        by_id = {"sortBy": '[{"field": "_id", "type": "asc"}]'}
        assert ids({**by_id, "from__id": a}) == everything[1:]
        assert ids({**by_id, "to__id": c}) == everything[:-1]

        # from_/to_ on the update time, inclusive, in epoch milliseconds and ISO 8601
        stamp = next(n for n in ("updatedAt", "modifiedAt", "updated_at") if n in self.registry_names())
        text = self.doc(api.get(self.detail(a)).json())[stamp] if "retrieve" in self.operations else None
        if text is not None:
            ms = int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
            for bound, inside, outside in ((f"from_{stamp}", ms, ms + 1), (f"to_{stamp}", ms, ms - 1)):
                assert ids({"_id": a, bound: inside}) == [a], bound
                assert ids({"_id": a, bound: text}) == [a], bound
                assert ids({"_id": a, bound: outside}) == [], bound

        # the limit/offset family and a JSON filter
        r = api.get(self.url, {"limit": 1, "offset": 1, **by_id})
        assert [d["_id"] for d in list_items(self.family, r.json())] == [b]
        assert ids({"filter": json.dumps({"_id": b})}) == [b]
        r = api.get(self.url, {"filter": '{"no_such_field": 1}'})
        assert r.status_code == 400 and "no_such_field" in r.json()["error"]
        r = api.get(self.url, {"populatedKeys": '["no_such_key"]'})
        assert r.status_code == 400 and "no_such_key" in r.json()["error"]

        # disabled: only the disabled rows, or only the enabled ones
        if "disabled" in self.registry_names() and self.registry().get("disabled").orm_path:
            off = str(self.make(tenant, disabled=True).pk)
            assert off in ids({"disabled": "true"}) and off not in ids({"disabled": "false"})
            assert a not in ids({"disabled": "true"})

        # search: a case-insensitive substring of a searched text field finds the row
        from django.urls import resolve

        view = resolve(self.url).func.cls
        obj = self.model().objects.get(pk=a)
        for path in view.search_fields:
            value = getattr(obj, path, None) if "__" not in path else None
            if isinstance(value, str) and len(value) >= 3:
                term = value[1:-1].swapcase() if len(value) > 3 else value.swapcase()
                assert a in ids({"search": term}), (path, term)
                break

    def test_list_paging_parameters_are_validated(self, api, tenant):
        if "list" not in self.operations:
            pytest.skip("no list")
        r = api.get(self.url, {"per_page": 100000})
        assert r.status_code == 400 and "1000" in r.json()["error"]
        assert api.get(self.url, {"page": 0}).status_code == 400
        assert api.get(self.url, {"sortBy": '[{"field": "no_such_field"}]'}).status_code == 400

    def test_get(self, api, tenant):
        if "retrieve" not in self.operations:
            pytest.skip("no get")
        obj = self.make(tenant)
        r = api.get(self.detail(obj.pk))
        assert r.status_code == 200, r.content
        doc = self.doc(r.json())
        assert doc["_id"] == str(obj.pk)

    def test_get_unknown_or_malformed_id_is_404(self, api, tenant):
        if "retrieve" not in self.operations:
            pytest.skip("no get")
        assert api.get(self.detail("not-a-uuid")).status_code == 404
        assert api.get(self.detail("01890a5d-ac96-774b-bcce-b302099a8057")).status_code == 404
        assert api.get(self.detail("60f7b1b3e4b0e8b3f8b3f8b3")).status_code == 404

    def test_create(self, api, tenant):
        if "create" not in self.operations:
            pytest.skip("no create")
        data = self.get_create_data(tenant)
        r = api.post(self.url, data, format="json")
        assert r.status_code == 201, r.content
        doc = self.doc(r.json())
        self.assert_matches(data, doc)
        assert self.model().objects.filter(tenant=tenant, pk=doc["_id"]).exists()
        if "company_namespace" in doc:
            assert doc["company_namespace"] == [tenant.namespace]

    def test_create_rejects_bad_input(self, api, tenant):
        if "create" not in self.operations:
            pytest.skip("no create")
        before = self.count_in(tenant)
        for body in self.invalid_data:
            r = api.post(self.url, body, format="json")
            assert r.status_code == self.validation_status, (body, r.status_code, r.content)
            assert r.json()["success"] is False and r.json()["error"]
        r = api.post(self.url, "{not json", content_type="application/json")
        assert r.status_code == 400
        r = api.post(self.url, [1, 2], format="json")
        assert r.status_code in (400, 422)
        assert self.count_in(tenant) == before

    def test_create_in_another_namespace_is_forbidden(self, api, tenant):
        if "create" not in self.operations or "company_namespace" not in self.registry_names():
            pytest.skip("no namespace")
        data = {**self.get_create_data(tenant), "company_namespace": ["someone-else"]}
        assert api.post(self.url, data, format="json").status_code == 403

    def registry(self):
        from django.urls import resolve

        return resolve(self.url).func.cls.registry()

    def registry_names(self):
        return set(self.registry().fields)

    def test_update_by_put_and_patch(self, api, tenant):
        if "update" not in self.operations:
            pytest.skip("no update")
        obj = self.make(tenant)
        for method in ("put", "patch"):
            r = getattr(api, method)(self.detail(obj.pk), self.update_data, format="json")
            assert r.status_code == 200, (method, r.content)
            self.assert_matches(self.update_data, self.doc(r.json()))
        obj.refresh_from_db()
        assert obj.version == 2

    def test_delete(self, api, tenant):
        if "destroy" not in self.operations:
            pytest.skip("no delete")
        obj = self.make(tenant)
        r = api.delete(self.detail(obj.pk))
        assert r.status_code == 200, r.content
        body = r.json()
        if self.family in ("D", "D-"):
            assert body["_id"] == str(obj.pk)
        elif self.family == "C":
            assert body["data"]["_id"] == str(obj.pk)
        else:
            assert body["success"] is True
        assert not self.model().objects.filter(pk=obj.pk).exists()
        assert api.delete(self.detail(obj.pk)).status_code == 404

    def test_bulk_remove(self, api, tenant, other_tenant):
        if "remove" not in self.operations:
            assert api.post(f"{self.url}/remove", {"ids": []}, format="json").status_code in (404, 405)
            return
        a, b, c = self.make(tenant), self.make(tenant), self.make(tenant)
        foreign = self.make(other_tenant)
        # another tenant's id: 404 and nothing deleted
        r = api.post(f"{self.url}/remove", {"ids": [str(a.pk), str(foreign.pk)]}, format="json")
        assert r.status_code == 404
        assert str(foreign.pk) in r.json()["error"] and str(a.pk) not in r.json()["error"]  # names the missing id
        assert self.model().objects.filter(pk=a.pk).exists()
        # bad bodies
        assert api.post(f"{self.url}/remove", {"ids": "x"}, format="json").status_code in (400, 422)
        assert api.post(f"{self.url}/remove", {}, format="json").status_code in (400, 422)
        r = api.post(f"{self.url}/remove", {"ids": [str(a.pk), str(b.pk)]}, format="json")
        assert r.status_code == 200 and r.json() == {"success": True}
        assert list(self.model().objects.filter(tenant=tenant).values_list("pk", flat=True)) == [c.pk]
        # GET on the literal segment is not swallowed by /{id}
        assert api.get(f"{self.url}/remove").status_code == 405

    def test_undocumented_methods_are_405(self, api, tenant):
        obj = self.make(tenant)
        checks = []
        if "create" not in self.operations:
            checks.append(("post", self.url))
        if "update" not in self.operations:
            checks += [("put", self.detail(obj.pk)), ("patch", self.detail(obj.pk))]
        if "destroy" not in self.operations:
            checks.append(("delete", self.detail(obj.pk)))
        checks += [("delete", self.url), ("put", self.url)]
        for method, url in checks:
            assert getattr(api, method)(url, {}, format="json").status_code == 405, (method, url)

    def test_requires_a_valid_key(self, tenant):
        anonymous = APIClient()
        url = self.url if "list" in self.operations else self.detail(self.make(tenant).pk)
        r = anonymous.get(url)
        assert r.status_code == 401
        assert r.json()["success"] is False
        anonymous.credentials(HTTP_AUTHORIZATION="Bearer rk_wrong")
        assert anonymous.get(url).status_code == 401

    def test_other_tenant_gets_404(self, other_api, tenant):
        obj = self.make(tenant)
        if "retrieve" in self.operations:
            assert other_api.get(self.detail(obj.pk)).status_code == 404
        if "update" in self.operations:
            assert other_api.patch(self.detail(obj.pk), self.update_data, format="json").status_code == 404
        if "destroy" in self.operations:
            assert other_api.delete(self.detail(obj.pk)).status_code == 404
        assert self.model().objects.filter(pk=obj.pk).exists()

"""Generic checks of sorting through relationships and of paging, mixed into ResourceAPICase.

For every reference of a resource to another resource, the rows are sorted through it in
every dialect that can (the where-clause search's nested `orderBy`, OData's `$orderby=a/b`,
the documented `sortBy` on the reference itself), with and without a filter (the unfiltered
list takes its own, precompiled path), in both directions and over several pages: each page
answers 200, the rows come in the order a Python sort of the same rows gives (ties broken by
`_id` in the last key's direction), and the pages together hold every row once. Array
relationships are sorted by their count (`<name>_aggregate: {count}`) the same way. Page
URLs (family D) are followed to the end and must give the same rows.
"""

import importlib
import inspect
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import factory
import pytest
from django.db import IntegrityError, models, transaction

from core.api import registry as reg

# Sort values that order the same in Python, SQLite and any PostgreSQL collation (lower-case
# letters, distinct first letters), with repeats so rows tie on them.
WORDS = ["delta", "alpha", "delta", "charlie", "bravo", "alpha", "echo"]
ROWS = 5
PAGE = 2


def factory_for(model):
    """The test factory (tests/factories*.py) that makes rows of `model`."""
    for path in sorted(Path(__file__).parent.glob("factories*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for _name, candidate in inspect.getmembers(module, inspect.isclass):
            if issubclass(candidate, factory.django.DjangoModelFactory) and candidate._meta.model is model:
                return candidate
    raise AssertionError(f"no factory for {model.__name__} in tests/factories*.py: add one")


def python_order(keyed: list[tuple[str, object]], *, descending: bool, nulls_first: bool) -> list[str]:
    """Ids of `(id, value)` pairs in the order the API must give: by value, NULLs where the
    dialect puts them, ties by id in the same direction."""
    nulls = sorted((i for i, v in keyed if v is None), reverse=descending)
    rest = [
        i
        for i, _ in sorted(((i, v) for i, v in keyed if v is not None), key=lambda p: (p[1], p[0]), reverse=descending)
    ]
    return nulls + rest if nulls_first else rest + nulls


class SortAndPagingCase:
    """Needs ResourceAPICase's helpers (url, family, make, model, registry, operations)."""

    # --- helpers ---------------------------------------------------------------------------------
    def _items(self, body):
        from tests.api_cases import list_items

        return list_items(self.family, body)

    def _total(self, body):
        from tests.api_cases import list_total

        return list_total(self.family, body)

    def _relationships(self):
        """(public name, FieldInfo, target registry, target field name) of each reference to
        another resource that the resource's model holds as a foreign key."""
        registry, model = self.registry(), self.model()
        out = []
        for name, info in registry.fields.items():
            if info.kind != reg.REF or not info.sortable or not info.orm_path or "__" in info.orm_path:
                continue
            target = registry.related(info)
            field = model._meta.get_field(info.orm_path)
            if target is None or not getattr(field, "many_to_one", False):
                continue
            text = [
                n
                for n, t in target.fields.items()
                if t.kind == reg.TEXT and t.sortable and t.orm_path and "__" not in t.orm_path
                and not t.extra and t.value_key == t.orm_path
            ]  # fmt: skip
            out.append((name, info, target, "name" if "name" in text else (text[0] if text else "_id")))
        return out

    def _make_rows(self, tenant):
        return [self.make(tenant) for _ in range(ROWS)]

    def _arrange(self, tenant, rows, info, target_name, target_registry):
        """Point the rows at targets (some shared, one row without a target when the reference
        may be empty) and give the targets sort values with repeats. Returns {row id: value}
        for every row of the resource in the tenant."""
        model = self.model()
        fk = model._meta.get_field(info.orm_path)
        target_model = fk.related_model
        current = {getattr(row, fk.attname) for row in rows} - {None}
        targets = list(target_model.objects.filter(pk__in=current).order_by("pk"))
        if len(targets) < 2:
            make_target = factory_for(target_model)
            targets += [make_target(tenant=tenant) for _ in range(3 - len(targets))]
            for i, row in enumerate(rows):
                target = None if fk.null and i == 0 else targets[i % len(targets)]
                model.objects.filter(pk=row.pk).update(**{fk.attname: target.pk if target else None})
        if target_name != "_id":
            column = target_registry.get(target_name).orm_path
            for i, target in enumerate(targets):
                word = WORDS[i % len(WORDS)]
                try:
                    with transaction.atomic():
                        target_model.objects.filter(pk=target.pk).update(**{column: word})
                except IntegrityError:  # a unique name: the same word with a distinct tail
                    target_model.objects.filter(pk=target.pk).update(**{column: f"{word}{'z' * (i + 1)}"})
            values = dict(target_model.objects.values_list("pk", column))
        else:
            values = {pk: str(pk) for pk in target_model.objects.values_list("pk", flat=True)}
        keyed = model.objects.filter(tenant=tenant).values_list("pk", fk.attname)
        return {str(pk): values.get(ref) if ref is not None else None for pk, ref in keyed}

    def _pages(self, fetch, what):
        """Every row through small pages, checked against one big page of the same request."""
        big = fetch(1000, 0)
        assert big.status_code == 200, (what, big.status_code, big.content[:400])
        everything = [d["_id"] for d in self._items(big.json())]
        assert self._total(big.json()) == len(everything), what
        paged, number = [], 0
        while True:
            r = fetch(PAGE, number)
            assert r.status_code == 200, (what, number, r.status_code, r.content[:400])
            ids = [d["_id"] for d in self._items(r.json())]
            if not ids:
                break
            paged += ids
            number += 1
        assert paged == everything, (what, "pages differ from one big page")
        assert len(set(paged)) == len(paged), (what, "a row on two pages")
        return everything

    def _search(self, api, body):
        def fetch(size, number):
            return api.post(f"{self.url}/search", {**body, "pageSize": size, "page": number}, format="json")

        return fetch

    def _get(self, api, params, *, odata=False):
        def fetch(size, number):
            if odata:
                return api.get(self.url, {**params, "$top": size, "$skip": size * number})
            return api.get(self.url, {**params, "per_page": size, "page": number + 1})

        return fetch

    def _check(self, fetch, keyed, what, *, descending, nulls_first):
        got = self._pages(fetch, what)
        assert len(got) >= ROWS, (what, got)
        expected = python_order([(i, keyed[i]) for i in got], descending=descending, nulls_first=nulls_first)
        assert got == expected, (what, [keyed[i] for i in got], [keyed[i] for i in expected])
        assert set(got) == set(keyed), (what, "rows missing")

    # --- the tests -------------------------------------------------------------------------------
    def test_sorting_through_each_relationship_in_every_dialect(self, api, tenant):
        relationships = self._relationships()
        if "list" not in self.operations or not relationships:
            pytest.skip("no list, or no relationship to sort through")
        rows = self._make_rows(tenant)
        for name, info, target, target_name in relationships:
            keyed = self._arrange(tenant, rows, info, target_name, target)
            every = {"_id": {"_is_null": False}}
            for direction, descending in (("asc", False), ("desc", True)):
                nested = {"orderBy": [{name: {target_name: direction}}]}
                # Hasura: NULLs last ascending, first descending
                for body in (nested, {**nested, "where": every}):
                    self._check(
                        self._search(api, body), keyed, (name, body), descending=descending, nulls_first=descending
                    )
                # OData: NULLs first ascending, last descending (ODATA-330)
                orderby = {"$orderby": f"{name}/{target_name} {direction}"}
                for params in (orderby, {**orderby, "$filter": "_id ne null"}):
                    self._check(
                        self._get(api, params, odata=True), keyed, (name, params), descending=descending,
                        nulls_first=not descending,
                    )  # fmt: skip
            # the documented sortBy on the reference itself orders by the referenced id
            by_id = {pk: (str(ref) if ref is not None else None) for pk, ref in self._references(tenant, info)}
            for direction, descending in (("asc", False), ("desc", True)):
                params = {"sortBy": json.dumps([{"field": name, "type": direction}])}
                self._check(
                    self._get(api, params), by_id, (name, params), descending=descending, nulls_first=descending
                )

    def _references(self, tenant, info):
        fk = self.model()._meta.get_field(info.orm_path)
        return [(str(pk), ref) for pk, ref in self.model().objects.filter(tenant=tenant).values_list("pk", fk.attname)]

    def test_sorting_by_a_relationship_count(self, api, tenant):
        registry, model = self.registry(), self.model()
        arrays = [
            (name, info)
            for name, info in registry.fields.items()
            if info.kind == reg.REFS and isinstance(info.model_field, models.ManyToManyField)
        ]
        if "list" not in self.operations or not arrays:
            pytest.skip("no list, or no array relationship")
        rows = self._make_rows(tenant)
        for name, info in arrays:
            make_target = factory_for(info.related_model)
            targets = [make_target(tenant=tenant) for _ in range(3)]
            for i, row in enumerate(rows):
                getattr(row, info.orm_path).set(targets[: (i * 2) % 4])  # 0, 2, 0, 2, 0 ... with repeats
            getattr(rows[-1], info.orm_path).set(targets)
            through = model._meta.get_field(info.orm_path)
            counts = {str(pk): 0 for pk in model.objects.filter(tenant=tenant).values_list("pk", flat=True)}
            for pk in through.remote_field.through.objects.values_list(through.m2m_field_name(), flat=True):
                if str(pk) in counts:
                    counts[str(pk)] += 1
            for direction, descending in (("asc", False), ("desc", True)):
                body = {"orderBy": [{f"{name}_aggregate": {"count": direction}}]}
                for each in (body, {**body, "where": {"_id": {"_is_null": False}}}):
                    self._check(self._search(api, each), counts, (name, each), descending=descending, nulls_first=False)

    def test_page_urls_keep_the_paging_of_the_request(self, api, tenant):
        """Following next_page_url to the end gives every row once, in the asked order, in the
        paging family the request used; other parameters are kept."""
        if "list" not in self.operations or self.family != "D":
            pytest.skip("no page URLs")
        self._make_rows(tenant)
        order = {"sortBy": json.dumps([{"field": "_id", "type": "desc"}])}
        everything = [d["_id"] for d in self._items(api.get(self.url, {**order, "per_page": 1000}).json())]
        assert len(everything) >= ROWS
        starts = (
            ({"limit": 2, "offset": 0}, {"limit", "offset"}, {"page", "per_page"}),
            ({"limit": 2, "offset": 1}, {"limit", "offset"}, {"page", "per_page"}),
            ({"per_page": 2, "page": 1}, {"page", "per_page"}, {"limit", "offset"}),
            ({"$top": 2, "$skip": 0}, {"$top", "$skip"}, {"page", "limit", "offset"}),
        )
        for start, kept, absent in starts:
            body = api.get(self.url, {**order, **start}).json()
            skipped = start.get("offset", start.get("$skip", 0))
            seen = [d["_id"] for d in self._items(body)]
            urls = []
            while body["next_page_url"]:
                url = body["next_page_url"]
                urls.append(url)
                query = parse_qs(urlsplit(url).query)
                assert kept <= set(query) and not absent & set(query), (start, url)
                assert query["sortBy"] == [order["sortBy"]], url
                body = api.get(url).json()
                seen += [d["_id"] for d in self._items(body)]
                assert len(urls) <= len(everything), (start, "next_page_url never ends")
            assert seen == everything[skipped:], (start, urls)
            final = [d["_id"] for d in self._items(body)]
            # last_page_url is the page the next pages end on; first_page_url the first rows
            last = api.get(body["last_page_url"]).json()
            assert [d["_id"] for d in self._items(last)] == final, (start, body["last_page_url"])
            first = api.get(body["first_page_url"]).json()
            assert [d["_id"] for d in self._items(first)] == everything[:2], (start, body["first_page_url"])
            # and back: prev_page_url steps to the first rows
            while body["prev_page_url"]:
                body = api.get(body["prev_page_url"]).json()
            assert [d["_id"] for d in self._items(body)] == everything[:2], start

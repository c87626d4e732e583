"""The precompiled unfiltered page (core/api/registry.py PageReader.fetch_plain) keeps one
statement per distinct order, also for orders by an expression (a relationship count), whose
text differs on every request."""

import pytest

from clients.views.client import ClientViewSet
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_a_relationship_count_order_reuses_its_statement(api, tenant):
    tags = [TagFactory(tenant=tenant) for _ in range(2)]
    for i in range(3):
        ClientFactory(tenant=tenant).tags.set(tags[:i])
    body = {"orderBy": [{"tags_aggregate": {"count": "desc"}}], "pageSize": 2}
    reader = ClientViewSet.registry()._reader("default")
    pages = []
    for _ in range(3):
        r = api.post("/v1/client/search", body, format="json")
        assert r.status_code == 200, r.content
        pages.append([d["_id"] for d in r.json()["data"]])
    statements = dict(reader.__dict__.get("_plain", {}))
    for _ in range(3):
        assert api.post("/v1/client/search", body, format="json").status_code == 200
    assert reader.__dict__["_plain"].keys() == statements.keys()
    assert pages[0] == pages[1] == pages[2] and len(pages[0]) == 2

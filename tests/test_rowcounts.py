"""List totals come from kept counts (triggers): they must equal COUNT(*) after any write path."""

import io

import pytest
from django.core.management import call_command

from clients.models import Client, Tag
from core import rowcounts
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


def kept(tenant, model):
    return rowcounts.kept_count(tenant=tenant, table=model._meta.db_table)


def test_counts_follow_every_write_path(api, tenant, other_tenant):
    assert kept(tenant, Client) == 0
    ClientFactory.create_batch(3, tenant=tenant)
    ClientFactory(tenant=other_tenant)
    Client.objects.bulk_create([Client(tenant=tenant, name=f"bulk {i}") for i in range(5)])
    assert kept(tenant, Client) == 8 and kept(other_tenant, Client) == 1
    created = api.post("/v1/client", {"name": "api"}, format="json").json()
    api.delete(f"/v1/client/{created['_id']}")
    Client.objects.filter(tenant=tenant, name__startswith="bulk").delete()
    assert kept(tenant, Client) == Client.objects.filter(tenant=tenant).count() == 3
    assert api.get("/v1/client").json()["total_result"] == 3


def test_unfiltered_list_uses_kept_count_and_filtered_lists_count(api, tenant):
    TagFactory.create_batch(4, tenant=tenant)
    TagFactory(tenant=tenant, name="special")
    assert api.get("/v1/tag").json()["total_result"] == 5
    assert api.get("/v1/tag", {"search": "special"}).json()["total_result"] == 1


def test_compaction_keeps_the_sum(tenant):
    for _ in range(rowcounts.COMPACT_AFTER + 10):
        TagFactory(tenant=tenant)
    assert kept(tenant, Tag) == Tag.objects.filter(tenant=tenant).count()
    rowcounts.compact(tenant=tenant, table=Tag._meta.db_table)
    assert kept(tenant, Tag) == rowcounts.COMPACT_AFTER + 10


def test_recount_repairs_drift(tenant):
    TagFactory.create_batch(2, tenant=tenant)
    from core.models import RowCount

    RowCount.objects.create(tenant=tenant, table_name=Tag._meta.db_table, delta=40)  # simulated drift
    call_command("recount_rows", stdout=io.StringIO())
    assert kept(tenant, Tag) == 2


def test_a_viewset_narrowing_its_queryset_is_counted_for_real(api, tenant):
    from tests.factories import MailUnsubscribeFactory

    MailUnsubscribeFactory(tenant=tenant, email="a@x.test")
    MailUnsubscribeFactory(tenant=tenant, email="b@x.test")
    body = api.get("/v1/mail-unsubscribe", {"email": "A@X.test"}).json()
    assert body["paging"]["total"] == 1 and len(body["data"]) == 1

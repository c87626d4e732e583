"""Timestamps before the year 1000 (and before 1970) render as ISO 8601 with a four-digit year,
and epoch milliseconds agree, on every way out: create, detail, list (the precompiled page
and the filtered one), search, OData and export."""

import datetime as dt
import io

import pytest

from clients.models import Client, Tag
from core.dataio.export import export_resource
from tests.factories import ClientFactory, TagFactory

pytestmark = pytest.mark.django_db

START = "0001-01-01T00:00:00.000Z"  # the first instant a datetime can hold
END = "0197-07-26T10:20:30.456Z"


def _msl(api):
    r = api.post("/v1/msl", {"name": "Ancient", "startDate": START, "endDate": END}, format="json")
    assert r.status_code == 201, r.content
    return r.json()["data"]


def _dates(doc):
    return doc["startDate"], doc["endDate"]


def test_early_years_are_zero_padded_through_every_read(api, tenant):
    created = _msl(api)
    assert _dates(created) == (START, END)
    assert _dates(api.get(f"/v1/msl/{created['_id']}").json()["data"]) == (START, END)
    for params in ({}, {"name": "Ancient"}, {"from_endDate": "0197-07-26T10:20:30.456Z"}):
        docs = api.get("/v1/msl", params).json()["data"]
        assert [_dates(d) for d in docs] == [(START, END)], params
    for body in ({}, {"where": {"endDate": {"_lt": "1000-01-01T00:00:00Z"}}}, {"where": {"startDate": {"_eq": START}}}):
        docs = api.post("/v1/msl/search", body, format="json").json()["data"]
        assert [_dates(d) for d in docs] == [(START, END)], body
    for params in ({"$top": 5}, {"$filter": f"endDate eq {END}"}, {"$filter": "startDate lt 1000-01-01T00:00:00Z"}):
        r = api.get("/v1/msl", params)
        assert r.status_code == 200, (params, r.content)
        assert [_dates(d) for d in r.json()["data"]] == [(START, END)], params


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_early_years_are_zero_padded_in_exports(api, tenant, fmt):
    _msl(api)
    stream = io.BytesIO()
    assert export_resource("msl", tenant, fmt, stream) == 1
    text = stream.getvalue().decode("utf-8-sig")
    assert START in text and END in text
    assert "197-07-26" not in text.replace(END, "")  # no unpadded spelling anywhere else


def test_standard_timestamps_of_early_rows(api, tenant):
    """createdAt/updatedAt come from the page query on lists and from the serializer on the
    detail: both spell an early year the same way."""
    tag = TagFactory(tenant=tenant)
    early = dt.datetime(197, 7, 26, 10, 20, 30, 456000, tzinfo=dt.UTC)
    Tag.objects.filter(pk=tag.pk).update(created_at=early, updated_at=early)
    detail = api.get(f"/v1/tag/{tag.pk}").json()
    listed = api.get("/v1/tag").json()["data"]
    filtered = api.get("/v1/tag", {"name": tag.name}).json()["data"]
    assert detail["createdAt"] == detail["updatedAt"] == END
    assert listed == filtered == [detail]


def test_epoch_milliseconds_before_1970_agree_between_list_and_detail(api, tenant):
    """Epoch fields count whole milliseconds rounded down, on the list (the database) and the
    detail (Python) alike."""
    cases = [
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(197, 7, 26, 10, 20, 30, 456000, tzinfo=dt.UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=dt.UTC),  # half a millisecond before 1970
    ]
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    for moment in cases:
        client = ClientFactory(tenant=tenant)
        Client.objects.filter(pk=client.pk).update(last_location_update=moment)
        # floor of the exact number of milliseconds, by integer arithmetic on the calendar
        delta = moment - epoch
        expected = (delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds) // 1000
        detail = api.get(f"/v1/client/{client.pk}").json()["last_location_update"]
        listed = api.get("/v1/client", {"_id": str(client.pk)}).json()["data"][0]["last_location_update"]
        plain = {d["_id"]: d for d in api.get("/v1/client", {"per_page": 100}).json()["data"]}
        assert detail == listed == plain[str(client.pk)]["last_location_update"] == expected, (moment, detail, listed)

"""References of an import that exist always resolve, however many distinct rows a file names:
the reference cache is bounded (references.CACHE_SIZE) but never forgets a value the batch
being resolved needs."""

import time

import pytest

from clients.models import Client, ClientChannel, Tag
from core.dataio import ImportOptions, import_file, references
from core.dataio.references import CACHE_SIZE

pytestmark = pytest.mark.django_db


def _clients_csv(tmp_path, rows) -> str:
    path = tmp_path / "clients.csv"
    lines = ["name,client_code,channel,tags"]
    lines += [f"Client {i},C{i:06d},{channel},{';'.join(tags)}" for i, (channel, tags) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _import(path, tenant, batch_size):
    report = import_file(resource="client", tenant=tenant, path=path, options=ImportOptions(batch_size=batch_size))
    assert report.file_errors == []
    return report, [str(error) for error in report.errors]


def test_a_file_naming_more_parents_than_the_cache_holds_resolves_every_reference(tmp_path, tenant, monkeypatch):
    """A small cache: batches name more distinct channels than it holds, and name channels
    resolved batches ago (the least recently stored, first to go) next to new ones."""
    monkeypatch.setattr(references, "CACHE_SIZE", 8)
    channels = [f"Channel {i:03d}" for i in range(40)]
    tags = [f"Tag {i:03d}" for i in range(40)]
    ClientChannel.objects.bulk_create(ClientChannel(tenant=tenant, name=name) for name in channels)
    Tag.objects.bulk_create(Tag(tenant=tenant, name=name) for name in tags)
    rows = []
    for i in range(120):
        # a channel from the start of the list every few rows, new ones in between
        channel = channels[0] if i % 5 == 0 else channels[(i * 7) % len(channels)]
        row_tags = [tags[(i + k * 3) % len(tags)] for k in range(4)]
        rows.append((channel, row_tags))
    rows.append((channels[1], tags[:12]))  # one row alone names more tags than the cache holds
    report, failures = _import(_clients_csv(tmp_path, rows), tenant, batch_size=10)
    assert failures == []
    assert report.counts["created"] == len(rows)
    made = {c.client_code: c for c in Client.objects.filter(tenant=tenant).select_related("channel")}
    for i, (channel, row_tags) in enumerate(rows):
        client = made[f"C{i:06d}"]
        assert client.channel.name == channel
        assert sorted(client.tags.values_list("name", flat=True)) == sorted(row_tags)


def test_the_real_cache_size_is_no_limit_either(tmp_path, tenant):
    """The default size: a file naming one hundred more distinct tags than the cache holds
    (a hundred per row, in batches of 50 rows), and the first tag again at the end."""
    count = CACHE_SIZE + 100
    names = [f"Tag {i:06d}" for i in range(count)]
    Tag.objects.bulk_create(Tag(tenant=tenant, name=name) for name in names)
    rows = [("", names[i : i + 100]) for i in range(0, count, 100)] + [("", names[:1])]
    started = time.monotonic()
    report, failures = _import(_clients_csv(tmp_path, rows), tenant, batch_size=50)
    assert failures[:3] == []
    assert report.counts["created"] == len(rows)
    assert Client.objects.filter(tenant=tenant, tags__name=names[0]).count() == 2
    print(f"imported {len(rows)} clients naming {count} tags in {time.monotonic() - started:.1f} s")

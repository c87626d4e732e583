"""Lookup lists have names unique per tenant in any case (core/uniqueness.py): the README's
example, imports, the admin, racing writes and the migration that adds the rule.
The API rule itself is checked on every lookup list by tests/api_cases_names.py."""

import threading

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, connections, transaction

from clients.models import Client, Tag
from core import rowcounts, services
from core.dataio import ImportOptions, all_resources, import_file
from core.models import User
from core.uniqueness import has_unique_name
from tests.api_cases_names import LOOKUP_LISTS
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def _import(tmp_path, resource, text, tenant, mode="create"):
    path = tmp_path / f"{resource}.csv"
    path.write_text(text)
    report = import_file(resource=resource, tenant=tenant, path=str(path), options=ImportOptions(mode=mode))
    assert report.file_errors == []
    return report, [str(error) for error in report.errors]


def test_the_lookup_lists_are_the_resources_with_unique_names():
    assert {r.name for r in all_resources() if has_unique_name(r.model)} == LOOKUP_LISTS


def test_the_readme_example_gives_the_existing_tag_and_imports_by_name_keep_working(api, tenant, tmp_path):
    """POST /v1/tag {"name": "VIP"} where the tenant has a VIP tag: a 409 with its id, not a
    second VIP that would make "VIP" ambiguous in every later import."""
    vip = api.post("/v1/tag", {"name": "VIP"}, format="json")
    assert vip.status_code == 201
    vip_id = vip.json()["_id"]
    again = api.post("/v1/tag", {"name": "vip"}, format="json")
    assert again.status_code == 409 and again.json()["details"][0]["_id"] == vip_id
    assert "A tag named 'VIP' already exists" in again.json()["error"]  # the name as stored
    assert Tag.objects.filter(tenant=tenant).count() == 1
    report, errors = _import(tmp_path, "client", "name,client_code,tags\nCorner Shop,C1,VIP\nKiosk,C2,vip\n", tenant)
    assert errors == [] and report.counts["created"] == 2
    for client in Client.objects.filter(tenant=tenant):
        assert [str(pk) for pk in client.tags.values_list("pk", flat=True)] == [vip_id]


def test_an_import_finds_the_existing_row_by_its_name_in_any_case(tmp_path, tenant):
    vip = TagFactory(tenant=tenant, name="VIP")
    report, errors = _import(tmp_path, "tag", "name\nVIP\n", tenant)
    assert errors == [] and report.counts["unchanged"] == 1
    report, errors = _import(tmp_path, "tag", "name\nvip\n", tenant)
    assert report.counts["failed"] == 1
    assert errors == [f"row 2: (row): Already exists as {vip.pk} with other values: use --update to change it or "
                      "--skip-existing to leave it."]  # fmt: skip
    report, errors = _import(tmp_path, "tag", "name\nvip\n", tenant, mode="update")
    assert errors == [] and report.counts["updated"] == 1
    assert list(Tag.objects.filter(tenant=tenant).values_list("pk", "name")) == [(vip.pk, "vip")]


def test_a_file_naming_a_row_twice_in_different_cases_reports_the_duplicate(tmp_path, tenant):
    report, errors = _import(tmp_path, "tag", "name\nNew\nnew\n", tenant)
    assert report.counts["created"] == 1 and report.counts["failed"] == 1
    assert errors == ["row 3: name: Duplicate: name 'new' already appears at row 2."]
    assert list(Tag.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["New"]


def test_a_file_may_name_a_row_created_earlier_in_it_in_another_case(tmp_path, tenant):
    """A measure unit's parent named as the file wrote the parent, but in another case."""
    report, errors = _import(tmp_path, "measure-unit", "name,factor,parent\nPiece,1,\nBox,12,PIECE\n", tenant)
    assert errors == [] and report.counts["created"] == 2
    from sales.models import MeasureUnit

    box = MeasureUnit.objects.get(tenant=tenant, name="Box")
    assert box.parent.name == "Piece"


def test_the_admin_form_refuses_a_taken_name(client, tenant):
    TagFactory(tenant=tenant, name="VIP")
    staff = User.objects.create_user(username="staff", password="pw", is_staff=True, tenant=tenant)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="clients"))
    client.force_login(staff)
    response = client.post("/admin/clients/tag/add/", {"name": "vip", "integration_meta": "{}"})
    assert response.status_code == 200  # the form again, with the error
    assert "already exists" in response.text
    assert Tag.objects.filter(tenant=tenant).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_creates_give_one_row_and_one_409(api, tenant):
    """The second insert waits on the first one's uncommitted row, then fails on the
    constraint: that is a 409 naming the row that won, never a 500 or a second row."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write at a time: the check before the insert decides")
    answer = {}

    def second_create():
        try:
            answer["response"] = api.post("/v1/tag", {"name": "vip"}, format="json")
        finally:
            connections.close_all()

    with transaction.atomic():
        first = services.create_row(model=Tag, tenant=tenant, data={"name": "VIP"})
        thread = threading.Thread(target=second_create)
        thread.start()
        # wait (no timer) until the second insert is blocked on the first one's row
        with connection.cursor() as cursor:
            while thread.is_alive():
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # a transaction keeps its first view otherwise
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
    thread.join()
    response = answer["response"]
    assert response.status_code == 409, response.content
    assert response.json()["details"][0]["_id"] == str(first.pk)
    assert list(Tag.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["VIP"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_names_equal_but_for_case(tenant, other_tenant):
    """Before the constraint, a database may hold "VIP" and "vip": the oldest keeps its name,
    the others get the first free "(n)"; another tenant's rows are not duplicates."""
    import datetime as dt

    from django.db.migrations.executor import MigrationExecutor

    before, after = ("clients", "0004_client_sales_references"), ("clients", "0005_lookup_names_unique_per_tenant")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old_tag = executor.loader.project_state([before]).apps.get_model("clients", "Tag")
        start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        made = {}
        for minutes, (owner, name) in enumerate(
            [
                (tenant, "vip"),
                (tenant, "VIP"),
                (tenant, "VIP (2)"),
                (tenant, "Vip"),
                (other_tenant, "VIP"),
                (tenant, "New"),
            ]
        ):
            made[(owner.namespace, name)] = old_tag.objects.create(
                tenant_id=owner.pk, name=name, created_at=start + dt.timedelta(minutes=minutes)
            ).pk
        executor = MigrationExecutor(connection)
        executor.migrate([after])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        rowcounts.install()  # as `migrate` does: SQLite dropped the triggers of the rebuilt tables
    names = dict(Tag.objects.values_list("pk", "name"))
    assert {key: names[pk] for key, pk in made.items()} == {
        ("acme", "vip"): "vip",  # the oldest keeps its name
        ("acme", "VIP"): "VIP (3)",  # "(2)" is taken (in any case)
        ("acme", "VIP (2)"): "VIP (2)",
        ("acme", "Vip"): "Vip (4)",
        ("globex", "VIP"): "VIP",
        ("acme", "New"): "New",
    }

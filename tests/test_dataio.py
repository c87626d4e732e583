"""Data import and export (core/dataio/, import_data, export_data, the admin's import/export).

Rows go through the resources' serializers and services; these tests check the file-level and
row-level outcomes, the Repzo id mapping, the round trips in every format, and that the fast
paths (compiled validation, bulk COPY) agree with the serializer and the per-row services.
"""

import csv
import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client, ClientChannel, ClientLocation, MailUnsubscribe, Tag
from clients.serializers.client import ClientSerializer
from clients.services import client as client_services
from core import rowcounts
from core.dataio import ImportOptions, all_resources, get_resource, import_file
from core.dataio.compare import without_ids
from core.dataio.export import iter_documents
from core.dataio.ids import mapped_id
from core.dataio.readers import JsonSource, open_source
from core.dataio.report import Progress
from core.dataio.validation import RowValidator
from core.models import Tenant
from tests import factories
from tests.factories import ClientChannelFactory, ClientFactory, SpecialityFactory, TagFactory
from tests.factories_sales_pricing import PriceListFactory

pytestmark = pytest.mark.django_db

CHANNEL_OID, OTHER_CHANNEL_OID = "65a1b2c3d4e5f60718293a4b", "65a1b2c3d4e5f60718293a4c"
CLIENT_OIDS = ["65b000000000000000000001", "65b000000000000000000002"]


# Helpers -----------------------------------------------------------------------------------------
def run(*args) -> tuple[int, str, str]:
    """import_data/export_data as a shell runs them: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    except CommandError as exc:
        code, err = exc.returncode, io.StringIO(str(exc))
    return code, out.getvalue(), err.getvalue()


def write(tmp_path, name, text, encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def docs(resource, tenant) -> list[dict]:
    return list(iter_documents(get_resource(resource), tenant))


def by(field, rows) -> dict:
    return {row[field]: row for row in rows}


def import_clients(tmp_path, text, *extra, name="clients.csv"):
    return run("import_data", "client", write(tmp_path, name, text), "--tenant", "acme", *extra)


# CSV through the client rules (bulk path) ---------------------------------------------------------
def test_csv_rows_go_through_the_client_rules(tmp_path, tenant, api):
    channel = ClientChannelFactory(tenant=tenant, name="Retail")
    vip, north = TagFactory(tenant=tenant, name="VIP"), TagFactory(tenant=tenant, name="North")
    ClientFactory(tenant=tenant, client_code="TAKEN")
    code, out, _ = import_clients(
        tmp_path,
        "name,client_code,channel,tags,lat,lng,disabled,email,credit_limit,customFields,job_category\n"
        'Corner Shop,C1,Retail,VIP;North,24.5,46.1,yes, a@b.com ,1500.50,"{""tier"": 2}",a;b\n'
        "Kiosk,C2,,,,,,,,,\n"
        "Clash,TAKEN,,,,,,,,,\n",
    )
    assert code == 1
    assert "3 rows" in out and "2 created" in out and "1 failed" in out
    assert "row 4: (row): Already exists as" in out and "use --update to change it" in out
    rows = by("client_code", docs("client", tenant))
    shop = rows["C1"]
    assert shop["channel"] == str(channel.pk) and sorted(shop["tags"]) == sorted([str(vip.pk), str(north.pk)])
    assert shop["disabled"] is True and shop["lat"] == 24.5 and shop["email"] == "a@b.com"
    assert shop["credit_limit"] == 1500.5 and shop["customFields"] == {"tier": 2} and shop["job_category"] == ["a", "b"]
    assert shop["last_location_update"] is not None and rows["C2"]["last_location_update"] is None
    assert api.get("/v1/client").json()["total_result"] == 3  # the kept count saw the COPY
    assert rowcounts.kept_count(tenant=tenant, table=Client._meta.db_table) == 3


def test_bulk_service_applies_create_client_rules(tenant):
    ClientFactory(tenant=tenant, client_code="OLD", sync_id="S-OLD")
    outcome = client_services.create_clients_bulk(
        tenant=tenant,
        rows=[
            {"name": "Retry", "sync_id": "S-OLD"},  # a known sync id returns its client
            {"name": "A", "client_code": "N1", "sync_id": "S1", "email": "  x@y.com "},
            {"name": "A again", "sync_id": "S1"},  # the same sync id later in the batch
            {"name": "B", "client_code": "N1"},  # a code taken earlier in the batch
            {"name": "C", "client_code": "OLD"},  # a code taken in the database
            {"name": "D", "client_code": "", "lat": 1.5, "lng": 2.5},
        ],
    )
    old = Client.objects.get(client_code="OLD")
    assert outcome.existing == {0: old.pk, 2: outcome.created[1]}
    assert outcome.errors[3][0] == "client_code" and "'N1' is already used" in outcome.errors[3][1]
    assert outcome.errors[4] == ("client_code", f"client_code 'OLD' is already used by client {old.pk}.")
    assert set(outcome.created) == {1, 5}
    created = {c.name: c for c in Client.objects.filter(pk__in=outcome.created.values())}
    assert created["A"].email == "x@y.com" and created["A"].last_location_update is None
    assert created["D"].client_code is None and created["D"].last_location_update is not None


def test_a_bulk_write_that_fails_is_redone_row_by_row(tmp_path, tenant, monkeypatch):
    from django.db import IntegrityError

    from core import services as core_services

    def refuse_batch(*args, **kwargs):
        raise IntegrityError("simulated: a rule the batch checks did not foresee")

    create_row = core_services.create_row

    def refuse_one(*, model, tenant, data):
        if data.get("name") == "B":
            raise IntegrityError("simulated refusal\nDETAIL: more")
        return create_row(model=model, tenant=tenant, data=data)

    monkeypatch.setattr(client_services, "insert_rows", refuse_batch)
    monkeypatch.setattr(core_services, "create_row", refuse_one)
    code, out, _ = import_clients(tmp_path, "name,client_code,lat,lng\nA,X1,1,2\nB,X2,,\nC,X3,,\n")
    assert code == 1 and "2 created" in out
    assert "row 3: (row): The database refused the row: simulated refusal" in out
    rows = {c.client_code: c for c in Client.objects.filter(tenant=tenant)}
    assert set(rows) == {"X1", "X3"} and rows["X1"].last_location_update is not None


# References ----------------------------------------------------------------------------------------
def test_references_by_natural_key_and_to_earlier_rows_of_the_file(tmp_path, tenant):
    ClientChannelFactory(tenant=tenant, name="Retail")
    SpecialityFactory(tenant=tenant, name="Pharmacy")
    # price list names may repeat (tags may not: core/uniqueness.py)
    PriceListFactory(tenant=tenant, name="Twice")
    PriceListFactory(tenant=tenant, name="Twice")
    head = ClientFactory(tenant=tenant, client_code="HQ")
    code, out, _ = import_clients(
        tmp_path,
        "name,client_code,channel,speciality,parent_client_id,chain,sv_priceList\n"
        "Branch 1,B1,Retail,Pharmacy,HQ,,\n"
        "Branch 2,B2,,,B1,B1,\n"  # a row created earlier in the same batch
        "Branch 3,B3,,,B4,,\n"  # a later row: not there yet
        "Branch 4,B4,Wholesale,,,,\n"
        "Branch 5,B5,,,,,Twice\n",
    )
    assert code == 1
    rows = by("client_code", docs("client", tenant))
    assert rows["B1"]["parent_client_id"] == str(head.pk) and rows["B1"]["channel"]
    assert rows["B2"]["parent_client_id"] == rows["B1"]["_id"] == rows["B2"]["chain"]
    assert "row 4: parent_client_id: Not found: no client has client_code 'B4'." in out
    assert "row 5: channel: Not found: no client-channel has name 'Wholesale'." in out
    assert "row 6: sv_priceList: Ambiguous: 2 pricelist rows have name 'Twice'; use the _id." in out
    assert set(rows) == {"HQ", "B1", "B2"}  # failed rows wrote nothing


# Repzo export JSON ---------------------------------------------------------------------------------
def repzo_files(tmp_path):
    channels = [
        {
            "_id": CHANNEL_OID,
            "name": "Retail",
            "local_name": "تجزئة",
            "disabled": False,
            "company_namespace": ["repzo-co"],
            "createdAt": "2024-01-12T08:30:00.000Z",
            "updatedAt": "2024-02-01T10:00:00.250Z",
            "__v": 0,
        },
        {"_id": OTHER_CHANNEL_OID, "name": "Wholesale", "createdAt": "2024-01-13T08:30:00.000Z", "__v": 2},
    ]
    clients = [
        {
            "_id": CLIENT_OIDS[0],
            "name": "Corner Shop",
            "client_code": "R-1",
            "channel": CHANNEL_OID,
            "tags": [],
            "integration_meta": {"erp_id": 77},
            "createdAt": "2023-05-01T00:00:00.000Z",
            "updatedAt": "2024-03-01T12:00:00.000Z",
            "__v": 5,
        },
        {"_id": CLIENT_OIDS[1], "name": "Kiosk", "channel": OTHER_CHANNEL_OID, "parent_client_id": CLIENT_OIDS[0]},
    ]
    return write(tmp_path, "channels.json", json.dumps(channels)), write(tmp_path, "clients.json", json.dumps(clients))


def test_repzo_export_json_maps_ids_keeps_timestamps_and_reimports_unchanged(tmp_path, tenant):
    channels_file, clients_file = repzo_files(tmp_path)
    assert run("import_data", "client-channel", channels_file, "--tenant", "acme")[0] == 0
    code, out, _ = run("import_data", "client", clients_file, "--tenant", "acme")
    assert code == 0 and "2 created" in out

    channel = ClientChannel.objects.get(tenant=tenant, name="Retail")
    assert channel.pk == mapped_id(tenant_id=tenant.pk, model_label="clients.clientchannel", source=CHANNEL_OID)
    assert channel.pk.version == 7 and channel.pk.int >> 80 == int(CHANNEL_OID[:8], 16) * 1000  # time-ordered
    assert channel.integration_meta == {"repzo_id": CHANNEL_OID}
    channel_doc = by("name", docs("client-channel", tenant))["Retail"]
    assert (channel_doc["createdAt"], channel_doc["updatedAt"]) == (
        "2024-01-12T08:30:00.000Z",
        "2024-02-01T10:00:00.250Z",
    )

    clients = by("name", docs("client", tenant))
    shop, kiosk = clients["Corner Shop"], clients["Kiosk"]
    assert shop["channel"] == str(channel.pk) and kiosk["parent_client_id"] == shop["_id"]
    assert shop["integration_meta"] == {"erp_id": 77, "repzo_id": CLIENT_OIDS[0]}
    assert (shop["createdAt"], shop["updatedAt"], shop["__v"]) == (
        "2023-05-01T00:00:00.000Z",
        "2024-03-01T12:00:00.000Z",
        0,
    )

    before = {doc["_id"]: doc for doc in docs("client", tenant) + docs("client-channel", tenant)}
    for resource, path in (("client-channel", channels_file), ("client", clients_file)):
        code, out, _ = run("import_data", resource, path, "--tenant", "acme")
        assert code == 0 and "0 created" in out and "2 unchanged" in out
    after = {doc["_id"]: doc for doc in docs("client", tenant) + docs("client-channel", tenant)}
    assert after == before


def test_repzo_references_to_rows_not_imported_yet_fail_clearly(tmp_path, tenant):
    _, clients_file = repzo_files(tmp_path)
    code, out, _ = run("import_data", "client", clients_file, "--tenant", "acme")
    assert code == 1 and "2 failed" in out
    assert f"row 1: channel: Not found: {CHANNEL_OID} (no client-channel was imported with this id" in out
    assert not Client.objects.filter(tenant=tenant).exists()


def test_a_repzo_row_matching_an_existing_row_by_natural_key_is_tagged_on_update(tmp_path, tenant):
    existing = ClientChannelFactory(tenant=tenant, name="Retail")
    channels_file, clients_file = repzo_files(tmp_path)
    code, out, _ = run("import_data", "client-channel", channels_file, "--tenant", "acme", "--update")
    assert code == 0 and "1 updated" in out and "1 created" in out
    existing.refresh_from_db()
    assert existing.integration_meta == {"repzo_id": CHANNEL_OID} and existing.local_name == "تجزئة"
    assert run("import_data", "client", clients_file, "--tenant", "acme")[0] == 0  # found by its Repzo id
    assert Client.objects.get(tenant=tenant, name="Corner Shop").channel_id == existing.pk


# Round trips ---------------------------------------------------------------------------------------
def created(api, path, body) -> dict:
    response = api.post(f"/v1/{path}", body, format="json")
    assert response.status_code == 201, response.content
    doc = response.json()
    return doc.get("data", doc) if "_id" not in doc else doc


def seed_clients(api):
    channel = created(api, "client-channel", {"name": "Retail", "local_name": "تجزئة"})
    tag = created(api, "tag", {"name": "VIP"})
    rows = [
        {
            "name": 'Shop "one", with\ttab',
            "local_name": "متجر",
            "client_code": "C-1",
            "channel": channel["_id"],
            "tags": [tag["_id"]],
            "lat": 24.123456,
            "lng": 46.5,
            "credit_limit": 99.95,
            "customFields": {"tier": "gold", "n": [1, 2]},
            "job_category": ["a", "b;c"],
            "comment": "line one\nline two",
            "disabled": True,
            "payment_type": "credit",
        },
        {"name": "=1+1 formula-looking", "client_code": "C-2", "email": "x@example.com", "target_visit": 3},
        {"name": "Minimal"},
    ]
    for row in rows:
        created(api, "client", row)


def comparable(doc, resource) -> dict:
    """A document minus what a copy into another tenant changes: ids (mapped), namespace,
    version and the values services set (read-only fields)."""
    serializer = get_resource(resource).serializer_class(context={})
    out = {}
    for name, value in doc.items():
        field = serializer.fields.get(name)
        if name in ("createdAt", "updatedAt", "modifiedAt"):
            out[name] = value
        elif field is None or field.read_only or name == "company_namespace":
            continue
        else:
            out[name] = value
    return out


def mapped(tenant, model, value):
    return str(mapped_id(tenant_id=tenant.pk, model_label=model._meta.label_lower, source=value))


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "xlsx"])
def test_every_format_round_trips_into_another_tenant(fmt, tmp_path, api, tenant, other_tenant):
    seed_clients(api)
    for resource in ("client-channel", "tag", "client"):
        path = str(tmp_path / f"{resource}.{fmt}")
        assert run("export_data", resource, "--tenant", "acme", "--format", fmt, "--output", path)[0] == 0
        code, out, _ = run("import_data", resource, path, "--tenant", "globex")
        assert code == 0, out
        code, out, _ = run("import_data", resource, path, "--tenant", "globex")  # again: nothing changes
        assert code == 0 and " 0 created" in out and "0 updated" in out, out
    source = by("client_code", docs("client", tenant))
    copied = by("client_code", docs("client", other_tenant))
    assert len(copied) == 3
    for code_, doc in source.items():
        expected = comparable(doc, "client")
        expected["channel"] = doc["channel"] and mapped(other_tenant, ClientChannel, doc["channel"])
        expected["tags"] = sorted(mapped(other_tenant, Tag, t) for t in doc["tags"])
        got = comparable(copied[code_], "client")
        got["tags"] = sorted(got["tags"])
        assert got == expected


def test_export_to_stdout_and_xlsx_text_never_becomes_a_formula(tmp_path, api, tenant):
    seed_clients(api)
    code, out, _ = run("export_data", "client", "--tenant", "acme", "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 3
    assert {json.loads(line)["client_code"] for line in out.splitlines()} == {"C-1", "C-2", None}
    from openpyxl import load_workbook

    path = str(tmp_path / "clients.xlsx")
    run("export_data", "client", "--tenant", "acme", "--output", path)
    sheet = load_workbook(path).worksheets[0]
    names = [
        row[list(next(sheet.iter_rows(values_only=True))).index("name")] for row in sheet.iter_rows(values_only=True)
    ]
    assert "=1+1 formula-looking" in names and sheet.title == "client"


def importable_resources():
    out = []
    for resource in all_resources():
        if resource.can_create:
            out.append(pytest.param(resource.name, id=resource.name))
    return out


def factory_for(model):
    """The model's factory, from tests/factories.py or any tests/factories_*.py."""
    import importlib
    import pkgutil

    import tests

    modules = [factories] + [
        importlib.import_module(f"tests.{info.name}")
        for info in pkgutil.iter_modules(tests.__path__)
        if info.name.startswith("factories_")
    ]
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and getattr(getattr(value, "_meta", None), "model", None) is model:
                return value
    return None


# Sales documents import as documents, through their services (items resolved, priced, stock
# moved): a copy into another company needs its items' variants mapped and stocked there, which
# the import of documents does not do yet (issue 10, lowest priority).
# A settlement applies payments' remainders to invoices: its copy needs those documents (and their
# allocations) in the other company, which an import of settlements alone does not bring (issue 11).
DOCUMENTS_NOT_ROUND_TRIPPED = {"fullinvoices", "proforma", "settlement"}


def _unportable(resource) -> list[str]:
    """Write-only fields an import still requires: no export carries them (a rep's password is
    optional in imports, so no resource has one today)."""
    serializer = resource.serializer_class(context={"importing": True})
    return [n for n, f in serializer.fields.items() if f.write_only and f.required]


@pytest.mark.parametrize("fmt", ["json", "csv", "jsonl", "xlsx"])
@pytest.mark.parametrize("name", importable_resources())
def test_every_resource_exports_and_imports_back(name, fmt, tmp_path, tenant, other_tenant):
    """In every format: a spreadsheet cell carries a decimal the API writes as a string (a
    product's base_price) and a list of objects (a route's clients) back to the same value."""
    resource = get_resource(name)
    factory = factory_for(resource.model)
    if factory is None or resource.model._meta.db_table not in connection.introspection.table_names():
        pytest.skip(f"no factory or table for {name} yet")
    if name in DOCUMENTS_NOT_ROUND_TRIPPED:
        pytest.skip(f"{name}: documents with items do not round-trip between companies yet")
    factory.create_batch(2, tenant=tenant)
    done = set()

    def copy(res):  # the rows it references first, as a person importing a set of files would
        if res.name in done:
            return
        done.add(res.name)
        if _unportable(res):
            pytest.skip(f"{res.name} has required write-only fields {_unportable(res)}: an export cannot carry them")
        nested = [model for keys in _nested_targets(res).values() for model in keys.values()]
        for target in [target for target, _many in _targets(res).values()] + nested:
            dependency = next((r for r in all_resources() if r.model is target), None)
            if (
                dependency is not None
                and dependency.can_create
                and dependency.model is not res.model
                and dependency.model.objects.filter(tenant=tenant).exists()
            ):
                copy(dependency)
        path = str(tmp_path / f"{res.name.replace('/', '-')}.{fmt}")
        assert run("export_data", res.name, "--tenant", "acme", "--output", path)[0] == 0
        code, out, err = run("import_data", res.name, path, "--tenant", "globex")
        assert code == 0, out + err

    copy(resource)
    source, copied = docs(name, tenant), docs(name, other_tenant)
    assert len(copied) == len(source) == resource.model.objects.filter(tenant=tenant).count()
    targets, nested = _targets(resource), _nested_targets(resource)

    def portable(doc, *, mapping):
        out = {k: without_ids(v) for k, v in comparable(doc, name).items()}
        for field, (model, many) in targets.items():
            value = out.get(field)
            if many and isinstance(value, list):
                out[field] = sorted(mapped(other_tenant, model, v) if mapping else v for v in value)
            elif value and mapping:
                out[field] = mapped(other_tenant, model, value)
        for field, keys in nested.items():  # references inside a document's objects (lines)
            for item in out.get(field) or []:
                for key, model in keys.items():
                    if isinstance(item, dict) and item.get(key) and mapping:
                        item[key] = mapped(other_tenant, model, item[key])
        return json.dumps(out, sort_keys=True)

    assert sorted(portable(d, mapping=False) for d in copied) == sorted(portable(d, mapping=True) for d in source)
    path = str(tmp_path / f"{name.replace('/', '-')}.{fmt}")
    code, out, _ = run("import_data", name, path, "--tenant", "globex")
    assert code == 0 and "0 created" in out and "0 updated" in out, out


def _nested_targets(resource):
    from core.dataio.references import References

    serializer = resource.serializer_class(context={"importing": True})
    return References.nested_targets({n: f for n, f in serializer.fields.items() if not f.read_only})


def _targets(resource):
    from core.dataio.references import References

    serializer = resource.serializer_class(context={"importing": True})
    return References.targets({n: f for n, f in serializer.fields.items() if not f.read_only})


# Bad files -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin1.csv", "name,city\nCaf\xe9,Paris\n".encode("latin-1"), "not UTF-8 text: byte 0xe9 near line"),
        ("utf16.csv", "name\nA\n".encode("utf-16"), "UTF-16"),
        ("missing.csv", "client_code,city\nC1,Amman\n", "Missing required column for client: name."),
        ("unknown.csv", "name,colour,size_xl\nA,red,1\n", "Unknown columns for client: colour, size_xl."),
        ("quotes.csv", 'name,city\nA,"Amman\nB,Irbid\n', "Line 3: the CSV is malformed (unexpected end of data)"),
        ("empty.csv", "", "The file is empty"),
        ("twice.csv", "name,name\nA,B\n", "Column 'name' appears twice"),
        ("broken.json", '[{"name": "A"}, {"name": "B",}]', "Invalid JSON (Expecting property name"),
        ("object.json", '{"total": 3}', "The file is a JSON object, not an array of documents"),
        ("keys.json", '[{"name": "A"}, {"name": "B", "colour": "red"}]', "Unknown key for client: colour."),
        ("book.xlsx", b"PK\x03\x04 not really a zip", "not a valid .xlsx workbook"),
    ],
)
def test_file_level_errors_write_nothing_and_exit_2(name, content, message, tmp_path, tenant):
    code, out, err = run("import_data", "client", write(tmp_path, name, content), "--tenant", "acme")
    assert code == 2
    assert message in err and "Nothing was imported." in err
    assert not Client.objects.exists()


def test_row_level_errors_name_row_field_and_reason(tmp_path, tenant):
    ClientChannelFactory(tenant=tenant, name="Retail")
    errors_file = tmp_path / "errors.csv"
    code, out, _ = import_clients(
        tmp_path,
        "name,client_code,lat,payment_type,channel,disabled\n"
        "Good,G1,1.5,cash,Retail,no\n"
        "Bad lat,B1,north,,,\n"  # not a number
        "Bad choice,B2,,barter,,\n"  # the serializer's choices
        "Extra,B3,,,,,,\n"  # more cells than the header
        "Far,B4,123,,,\n"  # the model's range, through the serializer
        "Dup,G1,,,,\n"  # the same natural key again
        "Nope,B5,,,Wholesale,maybe\n",  # two errors on one row
        "--errors",
        str(errors_file),
    )
    assert code == 1 and "1 created" in out and "6 failed" in out
    assert "row 3: lat: Expected a number." in out
    assert 'row 4: payment_type: "barter" is not a valid choice.' in out
    assert "row 5: (row): The row has 8 cells; the header has 6 columns." in out
    assert "row 6: lat: Ensure this value is less than or equal to 90." in out
    assert "row 7: client_code: Duplicate: client_code 'G1' already appears at row 2." in out
    assert "row 8: disabled: Expected true or false" in out and "row 8: channel: Not found" not in out
    rows = list(csv.reader(errors_file.open()))
    assert rows[0] == ["row", "field", "message"] and len(rows) == 7
    assert list(Client.objects.values_list("client_code", flat=True)) == ["G1"]


def test_duplicates_are_caught_across_batches_and_by_id(tmp_path, tenant):
    oid = "65c000000000000000000001"
    path = write(
        tmp_path,
        "dups.jsonl",
        "\n".join(
            [
                json.dumps({"_id": oid, "name": "A", "client_code": "K1"}),
                json.dumps({"name": "B", "client_code": "K2"}),
                "{not json",
                json.dumps({"name": "C", "client_code": "K1"}),
                json.dumps({"_id": oid.upper(), "name": "D"}),
                json.dumps(["not", "an", "object"]),
            ]
        ),
    )
    code, out, _ = run("import_data", "client", path, "--tenant", "acme", "--batch-size", "2")
    assert code == 1 and "2 created" in out and "4 failed" in out
    assert "row 3: (row): Invalid JSON: Expecting property name enclosed in double quotes at column 2." in out
    assert "row 4: client_code: Duplicate: client_code 'K1' already appears at row 1." in out
    assert f"row 5: _id: Duplicate: _id {oid.upper()} already appears at row 1." in out
    assert "row 6: (row): Expected a JSON object, got list." in out


def test_a_failing_row_of_a_per_row_resource_leaves_nothing_and_the_others_are_written(tmp_path, tenant):
    client = ClientFactory(tenant=tenant, client_code="C1")
    path = write(
        tmp_path,
        "locations.json",
        json.dumps(
            [
                {"client": "C1", "name": "HQ", "address": "1 Main St", "is_primary": True},
                {"client": str(client.pk), "name": "Bad", "address": "x", "business_hours": {"monday": {"open": "9"}}},
                {"client": "C1", "name": "Depot", "address": "2 Main St", "is_primary": True},
            ]
        ),
    )
    code, out, _ = run("import_data", "client-location", path, "--tenant", "acme")
    assert code == 1 and "2 created" in out
    assert "row 2: business_hours.monday.open: Expected a time" in out
    primaries = ClientLocation.objects.filter(client=client, is_primary=True).values_list("name", flat=True)
    assert list(primaries) == ["Depot"]  # the service's one-primary rule ran for each row


# Modes and dry run ---------------------------------------------------------------------------------
def test_existing_rows_error_by_default_and_update_or_skip_on_request(tmp_path, tenant):
    client = ClientFactory(tenant=tenant, client_code="C1", name="Shop", city="Amman")
    same = "name,client_code,city\nShop,C1,Amman\n"
    code, out, _ = import_clients(tmp_path, same)
    assert code == 0 and "1 unchanged" in out
    changed = "name,client_code,city\nShop,C1,Irbid\nNew,C2,Zarqa\n"
    code, out, _ = import_clients(tmp_path, changed, "--dry-run")
    assert code == 1 and "Dry run" in out and "row 2: (row): Already exists as" in out and "--update" in out
    assert not Client.objects.filter(client_code="C2").exists()
    code, out, _ = import_clients(tmp_path, changed, "--skip-existing")
    assert code == 0 and "1 created" in out and "1 skipped" in out
    client.refresh_from_db()
    assert client.city == "Amman" and client.version == 0
    code, out, _ = import_clients(tmp_path, "client_code,city\nC1,Irbid\nC2,Zarqa\n", "--update")  # no name column
    assert code == 0 and "1 updated" in out and "1 unchanged" in out
    client.refresh_from_db()
    assert (client.city, client.name, client.version) == ("Irbid", "Shop", 1)


def test_a_change_the_service_normalises_away_is_unchanged(tmp_path, tenant):
    MailUnsubscribe.objects.create(tenant=tenant, email="a@b.com", unsubscribe_types=["all"])
    path = write(tmp_path, "unsub.csv", "email,reason\nc@d.com,\n a@b.com ,\n")
    code, out, _ = run("import_data", "mail-unsubscribe", path, "--tenant", "acme", "--update")
    assert code == 0 and "1 created" in out and "1 unchanged" in out
    path = write(tmp_path, "unsub2.csv", "email,reason\na@b.com,moved\n")
    code, out, _ = run("import_data", "mail-unsubscribe", path, "--tenant", "acme", "--update")
    assert code == 1 and "mail-unsubscribe rows cannot be updated" in out


def test_dry_run_validates_everything_and_writes_nothing(tmp_path, tenant, api):
    ClientChannelFactory(tenant=tenant, name="Retail")
    code, out, _ = import_clients(
        tmp_path, "name,client_code,channel,parent_client_id\nA,A1,Retail,\nB,B1,Retail,A1\nC,C1,Gone,\n", "--dry-run"
    )
    assert code == 1 and out.startswith("Dry run (nothing written): client: 3 rows")
    assert "2 created" in out and "row 4: channel: Not found" in out
    assert not Client.objects.exists() and api.get("/v1/client").json()["total_result"] == 0


def test_resources_and_tenants_are_checked_before_reading(tmp_path, tenant):
    path = write(tmp_path, "x.csv", "name\nA\n")
    assert run("import_data", "clients", path, "--tenant", "acme")[0] == 2
    assert "Unknown resource 'clients'" in run("import_data", "clients", path, "--tenant", "acme")[2]
    assert run("import_data", "client", path, "--tenant", "nobody")[0] == 2
    assert run("import_data", "client", str(tmp_path / "missing.csv"), "--tenant", "acme")[0] == 2
    assert run("export_data", "client", "--tenant", "acme")[0] == 2  # no format, no output name


# The fast paths agree with the slow ones -----------------------------------------------------------
TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", " x ", "a\x00b", "Amman", "é" * 300]))
VALUES = st.one_of(TEXT, st.integers(-200, 200), st.floats(allow_nan=True), st.booleans(), st.none())
EMAILS = st.one_of(st.emails(), st.sampled_from(["a@b", "a..b@c.com", ".a@b.co", "a@-b.com", "x@y.c0m", "a b@c.com"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    row=st.fixed_dictionaries(
        {},
        optional={
            "name": TEXT,
            "client_code": VALUES,
            "email": st.one_of(EMAILS, VALUES),
            "lat": VALUES,
            "target_visit": VALUES,
            "disabled": VALUES,
            "payment_type": st.one_of(st.sampled_from(["cash", "credit", "Cash"]), VALUES),
            "credit_limit": VALUES,
            "job_category": st.one_of(st.lists(TEXT, max_size=3), VALUES),
        },
    )
)
def test_compiled_validation_matches_the_serializer(row):
    tenant = Tenant(namespace="t")
    serializer = ClientSerializer(data=row, context={"tenant": tenant})
    validator = RowValidator(ClientSerializer(context={"tenant": tenant}))
    try:
        fast = validator.validate(row)
    except Exception as exc:  # noqa: BLE001  (compared with DRF's errors below)
        fast = exc.detail
        assert not serializer.is_valid()
        assert json.loads(json.dumps(fast)) == json.loads(json.dumps(serializer.errors))
    else:
        assert serializer.is_valid(), serializer.errors
        assert dict(fast) == dict(serializer.validated_data)


# Readers, progress ---------------------------------------------------------------------------------
def test_json_is_read_document_by_document_across_small_chunks(tmp_path, monkeypatch):
    documents = [{"name": f"n{i}", "lat": 1.25 + i, "tags": ["a", "b"], "text": "x" * (i * 7)} for i in range(40)]
    path = write(tmp_path, "many.json", "  [\n" + ",\n".join(json.dumps(d) for d in documents) + "\n]  \n")
    monkeypatch.setattr(JsonSource, "CHUNK", 7)
    source = open_source(path)
    assert source.total == 40 and source.columns == ["name", "lat", "tags", "text"]
    assert [doc for _, doc in source] == documents


def test_progress_is_a_single_line_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress(stream, 2000)
        progress.update(1000, force=True)
        progress.finish(2000)
    assert terminal.getvalue().startswith("\r1,000 / 2,000 rows (50.0 %)") and terminal.getvalue().endswith("\n")
    assert "2,000 / 2,000 rows (100.0 %)" in terminal.getvalue()
    assert pipe.getvalue() == ""


def test_import_file_api_reports_planned_actions(tmp_path, tenant):
    from core.dataio.report import ImportReport

    ClientFactory(tenant=tenant, client_code="C1", name="Shop")
    report = ImportReport("client", dry_run=True, preview=10)
    path = write(tmp_path, "c.csv", "name,client_code\nShop,C1\nNew,C2\n,C3\n")
    import_file(resource="client", tenant=tenant, path=path, options=ImportOptions(dry_run=True), report=report)
    assert [(p.row, p.action) for p in report.preview] == [(2, "unchanged"), (3, "created"), (4, "failed")]
    assert report.preview[2].messages == ["name: This field is required."]
    assert report.exit_code == 1 and not Client.objects.filter(client_code="C2").exists()


# The admin -----------------------------------------------------------------------------------------
@pytest.fixture
def staff(tenant):
    from django.contrib.auth.models import Permission

    from core.models import User

    user = User.objects.create_user(username="staff", password="pw", is_staff=True, tenant=tenant)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["clients", "core"]))
    return user


def test_admin_import_previews_then_confirms(client, staff, tenant, other_tenant):
    TagFactory(tenant=other_tenant, name="Theirs")
    client.force_login(staff)
    changelist = client.get("/admin/clients/tag/")
    assert 'href="/admin/clients/tag/import/"' in changelist.text
    upload = io.BytesIO(b"name,disabled\nVIP,false\nOld,true\nVIP,false\n")
    upload.name = "tags.csv"
    preview = client.post("/admin/clients/tag/import/", {"file": upload, "mode": "create"})
    assert preview.status_code == 200
    report = preview.context["report"]
    assert (report.counts["created"], report.counts["failed"]) == (2, 1)
    assert "Duplicate: name &#x27;VIP&#x27; already appears at row 2." in preview.text
    assert "Confirm import" in preview.text and not Tag.objects.filter(tenant=tenant).exists()
    done = client.post("/admin/clients/tag/import/", {"token": preview.context["token"], "confirm": "1"})
    assert done.status_code == 200 and done.context["done"]  # a row failed: the page shows the report
    assert sorted(Tag.objects.filter(tenant=tenant).values_list("name", flat=True)) == ["Old", "VIP"]
    again = client.post("/admin/clients/tag/import/", {"token": preview.context["token"], "confirm": "1"})
    assert again.status_code == 302  # the upload is used up


def test_admin_export_action_downloads_the_selected_documents(client, staff, tenant):
    tags = [TagFactory(tenant=tenant, name=n) for n in ("A", "B", "C")]
    client.force_login(staff)
    response = client.post(
        "/admin/clients/tag/",
        {"action": "export_csv", "_selected_action": [str(tags[0].pk), str(tags[2].pk)]},
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["name"] for row in rows] == ["A", "C"] and rows[0]["_id"] == str(tags[0].pk)


# PostgreSQL: the writer thread ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_bulk_writes_overlap_on_postgresql_and_see_earlier_batches(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the writer thread runs on PostgreSQL only")
    from core import services

    tenant = services.create_tenant(namespace="acme")
    ClientChannelFactory(tenant=tenant, name="Retail")
    lines = ["name,client_code,channel,parent_client_id"]
    lines += [f"Client {i},K{i},Retail,{'K0' if i else ''}" for i in range(7)]
    lines.append("Late,K9,Retail,K8")  # K8 is never imported
    code, out, _ = import_clients(tmp_path, "\n".join(lines) + "\n", "--batch-size", "2")
    assert code == 1 and "7 created" in out and "row 9: parent_client_id: Not found" in out
    parent = Client.objects.get(tenant=tenant, client_code="K0")
    assert Client.objects.filter(tenant=tenant, parent_client=parent).count() == 6
    assert rowcounts.kept_count(tenant=tenant, table=Client._meta.db_table) == 7
    assert uuid.UUID(str(parent.pk)).version == 7


def test_a_long_import_does_not_keep_debugs_query_log(tmp_path, tenant, settings):
    """With DEBUG on, Django logs every query; the import empties the log batch by batch, so
    memory does not grow with the file (it grew ~50 bytes a row before)."""
    settings.DEBUG = True

    def logged_after(rows: int) -> int:
        connection.queries_log.clear()
        lines = "".join(f"Client {rows}-{n},C{rows}-{n}\n" for n in range(rows))
        code, _, _ = import_clients(tmp_path, "name,client_code\n" + lines, "--batch-size", "2")
        assert code == 0
        return len(connection.queries_log)

    short, long = logged_after(4), logged_after(40)
    assert Client.objects.filter(tenant=tenant).count() == 44
    assert 0 < long <= short


def test_catalogue_and_pricing_files_refer_to_rows_by_name_sku_and_email(tmp_path, tenant):
    """Spreadsheets of the sales resources name their references as staff know them: categories,
    brands, taxes and price lists by name, products and variants by SKU, reps by email; and a
    file without ids finds the rows it was imported as by those keys."""
    from sales import models as sm
    from tests.factories_sales_pricing import TaxFactory, make_rep

    sm.ProductCategory.objects.create(tenant=tenant, name="Drinks")
    sm.ProductBrand.objects.create(tenant=tenant, name="Acme")
    sm.ProductBrand.objects.create(tenant=tenant, name="Zenith")
    sm.PriceList.objects.create(tenant=tenant, name="Retail")
    tax = TaxFactory(tenant=tenant, name="VAT 16")
    rep = make_rep(tenant, email="sam@example.test")

    def imported(resource, text, *extra):
        return run("import_data", resource, write(tmp_path, f"{resource}.csv", text), "--tenant", "acme", *extra)

    products = "name,sku,category,brand,sv_tax\nCola,P-1,Drinks,Acme,VAT 16\n"
    assert imported("product", products)[0] == 0
    code, out, _ = imported("variant", "name,sku,product,price\nCola 330ml,V-1,P-1,1.5\nCola 1l,V-2,P-9,3\n")
    assert code == 1 and "row 3: product: Not found: no product has sku 'P-9'." in out
    code, out, _ = imported("pricelistitem", "pricelist_id,product_id,variant_id,price\nRetail,P-1,V-1,2.25\n")
    assert code == 0, (out, _)
    code, out, _ = imported("client", "name,client_code,assigned_to,sv_priceList\nShop,C1,sam@example.test,Retail\n")
    assert code == 0, out

    product = sm.Product.objects.get(tenant=tenant, sku="P-1")
    assert (product.category.name, product.brand.name, product.sv_tax_id) == ("Drinks", "Acme", tax.pk)
    variant = sm.Variant.objects.get(tenant=tenant, sku="V-1")
    assert variant.product_id == product.pk
    item = sm.PriceListItem.objects.get(tenant=tenant)
    assert (item.pricelist.name, item.variant_id, str(item.price)) == ("Retail", variant.pk, "2.25")
    client = Client.objects.get(tenant=tenant, client_code="C1")
    assert list(client.assigned_to.all()) == [rep] and client.sv_price_list.name == "Retail"

    code, out, _ = imported("product", products.replace("Acme", "Zenith"), "--update")
    assert code == 0 and "1 updated" in out
    product.refresh_from_db()
    assert product.brand.name == "Zenith" and sm.Product.objects.filter(tenant=tenant).count() == 1


def test_reps_import_without_a_password_and_cannot_sign_in_until_one_is_set(tmp_path, tenant, api):
    """No export carries a rep's password (write-only): an imported rep gets an unusable one.
    The API still requires it."""
    from sales.models import Rep

    path = write(tmp_path, "reps.csv", "name,email,role\nSam,sam@example.test,rep\n")
    code, out, _ = run("import_data", "rep", path, "--tenant", "acme")
    assert code == 0 and "1 created" in out
    rep = Rep.objects.get(tenant=tenant, email="sam@example.test")
    assert rep.password.startswith("!") and not rep.check_password("") and not rep.check_password(rep.password)
    assert (
        api.post("/v1/rep", {"name": "Al", "email": "al@example.test", "role": "rep"}, format="json").status_code == 400
    )
    assert api.put(f"/v1/rep/{rep.pk}", {"password": "s3cret-Pass"}, format="json").status_code == 200
    rep.refresh_from_db()
    assert rep.check_password("s3cret-Pass")


# References inside documents -----------------------------------------------------------------------
def test_references_inside_documents_resolve_like_top_level_ones(tmp_path, tenant, other_tenant):
    """A route's `clients[{client_id, priority}]` name clients by a Repzo ObjectId, a client_code
    or (in another tenant's export) that tenant's ids, resolved as top-level references are; a
    csv cell carries the list as JSON."""
    from tests.factories_sales_organisation import RepFactory

    clients = [
        {"_id": CLIENT_OIDS[0], "name": "Corner Shop", "client_code": "R-1"},
        {"_id": CLIENT_OIDS[1], "name": "Kiosk", "client_code": "R-2"},
    ]
    assert run("import_data", "client", write(tmp_path, "c.json", json.dumps(clients)), "--tenant", "acme")[0] == 0
    RepFactory(tenant=tenant, email="sam@example.test")
    routes = [
        {
            "_id": "65e000000000000000000001",
            "name": "North",
            "day": "sun",
            "rep_id": "sam@example.test",
            "clients": [{"client_id": CLIENT_OIDS[1], "priority": 1}, {"client_id": "R-1", "priority": 2}],
        },
        {"name": "South", "day": "mon", "clients": [{"client_id": "R-1"}, {"client_id": "R-9"}]},
    ]
    path = write(tmp_path, "routes.json", json.dumps(routes))
    code, out, _ = run("import_data", "route", path, "--tenant", "acme")
    assert code == 1 and "1 created" in out
    assert "row 2: clients.1.client_id: Not found: no client has client_code 'R-9'." in out
    shop, kiosk = (Client.objects.get(tenant=tenant, client_code=c) for c in ("R-1", "R-2"))
    north = by("name", docs("route", tenant))["North"]
    assert north["clients"] == [{"client_id": str(kiosk.pk), "priority": 1}, {"client_id": str(shop.pk), "priority": 2}]
    code, out, _ = run("import_data", "route", path, "--tenant", "acme")  # again: nothing changes
    assert "0 created" in out and "1 unchanged" in out and "0 updated" in out

    for resource in ("client", "rep", "route"):
        exported = str(tmp_path / f"{resource}.csv")
        assert run("export_data", resource, "--tenant", "acme", "--output", exported)[0] == 0
        code, out, err = run("import_data", resource, exported, "--tenant", "globex")
        assert code == 0, out + err
    copied = by("name", docs("route", other_tenant))["North"]
    assert [c["client_id"] for c in copied["clients"]] == [
        mapped(other_tenant, Client, str(kiosk.pk)),
        mapped(other_tenant, Client, str(shop.pk)),
    ]


# Files as people make them -------------------------------------------------------------------------
def test_spreadsheet_exports_from_other_tools_import(tmp_path, tenant):
    """Excel's 'CSV UTF-8' (a BOM, CRLF, rows of empty cells at the end), a semicolon-separated
    CSV, an xlsx with padded header cells and empty rows below the data, and an API list
    response saved as it came."""
    from openpyxl import Workbook

    excel = b"\xef\xbb\xbfname,client_code,city\r\nBom Shop,B1,Amman\r\nCrlf,B2,Irbid\r\n,,\r\n, ,,,\r\n"
    code, out, _ = import_clients(tmp_path, excel, name="excel.csv")  # rows of empty cells are no rows
    assert code == 0 and "client: 2 rows" in out and "2 created" in out, out
    code, out, _ = import_clients(tmp_path, 'name;client_code;city\nSemi;S1;"Irbid; north"\n', name="semi.csv")
    assert code == 0 and "1 row in" in out and "1 created" in out
    book = Workbook()
    sheet = book.active
    sheet.append([" name ", "client_code  ", " city"])
    sheet.append(["Sheet Shop", 1001, "Zarqa"])
    sheet.append([None, None, None])
    sheet.append(["", " ", None])
    sheet["B9"].value = None  # a touched cell further down stretches the sheet's dimension
    book.save(tmp_path / "book.xlsx")
    code, out, _ = run("import_data", "client", str(tmp_path / "book.xlsx"), "--tenant", "acme")
    assert code == 0 and "1 created" in out, out
    response = {"data": [{"name": "Api Shop", "client_code": "A1"}], "total_result": 1, "current_page": 1}
    code, out, _ = run("import_data", "client", write(tmp_path, "page.json", json.dumps(response)), "--tenant", "acme")
    assert code == 0 and "1 created" in out
    rows = {c.client_code: (c.name, c.city) for c in Client.objects.filter(tenant=tenant)}
    assert rows == {
        "B1": ("Bom Shop", "Amman"),
        "B2": ("Crlf", "Irbid"),
        "S1": ("Semi", "Irbid; north"),
        "1001": ("Sheet Shop", "Zarqa"),
        "A1": ("Api Shop", ""),
    }


@pytest.mark.parametrize(
    ("name", "content"), [("header.csv", "name,client_code\r\n"), ("empty.jsonl", ""), ("e.json", "[]")]
)
def test_a_file_without_rows_imports_nothing_and_says_so(name, content, tmp_path, tenant):
    code, out, _ = run("import_data", "client", write(tmp_path, name, content), "--tenant", "acme")
    assert code == 0 and "client: 0 rows" in out and "The file has no rows to import" in out


def _xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    stream = io.BytesIO()
    Workbook().save(stream)
    return stream.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "fmt", "message"),
    [
        ("book.csv", _xlsx_bytes(), None, "The file is an xlsx workbook (a zip archive), not csv text"),
        ("book.xlsx", _xlsx_bytes(), "json", "The file is an xlsx workbook (a zip archive), not json text"),
        ("rows.json", '[\n{"name": "A"},\n{"name": "B"}\n]\n', "jsonl", "The file is a JSON array: read it as json"),
        ("rows.json", '[{"name": "A"}]', "csv", "The file looks like JSON (it starts with '['), not CSV"),
        ("rows.csv", "name,client_code\nA,A1\n", "json", "The file is not JSON: it starts with 'name,client_code'"),
        ("rows.csv", "name,client_code\nA,A1\n", "jsonl", "The file is not JSON lines"),
        ("rows.csv", "name,client_code\nA,A1\n", "xlsx", "not an xlsx workbook; it looks like text: read it as csv"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), None, "an old Excel workbook (.xls)"),
        ("rows.txt", "name\nA\n", None, "Cannot tell the format from the file name 'rows.txt'"),
        ("one.json", '{"name": "A", "client_code": "A1"}', None, "The file is a JSON object, not an array"),
    ],
    ids=[
        "xlsx-as-csv",
        "xlsx-as-json",
        "json-as-jsonl",
        "json-as-csv",
        "csv-as-json",
        "csv-as-jsonl",
        "csv-as-xlsx",
        "xls",
        "txt",
        "one-document",
    ],
)
def test_a_file_read_as_another_format_is_refused_naming_the_right_one(name, content, fmt, message, tmp_path, tenant):
    """Checked on the first bytes, before any row is read: a JSON array read as JSON lines would
    otherwise import its last line (the one document without a trailing comma) and fail the rest."""
    extra = ["--format", fmt] if fmt else []
    code, out, err = run("import_data", "client", write(tmp_path, name, content), "--tenant", "acme", *extra)
    assert code == 2 and message in err and "Nothing was imported." in err and "Traceback" not in err
    assert not Client.objects.exists()


def test_paths_that_cannot_be_read_or_written_are_clear_errors(tmp_path, tenant, monkeypatch):
    ClientFactory(tenant=tenant, client_code="C1")
    path = write(tmp_path, "c.csv", "name,client_code\nA,A1\n")
    code, _, err = run("import_data", "client", str(tmp_path), "--tenant", "acme")
    assert code == 2 and f"Not a file: {tmp_path}" in err
    code, _, err = run("import_data", "client", path, "--tenant", "acme", "--errors", str(tmp_path / "no" / "e.csv"))
    assert code == 2 and "Cannot write --errors" in err and "No such file or directory" in err
    report = import_file(resource="client", tenant=tenant, path=str(tmp_path), fmt="csv")  # the engine alone
    assert report.exit_code == 2 and report.file_errors[0].startswith("The file cannot be read: Is a directory")
    code, _, err = run("export_data", "client", "--tenant", "acme", "--output", str(tmp_path / "no" / "c.csv"))
    assert code == 2 and "Cannot write" in err and "No such file or directory" in err
    monkeypatch.setattr("core.dataio.writers.XLSX_MAX_ROWS", 0)  # a worksheet's limit, made reachable
    code, _, err = run("export_data", "client", "--tenant", "acme", "--output", str(tmp_path / "c.xlsx"))
    assert code == 2 and "An xlsx worksheet holds at most 0 rows: export as csv or jsonl." in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv"]  # no partial export left behind
    assert Client.objects.filter(tenant=tenant).count() == 1


# The admin on every resource -------------------------------------------------------------------------
@pytest.mark.parametrize("name", [r.name for r in all_resources()])
def test_admin_exports_every_resource_in_every_format_and_previews_it_back(name, client, tenant):
    from core.models import User

    client.force_login(User.objects.create_superuser(username="root", password="pw", email="root@example.test"))
    resource = get_resource(name)
    factory_for(resource.model).create_batch(2, tenant=tenant)
    opts = resource.model._meta
    base = f"/admin/{opts.app_label}/{opts.model_name}/"
    assert f'href="{base}import/"' in client.get(base).text
    selected = [str(pk) for pk in resource.model.objects.filter(tenant=tenant).values_list("pk", flat=True)]
    for fmt in ("csv", "json", "jsonl", "xlsx"):
        response = client.post(base, {"action": f"export_{fmt}", "_selected_action": selected})
        assert response.status_code == 200 and response["Content-Disposition"].endswith(f'.{fmt}"')
        upload = io.BytesIO(b"".join(response.streaming_content))
        upload.name = f"{name.replace('/', '-')}.{fmt}"
        preview = client.post(f"{base}import/", {"file": upload, "mode": "create", "tenant": str(tenant.pk)})
        report = preview.context["report"]
        assert not report.file_errors and [str(e) for e in report.errors] == [], fmt
        assert report.counts["unchanged"] == len(selected), (fmt, report.counts)
        done = client.post(f"{base}import/", {"token": preview.context["token"], "confirm": "1"})
        assert done.status_code == 302

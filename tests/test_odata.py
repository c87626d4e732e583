"""The OData system query options (core/api/odata.py) over real client rows: the dataset of
QUERY-DIALECTS.md §1, through a test-only serializer that exposes its public names.

Adapted to the model: `name` and contact emails are NOT NULL columns (client 5 has an empty
name, contact 2 an empty email), and `active` is `not disabled`, so client 5 is active. Every
NULL rule is exercised on nullable columns instead (clientRef, balance, partnerStaffId,
targetVisit, firstTimeBuyer, channel).
"""

import datetime as dt
import operator
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.http import QueryDict
from rest_framework import serializers

from clients.models import Client, ClientChannel, ClientContact
from clients.serializers.people import ClientChannelSerializer, ClientContactSerializer
from core.api import odata
from core.api import registry as r
from core.api.odata import ODataError, compile_filter, compile_orderby, compile_select, parse_odata
from core.api.serializers import ResourceSerializer
from tests.factories import ClientChannelFactory, ClientContactFactory, ClientFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


class ActiveField(serializers.ReadOnlyField):
    """`active` is the inverse of the `disabled` column."""

    def describe(self, name, model):
        return r.FieldInfo(
            name,
            r.BOOLEAN,
            "disabled",
            model._meta.get_field("disabled"),
            value_key="disabled",
            convert=operator.not_,
            extra={"negate": True},
        )


class ODataClientSerializer(ResourceSerializer):
    active = ActiveField(source="disabled")

    class Meta:
        model = Client
        family = "D"
        aliases = {
            "clientRef": "client_code",
            "partnerStaffId": "owner",
            "balance": "credit_limit",
            "targetVisit": "target_visit",
            "customFields": "custom_fields",
            "firstTimeBuyer": "first_time_buyer",
        }
        fields = [
            "name", "clientRef", "partnerStaffId", "balance", "disabled", "active", "channel", "contacts",
            "targetVisit", "lat", "customFields", "firstTimeBuyer",
        ]  # fmt: skip


# number, name, clientRef, disabled, createdAt, partnerStaffId, balance, channel, targetVisit, firstTimeBuyer
ROWS = [
    (1, "Acme Technologies", "A-1045", False, (2021, 3, 1, 10, 0), "5", "100.00", "Retail", 3, True),
    (2, "biotech labs", "B-2001", False, (2022, 6, 15, 8, 30), "6", "0.00", "Wholesale", None, None),
    (3, "Zeta Corp", "Z-4501", True, (2019, 12, 31, 23, 59), "7", "-50.00", "Retail", 0, False),
    (4, "O'Brien & Sons", None, False, (2023, 1, 10, 0, 0), None, None, None, 12, None),
    (5, "", "N-0005", False, (2020, 5, 5, 12, 0), "9", "25.50", None, None, None),
    (6, "TECHNO 50% Off", "T_45", False, (1899, 12, 31, 0, 0), "5", "10.00", "Online", 7, None),
]
# contact number -> (client number, email, disabled)
CONTACTS = {
    1: (1, "ceo@acme.test", False),
    2: (1, "", True),
    3: (2, "info@biotech.test", False),
    4: (3, "x@zeta.test", False),
}


@pytest.fixture(autouse=True)
def related_resources(monkeypatch):
    """Navigation and lambdas read the target resource's public fields (filled by the router)."""
    monkeypatch.setitem(r.RESOURCE_SERIALIZERS, ClientChannel, ClientChannelSerializer)
    monkeypatch.setitem(r.RESOURCE_SERIALIZERS, ClientContact, ClientContactSerializer)


@pytest.fixture
def registry():
    return r.ResourceFields.of(ODataClientSerializer)


@pytest.fixture
def data(tenant):
    channels = {name: ClientChannelFactory(tenant=tenant, name=name) for name in ("Retail", "Wholesale", "Online")}
    clients = {}
    for number, name, ref, disabled, created, staff, balance, channel, visits, buyer in ROWS:
        created_at = dt.datetime(*created, tzinfo=UTC)
        client = ClientFactory(
            tenant=tenant,
            name=name,
            client_code=ref,
            disabled=disabled,
            created_at=created_at,
            owner=staff,
            credit_limit=Decimal(balance) if balance else None,
            channel=channels.get(channel),
            target_visit=visits,
            first_time_buyer=buyer,
        )
        Client.objects.filter(pk=client.pk).update(updated_at=created_at + dt.timedelta(days=number))
        clients[number] = client
    contacts = {}
    for number, (client_number, email, disabled) in CONTACTS.items():
        contacts[number] = ClientContactFactory(tenant=tenant, email=email, disabled=disabled)
        clients[client_number].contacts.add(contacts[number])
    return {"tenant": tenant, "clients": clients, "channels": channels, "contacts": contacts}


def numbers(data, queryset):
    by_pk = {client.pk: number for number, client in data["clients"].items()}
    return [by_pk[pk] for pk in queryset.values_list("pk", flat=True)]


@pytest.fixture
def where(data, registry):
    def run(text):
        rows = Client.objects.filter(tenant=data["tenant"]).filter(compile_filter(text, registry))
        return sorted(numbers(data, rows))

    return run


@pytest.fixture
def order(data, registry):
    def run(text):
        return numbers(data, Client.objects.filter(tenant=data["tenant"]).order_by(*compile_orderby(text, registry)))

    return run


def odata_error(call, *args, **kwargs) -> ODataError:
    with pytest.raises(ODataError) as caught:
        call(*args, **kwargs)
    return caught.value


ALL = [1, 2, 3, 4, 5, 6]


# $filter: comparisons, literals and the NULL rules of §3.2 -------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name eq 'Acme Technologies'", [1]),
        ("name eq 'acme technologies'", []),
        ("name eq 'O''Brien & Sons'", [4]),
        ("name ne 'Zeta Corp'", [1, 2, 4, 5, 6]),
        ("name gt 'Zeta'", [2, 3]),  # binary order: lower case sorts after upper case
        ("clientRef ne 'A-1045'", [2, 3, 4, 5, 6]),  # ne keeps the NULL row
        ("clientRef eq null", [4]),
        ("clientRef ne null", [1, 2, 3, 5, 6]),
        ("null eq clientRef", [4]),
        ("balance gt 0", [1, 5, 6]),
        ("balance ge 0", [1, 2, 5, 6]),
        ("balance lt 0", [3]),
        ("balance le 10", [2, 3, 6]),
        ("balance eq -50", [3]),
        ("balance eq 25.5", [5]),
        ("balance gt -1e2", [1, 2, 3, 5, 6]),
        ("balance lt 1E3", [1, 2, 3, 5, 6]),
        ("balance lt 1e300", [1, 2, 3, 5, 6]),
        ("0 lt balance", [1, 5, 6]),  # literal on the left
        ("not (balance gt 5)", [2, 3, 4]),  # not of a false comparison on NULL is true
        ("not(balance gt 5)", [2, 3, 4]),
        ("NOT(balance GT 5)", [2, 3, 4]),
        ("not not (balance gt 5)", [1, 5, 6]),
        ("targetVisit eq 3", [1]),
        ("targetVisit eq 3.0", [1]),
        ("targetVisit ne 3", [2, 3, 4, 5, 6]),
        ("targetVisit gt 99999999999999999999", []),
        ("targetVisit lt 99999999999999999999", [1, 3, 4, 6]),
        ("lat gt 30.5", []),
        ("partnerStaffId eq '5'", [1, 6]),
        ("partnerStaffId in ('5')", [1, 6]),  # a one-item list
        ("partnerStaffId in ('5', '7', null)", [1, 3, 4, 6]),
        ("not (partnerStaffId in ('5','6'))", [3, 4, 5]),
        ("disabled eq true", [3]),
        ("disabled", [3]),
        ("not disabled", [1, 2, 4, 5, 6]),
        ("active eq true", [1, 2, 4, 5, 6]),  # `active` is the inverted `disabled` column
        ("active", [1, 2, 4, 5, 6]),
        ("active eq false", [3]),
        ("active ne true", [3]),
        ("active in (false)", [3]),
        ("active gt false", [1, 2, 4, 5, 6]),
        ("active eq null", []),
        ("firstTimeBuyer eq true", [1]),
        ("firstTimeBuyer ne true", [2, 3, 4, 5, 6]),
        ("not firstTimeBuyer", [2, 3, 4, 5, 6]),
        ("firstTimeBuyer eq null", [2, 4, 5, 6]),
        ("createdAt gt 2021-01-01T00:00:00Z", [1, 2, 4]),
        ("createdAt eq 2021-03-01T10:00:00Z", [1]),
        ("createdAt eq 2021-03-01t10:00:00.000z", [1]),
        ("createdAt eq 2021-03-01T10:00:00", [1]),  # naive reads as UTC
        ("createdAt eq 2021-03-01T12:00:00+02:00", [1]),
        ("createdAt lt 2020-01-01T01:00:00+01:00", [3, 6]),
        ("createdAt lt 1900-01-01", [6]),  # a date reads as its UTC midnight
        ("createdAt ge 2023-01-10", [4]),
        ("createdAt lt updatedAt", ALL),  # property against property
        ("targetVisit lt balance", [1, 6]),
        ("clientRef eq partnerStaffId", [4]),  # null eq null is true
        ("clientRef ne partnerStaffId", [1, 2, 3, 5, 6]),
        ("true", ALL),
        ("false", []),
        ("null", []),
        ("1 eq 1", ALL),
        ("null eq null", ALL),
        ("'a' in ('b', 'c')", []),
        ("true or name eq 'x'", ALL),
        ("false and name eq 'x' or balance lt 0", [3]),
    ],
)
def test_filter(where, text, expected):
    assert where(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contains(name,'Tech')", [1]),
        ("contains(name,'tech')", [2]),  # case-sensitive, SQLite included
        ("contains(tolower(name),'tech')", [1, 2, 6]),
        ("startswith(name,'Acme')", [1]),
        ("startswith(name,'acme')", []),
        ("endswith(name,'Corp')", [3]),
        ("endswith(name,'corp')", []),
        ("endswith(name,'Acme Technologies and more')", []),
        ("contains(name,'50%')", [6]),  # % and _ are not wildcards
        ("contains(clientRef,'_')", [6]),
        ("startswith(clientRef,'_')", []),
        ("not contains(clientRef,'-')", [4, 6]),  # NULL: the function is false, not() true
        ("contains(name,'')", ALL),
        ("contains(clientRef,'')", [1, 2, 3, 5, 6]),
        ("contains(name,'Tech') eq true", [1]),
        ("contains(name,'Tech') eq false", [2, 3, 4, 5, 6]),
        ("contains(name,'Tech') ne true", [2, 3, 4, 5, 6]),
        ("contains('Technology','Tech')", ALL),
        ("toupper(name) eq 'ZETA CORP'", [3]),
        ("tolower(name) eq 'zeta corp'", [3]),
        ("tolower(name) ne 'zeta corp'", [1, 2, 4, 5, 6]),
        ("tolower(clientRef) ne 'a-1045'", [2, 3, 4, 5, 6]),
        ("tolower(clientRef) eq null", [4]),
        ("tolower(name) in ('zeta corp', 'biotech labs')", [2, 3]),
        ("tolower(clientRef) in ('a-1045', null)", [1, 4]),
        ("tolower(name) eq tolower('ZETA Corp')", [3]),
        ("CONTAINS(name,'Tech')", [1]),
    ],
)
def test_string_functions(where, text, expected):
    assert where(text) == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="non-ASCII case mapping is ASCII-only on SQLite")
def test_case_mapping_of_non_ascii_text_on_postgresql(where, data):
    ClientFactory(tenant=data["tenant"], name="Émile Öztürk")
    rows = Client.objects.filter(tenant=data["tenant"]).filter(
        compile_filter("tolower(name) eq 'émile öztürk'", r.ResourceFields.of(ODataClientSerializer))
    )
    assert [c.name for c in rows] == ["Émile Öztürk"]


def test_precedence_and_binds_tighter_than_or(where):
    assert where("name eq 'Zeta Corp' or balance gt 0 and partnerStaffId eq '5'") == [1, 3, 6]
    assert where("(name eq 'Zeta Corp' or balance gt 0) and partnerStaffId eq '5'") == [1, 6]
    assert where("balance GT 0 AND NOT (name EQ 'x') Or disabled") == [1, 3, 5, 6]


def test_ids_and_references(where, data):
    client, retail = data["clients"][1], data["channels"]["Retail"]
    assert where(f"_id eq {client.pk}") == [1]
    assert where(f"_id eq '{client.pk}'") == [1]
    assert where(f"_id in ({client.pk}, {data['clients'][2].pk})") == [1, 2]
    assert where(f"_id ne {str(client.pk).upper()}") == [2, 3, 4, 5, 6]
    assert where(f"channel eq {retail.pk}") == [1, 3]
    assert where(f"channel ne {retail.pk}") == [2, 4, 5, 6]
    assert where("channel eq null") == [4, 5]


def test_navigation_over_a_reference(where):
    assert where("channel/name eq 'Retail'") == [1, 3]
    assert where("channel/name ne 'Retail'") == [2, 4, 5, 6]  # a NULL reference makes the value NULL
    assert where("not (channel/name eq 'Retail')") == [2, 4, 5, 6]
    assert where("channel/name eq null") == [4, 5]
    assert where("channel/name ne null") == [1, 2, 3, 6]
    assert where("channel/name gt 'P'") == [1, 2, 3]
    assert where("startswith(channel/name,'R')") == [1, 3]
    assert where("not startswith(channel/name,'R')") == [2, 4, 5, 6]
    assert where("tolower(channel/name) eq 'retail'") == [1, 3]
    assert where("tolower(channel/name) ne 'retail'") == [2, 4, 5, 6]
    assert where("channel/disabled eq false") == [1, 2, 3, 6]
    assert where("channel/name eq 'Retail' or tolower(channel/name) eq 'online'") == [1, 3, 6]


def test_lambdas_over_a_collection(where, data):
    assert where("contacts/any(c: c/email eq 'ceo@acme.test')") == [1]
    assert where("contacts/ANY(c:c/email eq 'info@biotech.test' or c/email eq 'x@zeta.test')") == [2, 3]
    assert where("contacts/any()") == [1, 2, 3]  # has children
    assert where("not contacts/any()") == [4, 5, 6]
    assert where("contacts/any(c: c/disabled)") == [1]
    # all(): NOT EXISTS(child AND NOT p), vacuously true without children
    assert where("contacts/all(c: c/disabled eq false)") == [2, 3, 4, 5, 6]
    assert where("contacts/all(c: contains(c/email, '.test'))") == [2, 3, 4, 5, 6]
    assert where("contacts/all(c: c/email ne '')") == [2, 3, 4, 5, 6]
    assert where("not contacts/all(c: c/email ne '')") == [1]
    assert where("contacts/all(c: true)") == ALL
    assert where("contacts/all(c: false)") == [4, 5, 6]
    assert where("contacts/any(c: c/email eq 'ceo@acme.test') and contacts/any(c: c/email eq '')") == [1]
    assert where(f"contacts/any(c: c eq {data['contacts'][3].pk})") == [2]
    assert where("contacts/any(c: c/email eq 'x@zeta.test') and balance lt 0") == [3]


# $filter: errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("nope eq 1", "unknown property 'nope'"),
        ("Name eq 'x'", "unknown property 'Name'"),  # property names are case-sensitive
        ("customFields eq 'x'", "cannot be used"),
        ("company_namespace eq 'acme'", "cannot be used"),
        ("balance eq '5'", "expects a number"),
        ("name eq 5", "expects a quoted string"),
        ("active eq 1", "expects true or false"),
        ("disabled eq 'true'", "expects true or false"),
        ("createdAt gt 5", "expects a date-time"),
        ("createdAt gt '2020-01-01'", "expects a date-time"),
        ("targetVisit eq 2.5", "expects an integer"),
        ("_id eq 'not-an-id'", "expects an id"),
        ("channel eq 5", "expects an id"),
        ("name eq 13:45:00", "expects a quoted string"),
        ("contacts eq null", "is a collection"),
        ("contacts in (null)", "is a collection"),
        ("contacts eq channel", "is a collection"),
        ("contacts/email eq 'x'", "is a collection"),
        ("name/length eq 3", "not a navigation property"),
        ("channel/nope eq 'x'", "unknown property 'channel/nope'"),
        ("channel/integration_meta eq 'x'", "cannot be used"),
        ("name eq balance", "type mismatch"),
        ("balance gt null", "cannot compare with null"),
        ("null lt balance", "cannot compare with null"),
        ("createdAt eq 2020-02-30", "invalid date"),
        ("createdAt eq 2020-13-01T00:00:00Z", "invalid date-time"),
        ("contains(balance,'1')", "applies to a text property"),
        ("contains(name, 5)", "takes a string"),
        ("contains(name)", "takes 2 arguments"),
        ("tolower(balance) eq 'x'", "applies to text"),
        ("tolower(name)", "expected a boolean expression"),
        ("name", "expected a boolean expression"),
        ("not name", "expected a boolean expression"),
        ("not name eq 'x'", "write not (name eq 'x')"),
        ("'x'", "expected a boolean expression"),
        ("contains(name,'a') gt true", "does not apply to boolean"),
        ("contains(name,'a') eq 'x'", "compares with true or false"),
        ("balance eq 1 eq 'x'", "compares with true or false"),
        ("name eq 'a' eq name", "not a boolean"),
        ("name/any(c: c/email eq 'x')", "not a collection"),
        ("contacts/all()", "needs a condition"),
        ("contacts/any(c: c/nope eq 1)", "unknown property 'c/nope'"),
        ("contacts/any(c: c/email)", "expected a boolean expression"),
        ("1 eq 'a'", "type mismatch"),
        ("2020-01-01 eq 2020-01-01T00:00:00Z", "type mismatch"),
        # syntax
        ("name eq", "syntax error at the end"),
        ("name eq 'x' and", "syntax error at the end"),
        ("(name eq 'x'", "expected ')'"),
        ("name eq 'x')", "unexpected token"),
        ('name eq "x"', "single quotes"),
        ("name eq 'unterminated", "unterminated string"),
        ("name in ()", "literals only"),
        ("name in ('a',)", "literals only"),
        ("name in 'a'", "expected '('"),
        ("name in (name)", "literals only"),
        ("name eq 'x' foo", "unexpected token"),
        ("name == 'x'", "unexpected '='"),
        ("5-3 eq 2", "unexpected token"),
        ("balance eq 1.", "invalid literal"),
        ("balance eq 12abc", "invalid literal"),
        ("eq 5", "expected a property"),
        ("and", "expected a property"),
        ("- 'x' eq 1", "numbers only"),
        ("channel/ eq 1", "expected a property name after '/'"),
        ("contacts/any(5: true)", "lambda variable"),
        ("contacts/any(c c/email eq 'x')", "expected ':'"),
        ("createdAt gt datetime'2020-01-01T00:00:00'", "v2 syntax"),
        ("_id eq guid'01890a5d-ac96-774b-bcce-b302099a8057'", "v2 syntax"),
        ("balance lt 1e 3", "%2B"),  # 1e+3 whose + became a space
        # Not an OData function at all: a mistake in the query (501 is for OData we do not serve).
        ("foo(name)", "unknown function 'foo'"),
        ("A(0) eq 1", "unknown function 'A'"),
    ],
)
def test_filter_errors_are_400(where, text, fragment):
    error = odata_error(where, text)
    assert error.status == 400 and error.target == "$filter"
    assert fragment in error.message
    assert "Choices are" not in error.message


@pytest.mark.parametrize(
    "text",
    [
        "length(name) eq 5",
        "year(createdAt) eq 2021",
        "geo.distance(name, name) lt 5",
        "balance add 1 gt 5",
        "balance mul 2 gt 5",
        "-balance lt 0",
        "$it/name eq 'x'",
        "name has 'x'",
        "createdAt lt duration'P1D'",
        "channel/name/x eq 'a'",
        "contacts/any(c: name eq 'x')",  # the outer resource inside a lambda
        "contains(name, clientRef)",
    ],
)
def test_unsupported_filter_features_are_501(where, text):
    error = odata_error(where, text)
    assert error.status == 501 and error.code == "not_implemented"
    assert error.body()["error"]["code"] == "not_implemented"


def test_navigation_to_a_model_that_is_not_a_resource_is_400(where, monkeypatch):
    monkeypatch.delitem(r.RESOURCE_SERIALIZERS, ClientChannel)
    assert "cannot be navigated" in odata_error(where, "channel/name eq 'Retail'").message
    monkeypatch.delitem(r.RESOURCE_SERIALIZERS, ClientContact)
    assert "cannot be filtered through" in odata_error(where, "contacts/any()").message


def test_plus_that_became_a_space_names_the_encoding(data, registry):
    error = odata_error(parse_odata, QueryDict("$filter=createdAt gt 2021-03-01T09:00:00+02:00"), registry)
    assert error.status == 400 and "%2B" in error.message
    query = parse_odata(QueryDict("$filter=createdAt gt 2021-03-01T09:00:00%2B02:00"), registry)
    assert numbers(data, Client.objects.filter(tenant=data["tenant"]).filter(query.filter)) != []


# Limits -------------------------------------------------------------------------------------
def test_a_600_term_or_chain_is_400_not_a_crash(where, monkeypatch):
    text = " or ".join(f"balance eq {i}" for i in range(600))
    error = odata_error(where, text)
    assert error.status == 400 and error.code == "query_too_complex"
    monkeypatch.setattr(odata, "MAX_FILTER_LENGTH", 100_000)  # the term limit holds on its own
    error = odata_error(where, text)
    assert error.status == 400 and "more than 200 terms" in error.message
    nested = "not (" * 600 + "disabled" + ")" * 600
    assert "nested too deeply" in odata_error(where, nested).message


def test_a_long_or_chain_within_the_limits_works(where):
    # flattened, so 30 terms are one level deep
    assert where(" or ".join(f"targetVisit eq {i}" for i in range(30))) == [1, 3, 4, 6]


def test_limits(where, monkeypatch):
    too_long = "name eq '" + "x" * 2000 + "'"
    assert odata_error(where, too_long).code == "query_too_complex"
    deep = "(" * 21 + "disabled" + ")" * 21
    assert "nested too deeply" in odata_error(where, deep).message
    assert where("(" * 19 + "disabled" + ")" * 19) == [3]
    assert "nested too deeply" in odata_error(where, "not " * 25 + "disabled").message
    assert "nested too deeply" in odata_error(where, "(" * 990 + "disabled" + ")" * 990).message
    chained = "disabled" + " eq true" * 25  # left-nested comparisons
    assert "nested too deeply" in odata_error(where, chained).message
    monkeypatch.setattr(odata, "MAX_FILTER_LENGTH", 100_000)
    items = ", ".join("'x'" for _ in range(1001))
    assert "at most 1000" in odata_error(where, f"name in ({items})").message
    assert where(f"name in ({items[:-5]})") == []
    assert odata_error(where, "  ").message == "$filter is empty"
    assert "NUL" in odata_error(where, "name eq '\x00'").message


# $orderby -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("balance", [4, 3, 2, 6, 5, 1]),  # NULLs first ascending
        ("balance asc", [4, 3, 2, 6, 5, 1]),
        ("balance desc", [1, 5, 6, 2, 3, 4]),  # NULLs last descending
        ("balance DESC", [1, 5, 6, 2, 3, 4]),
        ("clientRef", [4, 1, 2, 5, 6, 3]),
        ("clientRef desc", [3, 6, 5, 2, 1, 4]),
        ("partnerStaffId", [4, 1, 6, 2, 3, 5]),  # '5' twice: the PK breaks the tie
        ("partnerStaffId desc", [5, 3, 2, 6, 1, 4]),
        ("channel/name,createdAt desc", [4, 5, 6, 1, 3, 2]),
        ("createdAt", [6, 3, 5, 1, 2, 4]),
        ("active", [3, 1, 2, 4, 5, 6]),  # the inverted column: false first
        ("active desc", [6, 5, 4, 2, 1, 3]),
        ("firstTimeBuyer desc, targetVisit", [1, 3, 2, 5, 6, 4]),
        ("_id desc", [6, 5, 4, 3, 2, 1]),
    ],
)
def test_orderby(order, text, expected):
    assert order(text) == expected


def test_orderby_appends_the_pk_and_sets_null_placement(registry):
    ordering = compile_orderby("balance desc, name", registry)
    assert len(ordering) == 3 and ordering[-1] == F("pk").asc()
    assert ordering[0].descending and ordering[0].nulls_last and not ordering[0].nulls_first
    assert not ordering[1].descending and ordering[1].nulls_first
    assert len(compile_orderby("_id", registry)) == 1


@pytest.mark.parametrize(
    ("text", "fragment", "status"),
    [
        ("nope", "unknown property 'nope'", 400),
        ("balance up", "expected asc, desc or ','", 400),
        ("balance,", "trailing ','", 400),
        (",balance", "expected a property name", 400),
        ("balance asc desc", "expected asc, desc or ','", 400),
        ("contacts", "cannot be used in $orderby", 400),
        ("customFields", "cannot be used in $orderby", 400),
        ("channel/nope", "unknown property", 400),
        ("name/x", "not a navigation property", 400),
        ("", "empty", 400),
        ("tolower(name)", "not supported", 501),
        ("foo(name)", "unknown function 'foo'", 400),
        ("contacts/$count", "cannot be used", 400),
    ],
)
def test_orderby_errors(registry, text, fragment, status):
    error = odata_error(compile_orderby, text, registry)
    assert (error.status, error.target) == (status, "$orderby")
    assert fragment in error.message


# $select ------------------------------------------------------------------------------------
def test_select(registry):
    assert compile_select("name, balance,name", registry) == ["name", "balance"]
    assert compile_select("*", registry) is None
    assert compile_select("_id,createdAt", registry) == ["_id", "createdAt"]
    for text, fragment, status in [
        ("nope", "unknown property 'nope'", 400),
        ("name,", "trailing", 400),
        ("name,,balance", "empty item", 400),
        ("channel/name", "not supported", 501),
        # Not a path through a property of ours: an unknown property, never a 5xx.
        ("nope/name", "unknown property 'nope/name'", 400),
        ("\x88Iw(\r;C$", "unknown property", 400),
        ("name(", "unknown property 'name('", 400),
    ]:
        error = odata_error(compile_select, text, registry)
        assert (error.status, error.target) == (status, "$select") and fragment in error.message


# parse_odata: options, paging, errors -------------------------------------------------------
def test_no_odata_option_means_none(registry):
    assert parse_odata(QueryDict(""), registry) is None
    assert parse_odata(QueryDict("page=2&filter=x&sort=name"), registry) is None
    assert parse_odata(QueryDict("$format=json"), registry) is None


def test_paging_and_count(registry):
    query = parse_odata(QueryDict("$top=5&$skip=2&$count=true"), registry, default_top=50)
    assert (query.top, query.skip, query.count, query.filter, query.ordering, query.select) == (
        5,
        2,
        True,
        None,
        [],
        None,
    )
    query = parse_odata(QueryDict("$count=FALSE"), registry, default_top=50)
    assert (query.top, query.skip, query.count) == (50, 0, False)
    assert parse_odata(QueryDict("$top=0"), registry).top == 0
    assert parse_odata(QueryDict("$top=1000"), registry).top == 1000
    assert parse_odata(QueryDict("$skip=3"), registry).top is None


@pytest.mark.parametrize(
    ("query", "target", "fragment", "status"),
    [
        ("$top=1001", "$top", "at most 1000", 400),
        ("$top=-1", "$top", "non-negative integer", 400),
        ("$top=abc", "$top", "non-negative integer", 400),
        ("$top=", "$top", "non-negative integer", 400),
        ("$top=1e3", "$top", "non-negative integer", 400),
        ("$skip=-1", "$skip", "non-negative integer", 400),
        ("$skip=99999999999", "$skip", "at most", 400),
        ("$count=yes", "$count", "true or false", 400),
        ("$filter=a eq 1&$filter=b eq 2", "$filter", "more than once", 400),
        ("$top=1&$TOP=2", "$top", "more than once", 400),
        ("$foo=1", "$foo", "unknown system query option", 400),
        ("$filter=", "$filter", "empty", 400),
        ("$orderby=", "$orderby", "empty", 400),
        ("$select=", "$select", "empty", 400),
        ("$filter=name eq '%00'", "$filter", "NUL", 400),
        ("$expand=contacts", "$expand", "not supported", 501),
        ("$search=acme", "$search", "not supported", 501),
        ("$apply=groupby((name))", "$apply", "not supported", 501),
    ],
)
def test_option_errors(registry, query, target, fragment, status):
    error = odata_error(parse_odata, QueryDict(query), registry)
    assert (error.status, error.target) == (status, target) and fragment in error.message
    body = error.body()["error"]
    assert set(body) == {"code", "message", "target", "details"} and body["target"] == target


def test_max_top_is_a_parameter(registry):
    assert "at most 10" in odata_error(parse_odata, QueryDict("$top=11"), registry, max_top=10).message


def test_a_whole_query(data, registry):
    params = QueryDict(
        "$Filter=balance ge 0 or clientRef eq null&$orderby=balance desc&$top=2&$skip=1&$select=name,balance&$count=true"
    )
    query = parse_odata(params, registry, default_top=50)
    rows = Client.objects.filter(tenant=data["tenant"]).filter(query.filter).order_by(*query.ordering)
    assert numbers(data, rows) == [1, 5, 6, 2, 4]
    assert numbers(data, rows[query.skip : query.skip + query.top]) == [5, 6]
    assert query.select == ["name", "balance"] and query.count is True


def test_filters_stay_inside_the_tenant(data, registry, other_tenant):
    ClientFactory(tenant=other_tenant, name="Acme Technologies")
    rows = Client.objects.filter(tenant=data["tenant"]).filter(compile_filter("name eq 'Acme Technologies'", registry))
    assert numbers(data, rows) == [1]


def test_error_body_shape():
    error = ODataError("bad", target="$top")
    assert error.body() == {"error": {"code": "invalid_query", "message": "bad", "target": "$top", "details": []}}
    assert (error.status, str(error)) == (400, "bad")


# Differential check: random filters against a Python model of the §3.2 rules ----------------
def python_rows(data):
    """Each client as the values its public names show (channel/name through the reference)."""
    rows = {}
    for number, name, ref, disabled, created, staff, balance, channel, visits, buyer in ROWS:
        emails = [email for contact_client, email, _ in CONTACTS.values() if contact_client == number]
        flags = [flag for contact_client, _, flag in CONTACTS.values() if contact_client == number]
        rows[number] = {
            "name": name,
            "clientRef": ref,
            "partnerStaffId": staff,
            "balance": Decimal(balance) if balance else None,
            "targetVisit": visits,
            "createdAt": dt.datetime(*created, tzinfo=UTC),
            "active": not disabled,
            "disabled": disabled,
            "firstTimeBuyer": buyer,
            "channel/name": channel,
            "emails": emails,
            "contact_flags": flags,
        }
    return rows


PROPERTIES = {
    "name": ["'Zeta Corp'", "'biotech labs'", "'O''Brien & Sons'", "''", "'M'"],
    "clientRef": ["'A-1045'", "'T_45'", "'N'", "null"],
    "partnerStaffId": ["'5'", "'7'", "'6'", "null"],
    "channel/name": ["'Retail'", "'Online'", "'Q'", "null"],
    "balance": ["0", "-50", "25.5", "10", "1e2", "null"],
    "targetVisit": ["0", "3", "7", "12", "99999999999", "null"],
    "createdAt": ["2021-03-01T10:00:00Z", "2020-01-01", "1899-12-31T00:00:00Z", "2022-06-15T10:30:00+02:00"],
    "active": ["true", "false", "null"],
    "disabled": ["true", "false"],
    "firstTimeBuyer": ["true", "false", "null"],
}
TEXT_PROPERTIES = ["name", "clientRef", "partnerStaffId", "channel/name"]
COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def literal_value(text):
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text[:4].isdigit() and "-" in text:
        value = dt.datetime.fromisoformat(text if "T" in text else text + "T00:00:00+00:00")
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return Decimal(text)


def compare(value, op, literal):
    """OData's two-valued comparison: eq/ne null are null tests; relational ops on NULL are false."""
    if literal is None:
        return (value is None) == (op == "eq")
    if value is None:
        return op == "ne"
    return COMPARE[op](value, literal)


def random_filter(rnd, depth=0):
    """A random `$filter` and the predicate it must mean, as (text, row -> bool)."""
    choice = rnd.random()
    if depth < 3 and choice < 0.35:
        (left, lf), (right, rf) = random_filter(rnd, depth + 1), random_filter(rnd, depth + 1)
        if rnd.random() < 0.5:
            return f"({left} and {right})", lambda row: lf(row) and rf(row)
        return f"({left} or {right})", lambda row: lf(row) or rf(row)
    if depth < 3 and choice < 0.45:
        inner, f = random_filter(rnd, depth + 1)
        return f"not ({inner})", lambda row: not f(row)
    if choice < 0.55:
        name = rnd.choice(TEXT_PROPERTIES)
        function = rnd.choice(["contains", "startswith", "endswith"])
        pattern = rnd.choice(["'e'", "'Re'", "'A'", "'5'", "'s'", "'_'", "'%'", "''", "'-1045'"])
        raw = literal_value(pattern)
        method = {"contains": operator.contains, "startswith": str.startswith, "endswith": str.endswith}[function]
        return f"{function}({name},{pattern})", lambda row: row[name] is not None and method(row[name], raw)
    if choice < 0.62:
        name = rnd.choice(TEXT_PROPERTIES)
        op, text = rnd.choice(["eq", "ne"]), rnd.choice(["'zeta corp'", "'retail'", "'a-1045'", "null"])
        raw = literal_value(text)
        return f"tolower({name}) {op} {text}", lambda row: compare(
            None if row[name] is None else row[name].lower(), op, raw
        )
    if choice < 0.72:
        name = rnd.choice(list(PROPERTIES))
        items = rnd.sample(PROPERTIES[name], k=rnd.randint(1, 2))
        values = [literal_value(item) for item in items]
        return f"{name} in ({', '.join(items)})", lambda row: row[name] in values
    if choice < 0.8:
        if rnd.random() < 0.5:
            email = rnd.choice(["'ceo@acme.test'", "''", "'x@zeta.test'"])
            raw = literal_value(email)
            return f"contacts/any(c: c/email eq {email})", lambda row: raw in row["emails"]
        return "contacts/all(c: c/disabled eq false)", lambda row: not any(row["contact_flags"])
    name = rnd.choice(list(PROPERTIES))
    literal = rnd.choice(PROPERTIES[name])
    ops = ["eq", "ne"] if literal == "null" or name in ("active", "disabled", "firstTimeBuyer") else list(COMPARE)
    op = rnd.choice(ops)
    raw = literal_value(literal)
    return f"{name} {op} {literal}", lambda row: compare(row[name], op, raw)


@pytest.mark.parametrize("seed", range(4))
def test_random_filters_mean_what_the_rules_say(where, data, seed):
    rnd = random.Random(seed)
    rows = python_rows(data)
    for _ in range(150):
        text, predicate = random_filter(rnd)
        expected = sorted(number for number, row in rows.items() if predicate(row))
        assert where(text) == expected, text

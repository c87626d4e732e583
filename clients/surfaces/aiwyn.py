"""The Aiwyn client API (seed 000): `/gql/v1/clients`, `/gql/v1/clients/search`,
`/gql/v1/client/{id}`. A read surface over the same Client rows as `/v1/client`, with the
accounting-firm vocabulary (legalName, clientRef, partnerStaffId, engagements, financial
summary). Lists answer `{"clients": [...], "total": {"aggregate": {"count": N}}}`."""

from django.conf import settings
from django.db.models import F
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.models import Client, ClientContact
from clients.services import client as client_services
from core.api import fields as f
from core.api.cost import QueryCost
from core.api.deadline import bounded_query
from core.api.listing import QueryError, parse_int
from core.api.registry import REF, REFS, ResourceFields
from core.api.throttling import expensive_query_slot
from core.ids import parse_uuid

DEFAULT_PAGE_SIZE = 50


def _address(client):
    return {
        "street": client.formatted_address or None,
        "city": client.city or None,
        "state": client.state or None,
        "zipCode": client.zip or None,
        "country": client.country or None,
    }


def _primary_contact(client):
    contact = client.primary_contact
    if contact is None:
        return None
    return {
        "id": str(contact.pk),
        "name": contact.name,
        "title": contact.title or None,
        "email": contact.email or None,
        "phone": contact.phone1 or None,
    }


def _status(client):
    return client.status or ("INACTIVE" if client.disabled else "ACTIVE")


_TEXT = {"type": "string", "nullable": True}
STATUS_SCHEMA = {"type": "string", "description": "`ACTIVE` or `INACTIVE` unless the client has its own status."}
ADDRESS_SCHEMA = {
    "type": "object",
    "properties": {"street": _TEXT, "city": _TEXT, "state": _TEXT, "zipCode": _TEXT, "country": _TEXT},
    "required": ["street", "city", "state", "zipCode", "country"],
}
PRIMARY_CONTACT_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "title": _TEXT,
        "email": _TEXT,
        "phone": _TEXT,
    },
    "required": ["id", "name", "title", "email", "phone"],
}
ENGAGEMENTS_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "status": _TEXT,
            "type": _TEXT,
            "startDate": {"type": "string", "format": "date", "nullable": True},
            "endDate": {"type": "string", "format": "date", "nullable": True},
        },
    },
}
FINANCIAL_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "totalRevenue": {"type": "number"},
        "outstandingBalance": {"type": "number"},
        "currency": {"type": "string", "description": "The company's `currency` setting (USD when unset)."},
        "lastPaymentDate": {"type": "string", "format": "date-time", "nullable": True},
    },
    "required": ["totalRevenue", "outstandingBalance", "currency", "lastPaymentDate"],
}


class StaffIdField(f.NullableTextField):
    """A staff id. Aiwyn's were integers (the seed filters `partnerStaffId: {_in: [5, 6]}`):
    where-clauses may give numbers, compared with the stored id as text."""

    def describe(self, name, model):
        from core.api.registry import TEXT, FieldInfo

        return FieldInfo(
            name,
            TEXT,
            self.source,
            model._meta.get_field(self.source),
            value_key=self.source,
            convert=self.fast_value,
            extra={"ids": True},
        )


class AiwynClientSerializer(serializers.ModelSerializer):
    """An Aiwyn client. Every field is also a where-clause / orderBy name (the registry is built
    from this class); `contacts` and `primaryContact` are relationships for filtering."""

    id = f.IdField()
    name = f.StrictCharField(read_only=True)
    legalName = f.NullableTextField(source="legal_name", read_only=True)
    clientRef = f.NullableTextField(source="client_code", read_only=True)
    status = f.DerivedField(_status, orm_path="status", schema=STATUS_SCHEMA)
    active = f.NegatedBooleanField("disabled", read_only=True)
    type = f.NullableTextField(source="client_type", read_only=True)
    industry = f.NullableTextField(read_only=True)
    size = f.NullableTextField(read_only=True)
    website = f.NullableTextField(read_only=True)
    taxId = f.NullableTextField(source="tax_number", read_only=True)
    phone = f.NullableTextField(read_only=True)
    email = f.NullableTextField(read_only=True)
    partnerStaffId = StaffIdField(source="owner", read_only=True)
    address = f.DerivedField(_address, schema=ADDRESS_SCHEMA)
    billingAddress = serializers.JSONField(source="billing_address", read_only=True)
    primaryContact = f.DerivedField(
        _primary_contact,
        orm_path="primary_contact",
        kind=REF,
        related_model=ClientContact,
        schema=PRIMARY_CONTACT_SCHEMA,
    )
    contacts = f.DerivedField(lambda c: None, orm_path="contacts", kind=REFS, related_model=ClientContact, schema={})
    notes = f.NullableTextField(source="comment", read_only=True)
    createdAt = f.DateTimeMsField(source="created_at", read_only=True)
    updatedAt = f.DateTimeMsField(source="updated_at", read_only=True)

    class Meta:
        model = Client
        fields = [
            "id", "name", "legalName", "clientRef", "status", "active", "type", "industry", "size", "website",
            "taxId", "phone", "email", "partnerStaffId", "address", "billingAddress", "primaryContact", "contacts",
            "notes", "createdAt", "updatedAt",
        ]  # fmt: skip
        filter_only = ("contacts",)

    def to_representation(self, instance):
        doc = super().to_representation(instance)
        for name in self.Meta.filter_only:
            doc.pop(name, None)
        return doc


class AiwynClientDetailSerializer(AiwynClientSerializer):
    engagements = f.DerivedField(lambda c: client_services.client_engagements(client=c), schema=ENGAGEMENTS_SCHEMA)
    financialSummary = f.DerivedField(
        lambda c: client_services.client_financial_summary(client=c), schema=FINANCIAL_SUMMARY_SCHEMA
    )

    class Meta(AiwynClientSerializer.Meta):
        fields = [*AiwynClientSerializer.Meta.fields, "engagements", "financialSummary"]


PAGE_REQUEST = inline_serializer(
    "AiwynPage",
    {
        "pageSize": serializers.IntegerField(
            required=False, default=DEFAULT_PAGE_SIZE, min_value=1, max_value=settings.API_MAX_PAGE_SIZE
        ),
        "page": serializers.IntegerField(required=False, default=0, min_value=0, help_text="From 0."),
    },
)
SEARCH_REQUEST = inline_serializer(
    "AiwynSearch",
    {
        "where": serializers.JSONField(required=False, help_text="Hasura-style boolean expression."),
        "orderBy": serializers.JSONField(required=False, help_text='`[{"name": "asc"}, {"createdAt": "desc"}]`'),
        "pageSize": serializers.IntegerField(required=False, min_value=1, max_value=settings.API_MAX_PAGE_SIZE),
        "limit": serializers.IntegerField(
            required=False, min_value=1, max_value=settings.API_MAX_PAGE_SIZE, help_text="Same as `pageSize`."
        ),
        "page": serializers.IntegerField(required=False, min_value=0, help_text="From 0."),
    },
)
LIST_RESPONSE = inline_serializer(
    "AiwynClientList",
    {
        "clients": AiwynClientSerializer(many=True),
        "total": inline_serializer(
            "AiwynTotal", {"aggregate": inline_serializer("AiwynAggregate", {"count": serializers.IntegerField()})}
        ),
    },
)
PAGING_ERROR = (
    "`pageSize`, `limit` or `page` is not an integer in range, or the body is not a JSON object, or the page took "
    "too long to read: narrow it down."
)
QUERY_ERROR = (
    "The body, `where` or `orderBy` is invalid (`details` names the part), or the query is too expensive to run: "
    "narrow it down."
)
THROTTLED = "Too many expensive queries from the caller's company in a short time; retry after `Retry-After` seconds."


def default_ordering():
    return [F("name").asc(nulls_last=True), F("created_at").desc(nulls_first=True), F("pk").asc()]


class AiwynView(APIView):
    registry_of = AiwynClientSerializer

    def clients(self):
        return Client.objects.filter(tenant=self.request.user.tenant).select_related("primary_contact")

    def page_window(self, body):
        if not isinstance(body, dict):
            raise QueryError("body", "expected a JSON object")
        size_key = "pageSize" if "pageSize" in body else "limit"
        size = body.get(size_key, DEFAULT_PAGE_SIZE)
        page = body.get("page", 0)
        for name, value in ((size_key, size), ("page", page)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise QueryError(name, "expected an integer")
        size = parse_int(size_key, size, minimum=1)
        if size > settings.API_MAX_PAGE_SIZE:
            raise QueryError(size_key, f"must be at most {settings.API_MAX_PAGE_SIZE}")
        page = parse_int("page", page, minimum=0)
        return page * size, size

    def answer(self, queryset, ordering, body, path="", cost=None):
        offset, size = self.page_window(body)
        # The list statement timeout (a 400 naming `path`) and the limits on expensive queries (a 429).
        with expensive_query_slot(self.request, cost or QueryCost()), bounded_query(path):
            total = queryset.count()
            rows = list(queryset.order_by(*ordering)[offset : offset + size]) if offset < total else []
            clients = AiwynClientSerializer(rows, many=True, context={"request": self.request}).data
        return Response({"clients": clients, "total": {"aggregate": {"count": total}}})


class AiwynClientListView(AiwynView):
    """POST /gql/v1/clients: browse all clients, `{pageSize (default 50), page (0-based)}`."""

    openapi_notes = {
        "post": (
            "Answers `{clients, total: {aggregate: {count}}}`: page `page` (from 0) of `pageSize` clients "
            "(default 50), ordered by name, then newest first. The clients are those of `/v1/client`, with the "
            "same ids."
        )
    }
    openapi_errors = {"post": {"400": PAGING_ERROR, "429": THROTTLED}}

    @extend_schema(request=PAGE_REQUEST, responses=LIST_RESPONSE, tags=["aiwyn"], operation_id="aiwyn_clients_list")
    def post(self, request):
        return self.answer(self.clients(), default_ordering(), request.data)


class AiwynClientSearchView(AiwynView):
    """POST /gql/v1/clients/search: `{where, orderBy, pageSize|limit, page}` with Hasura's
    boolean-expression semantics (core/api/where.py)."""

    openapi_notes = {
        "post": (
            "`where` is a boolean expression over the client fields (`_and`, `_or`, `_not`; per field `_eq`, "
            "`_neq`, `_gt`, `_gte`, `_lt`, `_lte`, `_in`, `_nin`, `_is_null`, `_like`, `_ilike`, `_regex`, ...), "
            "with NULL following SQL's three-valued logic; `contacts` and `primaryContact` filter on the "
            'contacts\' fields. `orderBy` lists `{field: "asc" | "desc"}` (default: name, then newest first); '
            "`pageSize` (or `limit`, default 50) and `page` (from 0) pick the page. Answers "
            "`{clients, total: {aggregate: {count}}}`."
        )
    }
    openapi_errors = {"post": {"400": QUERY_ERROR, "429": THROTTLED}}

    @extend_schema(request=SEARCH_REQUEST, responses=LIST_RESPONSE, tags=["aiwyn"], operation_id="aiwyn_clients_search")
    def post(self, request):
        from core.api.where import compile_order_by, compile_where

        body = request.data
        if not isinstance(body, dict):
            raise QueryError("body", "expected a JSON object")
        registry = ResourceFields.of(AiwynClientSerializer)
        queryset = self.clients()
        cost = QueryCost()
        if body.get("where") is not None or "where" in body:
            queryset = queryset.filter(compile_where(body.get("where"), registry, cost=cost))
        ordering = default_ordering()
        if body.get("orderBy"):
            ordering = compile_order_by(body["orderBy"], registry)
        return self.answer(queryset, ordering, body, path="where" if "where" in body else "", cost=cost)


class AiwynClientDetailView(AiwynView):
    """GET /gql/v1/client/{id}: the client with address, billing address, primary contact,
    engagements and financial summary."""

    openapi_notes = {
        "get": (
            "The client with its address, billing address, primary contact, engagements (its contracts) and "
            "financial summary. The id is the one `/v1/client` shows."
        )
    }

    @extend_schema(responses=AiwynClientDetailSerializer, tags=["aiwyn"], operation_id="aiwyn_client_retrieve")
    def get(self, request, id):  # noqa: A002  (the documented {id})
        pk = parse_uuid(id)
        client = self.clients().filter(pk=pk).first() if pk else None
        if client is None:
            raise NotFound()
        return Response(AiwynClientDetailSerializer(client, context={"request": request}).data)

"""The CRM client API (seed 002): `/clients` and `/clients/{id}`, a consumer/borrower view of
the same Client rows as `/v1/client`.

* `GET /clients`: ownerId, searchText and OData `$filter $select $orderby $skip $top` (50 by
  default); answers a JSON array, or `{"@odata.count": N, "value": [...]}` with `$count=true`.
* `POST /clients`, `PUT` (replace: optional fields left out become null), `PATCH` (merge; the
  merged client must still have email, firstName, lastName) answer the audit record
  `{id, type, createdTimestamp, updatedTimestamp}`. `DELETE /clients/{id}` is 204;
  `DELETE /clients` is 405. `loginToken` is stored hashed and never returned.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import F, Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.models import Client
from clients.services import client as client_services
from core.api import fields as f
from core.api.cost import QueryCost
from core.api.deadline import QueryTooExpensive, bounded_query, odata_too_expensive
from core.api.fields import format_datetime
from core.api.listing import QueryError
from core.api.registry import ResourceFields
from core.api.throttling import expensive_query_slot
from core.ids import parse_uuid

EMAIL_PATTERN = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")
DEFAULT_TOP = 50


class CrmEmailField(f.StrictCharField):
    """Required in requests and matching the seed's pattern; answers show the stored address as
    it is (a client created through `/v1/client` may have none: "")."""

    def __init__(self, **kwargs):
        super().__init__(min_length=1, max_length=254, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data).strip()
        # The seed's pattern, and a valid address for the other surfaces too (`/v1/client`
        # documents an email address; the suppression list stores it).
        try:
            validate_email(value)
        except DjangoValidationError:
            value = ""
        if not EMAIL_PATTERN.fullmatch(value):
            raise serializers.ValidationError("Not a valid email address.")
        return value

    def openapi_schema(self, direction) -> dict:
        if direction == "request":
            return {"type": "string", "pattern": "^" + EMAIL_PATTERN.pattern, "example": "jane.doe@example.com"}
        return {"type": "string"}


class SilencedField(serializers.Field):
    """`isSilenced`: whether the client's address is on the mail suppression list. Writing it
    adds or removes the address (null is ignored)."""

    default_error_messages = {"invalid": "Expected true or false."}

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        if data is None:
            return True, {}
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if data is not True and data is not False:
            self.fail("invalid")
        return {"is_silenced": data}

    def to_representation(self, client):
        return client.is_silenced

    def openapi_schema(self, direction) -> dict:
        return {"type": "boolean"}

    def describe(self, name, model):
        from core.api.registry import BOOLEAN, FieldInfo

        return FieldInfo(name, BOOLEAN, None, filterable=False, sortable=False)


class CrmClientSerializer(serializers.ModelSerializer):
    id = f.IdField()
    externalId = f.NullableTextField(source="external_id", max_length=100)
    source = f.NullableTextField(max_length=100)
    ownerId = f.NullableTextField(source="owner", max_length=64)
    referredById = f.RefField(source="referred_by", queryset=Client.objects.all(), required=False, allow_null=True)
    email = CrmEmailField()
    homePhone = f.NullableTextField(source="home_phone", max_length=50)
    workPhone = f.NullableTextField(source="phone", max_length=50)
    mobilePhone = f.NullableTextField(source="cell_phone", max_length=50)
    fax = f.NullableTextField(max_length=50)
    isSilenced = SilencedField()
    isArchived = f.StrictBooleanField(source="disabled", required=False)
    createdOn = f.DateTimeMsField(source="created_at", read_only=True)
    updatedOn = f.DateTimeMsField(source="updated_at", read_only=True)
    fico = f.StrictIntegerField(required=False, allow_null=True, min_value=300, max_value=850)
    totalIncome = f.MoneyField(source="total_income", max_digits=14, decimal_places=2, required=False, allow_null=True)
    totalDebtPayments = f.MoneyField(
        source="total_debt_payments", max_digits=14, decimal_places=2, required=False, allow_null=True
    )
    firstTimeBuyer = serializers.BooleanField(source="first_time_buyer", required=False, allow_null=True)
    loginToken = f.NullableTextField(source="login_token", write_only=True, max_length=500)
    firstName = f.StrictCharField(source="first_name", min_length=1, max_length=100)
    lastName = f.StrictCharField(source="last_name", min_length=1, max_length=100)

    class Meta:
        model = Client
        fields = [
            "externalId", "source", "ownerId", "referredById", "email", "homePhone", "workPhone", "mobilePhone",
            "fax", "isSilenced", "isArchived", "createdOn", "updatedOn", "fico", "totalIncome",
            "totalDebtPayments", "firstTimeBuyer", "loginToken", "id", "firstName", "lastName",
        ]  # fmt: skip

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        return super().to_internal_value(data)

    def validate_firstTimeBuyer(self, value):
        if value is not None and not isinstance(self.initial_data.get("firstTimeBuyer"), bool):
            raise serializers.ValidationError("Expected true, false or null.")
        return value


AUDIT_RECORD = inline_serializer(
    "AuditRecord",
    {
        "id": serializers.CharField(),
        "type": serializers.CharField(),
        "createdTimestamp": serializers.DateTimeField(),
        "updatedTimestamp": serializers.DateTimeField(),
    },
)
LIST_PARAMETERS = [
    OpenApiParameter("ownerId", str, description="Only this owner's clients."),
    OpenApiParameter("searchText", str, description="Case-insensitive text in names, email and phones."),
    OpenApiParameter("$filter", str, description="OData filter, e.g. `lastName eq 'Smith' and fico ge 700`."),
    OpenApiParameter("$select", str, description="Comma-separated properties to answer (the others are left out)."),
    OpenApiParameter("$orderby", str, description="OData order, e.g. `lastName asc,createdOn desc`."),
    OpenApiParameter("$skip", {"type": "integer", "minimum": 0}, description="Clients to skip."),
    OpenApiParameter("$top", {"type": "integer", "minimum": 0}, description="Clients to answer (default 50)."),
    OpenApiParameter("$count", bool, description='`true`: answer `{"@odata.count": N, "value": [...]}`.'),
]


class CrmClientSelectionSerializer(CrmClientSerializer):
    """A client of a list answer: `$select` may leave any property out."""

    class Meta(CrmClientSerializer.Meta):
        selectable = True


def list_responses(auto_schema) -> dict:
    client = auto_schema.resolve_serializer(CrmClientSelectionSerializer(), "response").ref
    clients = {"type": "array", "items": client}
    counted = {
        "type": "object",
        "properties": {"@odata.count": {"type": "integer", "minimum": 0}, "value": clients},
        "required": ["@odata.count", "value"],
    }
    schema = {"oneOf": [clients, counted]}
    description = "The clients: an array, or `{@odata.count, value}` with `$count=true`."
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


ODATA_ERROR = (
    "An invalid OData option (OData's error shape), or another invalid parameter, or a query too expensive to run."
)
THROTTLED = "Too many expensive queries from the caller's company in a short time; retry after `Retry-After` seconds."
ERROR_BODY = {"$ref": "#/components/schemas/Error"}


def audit_record(client) -> dict:
    return {
        "id": str(client.pk),
        "type": "Client",
        "createdTimestamp": format_datetime(client.created_at),
        "updatedTimestamp": format_datetime(client.updated_at),
    }


# Fields PUT resets when the body leaves them out (the seed's optional fields).
REPLACEABLE = {
    "external_id": None, "source": None, "owner": None, "referred_by": None, "home_phone": "", "phone": "",
    "cell_phone": "", "fax": "", "disabled": False, "fico": None, "total_income": None,
    "total_debt_payments": None, "first_time_buyer": None, "login_token": None, "is_silenced": False,
}  # fmt: skip


class CrmView(APIView):
    def clients(self):
        return Client.objects.filter(tenant=self.request.user.tenant).with_silenced()

    def get_client(self, client_id):
        pk = parse_uuid(client_id)
        client = self.clients().filter(pk=pk).first() if pk else None
        if client is None:
            raise NotFound()
        return client

    def context(self):
        return {"request": self.request, "tenant": self.request.user.tenant}


class CrmClientListView(CrmView):
    openapi_notes = {
        "get": (
            "The caller's clients (the same rows and ids as `/v1/client`), oldest first unless `$orderby` says "
            "otherwise, 50 at a time unless `$top` says otherwise. `$filter` takes OData expressions (`eq`, `ne`, "
            "`gt`, `ge`, `lt`, `le`, `and`, `or`, `not`, `contains`, `startswith`, `endswith`, `in`) with OData's "
            "null rules."
        ),
        "post": (
            "Creates a client and answers its audit record. `email`, `firstName` and `lastName` are required; "
            "`isSilenced` puts the address on the mail suppression list; `loginToken` is stored hashed and never "
            "answered."
        ),
        "delete": "Deleting every client at once is not supported.",
    }
    openapi_errors = {
        "get": {
            "400": (ODATA_ERROR, "ErrorOrOData"),
            "429": THROTTLED,
            "501": ("An OData feature this API does not implement.", "ODataError"),
        }
    }
    openapi_responses = {"get": list_responses}

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses=CrmClientSelectionSerializer(many=True),  # the answer's shape: openapi_responses
        tags=["crm"],
        operation_id="crm_clients_list",
    )
    def get(self, request):
        from core.api.odata import ODataError, parse_odata

        params = request.query_params
        registry = ResourceFields.of(CrmClientSerializer)
        queryset = self.clients().select_related(None)
        owner = params.get("ownerId")
        if owner:
            queryset = queryset.filter(owner=owner.strip())
        cost = QueryCost()
        text = (params.get("searchText") or "").strip()
        if text:
            problem = cost.add(expensive=False)  # one term, like `search` on /v1/client
            if problem:
                raise QueryError("searchText", problem)
            queryset = queryset.filter(
                Q(name__icontains=text)
                | Q(first_name__icontains=text)
                | Q(last_name__icontains=text)
                | Q(email__icontains=text)
                | Q(phone__icontains=text)
                | Q(cell_phone__icontains=text)
                | Q(home_phone__icontains=text)
            )
        try:
            odata = parse_odata(params, registry, default_top=DEFAULT_TOP, cost=cost)
        except ODataError as exc:
            return Response(exc.body(), status=exc.status)
        ordering = [F("created_at").asc(), F("pk").asc()]
        top, skip, select, count = DEFAULT_TOP, 0, None, False
        if odata is not None:
            if odata.filter is not None:
                queryset = queryset.filter(odata.filter)
            ordering = odata.ordering or ordering
            top = odata.top if odata.top is not None else DEFAULT_TOP
            skip, select, count = odata.skip, odata.select, odata.count
        try:  # the limits on expensive queries (a 429), the list statement timeout (the count included)
            with expensive_query_slot(request, cost), bounded_query():
                rows = list(queryset.order_by(*ordering)[skip : skip + top]) if top else []
                docs = CrmClientSerializer(rows, many=True, context=self.context()).data
                total = queryset.count() if count else None
        except QueryTooExpensive as exc:
            if odata is None:
                raise
            error = odata_too_expensive(exc, odata)
            return Response(error.body(), status=error.status)
        if select:
            docs = [{key: doc[key] for key in select if key in doc} for doc in docs]
        if count:
            return Response({"@odata.count": total, "value": docs})
        return Response(docs)

    @extend_schema(
        request=CrmClientSerializer,
        responses={200: AUDIT_RECORD},
        tags=["crm"],
        operation_id="crm_clients_create",
    )
    def post(self, request):
        serializer = CrmClientSerializer(data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        client = client_services.create_crm_client(tenant=request.user.tenant, data=serializer.validated_data)
        return Response(audit_record(client), status=status.HTTP_200_OK)

    @extend_schema(
        responses={405: OpenApiResponse(ERROR_BODY, description="Not supported.")},
        tags=["crm"],
        operation_id="crm_clients_delete_all",
    )
    def delete(self, request):
        return Response(
            {"success": False, "error": "Operation is not currently supported on this resource."},
            status=status.HTTP_405_METHOD_NOT_ALLOWED,
        )


class CrmClientDetailView(CrmView):
    openapi_notes = {
        "get": "The client with this id (the id `/v1/client` shows).",
        "put": (
            "Replaces the client's CRM fields: optional fields the body leaves out become null (or false). "
            "Answers the audit record."
        ),
        "patch": (
            "Changes the fields the body names; the client must still have an email, a first and a last name. "
            "Answers the audit record."
        ),
        "delete": "Deletes the client.",
    }
    openapi_errors = {"delete": {"409": "Still referenced by other documents (the message names them)."}}

    @extend_schema(responses=CrmClientSerializer, tags=["crm"], operation_id="crm_client_retrieve")
    def get(self, request, id):  # noqa: A002  (the documented {id})
        return Response(CrmClientSerializer(self.get_client(id), context=self.context()).data)

    @extend_schema(request=CrmClientSerializer, responses=AUDIT_RECORD, tags=["crm"], operation_id="crm_client_replace")
    def put(self, request, id):  # noqa: A002
        client = self.get_client(id)
        serializer = CrmClientSerializer(client, data=request.data, context=self.context())
        serializer.is_valid(raise_exception=True)
        data = {**REPLACEABLE, **serializer.validated_data}
        client = client_services.update_crm_client(client=client, data=data)
        return Response(audit_record(client))

    @extend_schema(request=CrmClientSerializer, responses=AUDIT_RECORD, tags=["crm"], operation_id="crm_client_update")
    def patch(self, request, id):  # noqa: A002
        client = self.get_client(id)
        serializer = CrmClientSerializer(client, data=request.data, partial=True, context=self.context())
        serializer.is_valid(raise_exception=True)
        client = client_services.update_crm_client(client=client, data=dict(serializer.validated_data))
        return Response(audit_record(client))

    @extend_schema(responses={204: None}, tags=["crm"], operation_id="crm_client_delete")
    def delete(self, request, id):  # noqa: A002
        client_services.delete_client(client=self.get_client(id))
        return Response(status=status.HTTP_204_NO_CONTENT)

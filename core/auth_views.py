"""Authentication endpoints: access tokens for API keys, the SDK's re-authentication, and the
management of a tenant's API keys (admin scope only)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import services, tokens
from core.api.auth import MAX_API_KEY_LENGTH, HasTenant, authenticate_key, credentials_from_headers
from core.api.fields import DateTimeMsField, IdField, StrictCharField
from core.ids import parse_uuid
from core.models import ApiKey

AUTH_TAG = "auth"
SCOPES = ("admin", "standard")


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response={"$ref": "#/components/schemas/Error"}, description=description)


class TokenRequestSerializer(serializers.Serializer):
    api_key = StrictCharField(required=False, max_length=MAX_API_KEY_LENGTH, help_text="Or send the key in a header.")


class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    token_type = serializers.CharField(help_text="Always `Bearer`.")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_token = serializers.CharField(help_text="Single use, for GET /authenticate.")


class ReauthResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField(help_text="Replaces the one sent, which no longer works.")
    login_status = serializers.CharField(help_text="`success`.")
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")


class ScopeField(serializers.ChoiceField):
    """`admin` or `standard`, from the key's admin flag."""

    def __init__(self, **kwargs):
        super().__init__(choices=SCOPES, source="*", read_only=True, **kwargs)

    def to_representation(self, key):
        return tokens.scope_of(key)


class ApiKeySerializer(serializers.Serializer):
    id = IdField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="First characters of the key, to recognise it.")
    scope = ScopeField(help_text="`admin` keys may manage keys.")
    created_at = DateTimeMsField()
    last_used_at = DateTimeMsField(allow_null=True)
    revoked_at = DateTimeMsField(allow_null=True)


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(help_text="The key itself: shown in this response only.")


class ApiKeyCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    scope = serializers.ChoiceField(choices=SCOPES, default="standard")


def _token_body(pair: tokens.TokenPair) -> dict:
    return {
        "access_token": pair.access.token,
        "token_type": "Bearer",
        "expires_in": pair.access.expires_in,
        "refresh_token": pair.refresh_token,
    }


class UnauthenticatedView(APIView):
    """The request carries the credential to check itself (no prior authentication)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # keeps refusals 401 (DRF turns them into 403 without one)


class TokenView(UnauthenticatedView):
    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_token_create",
        summary="Exchange an API key for an access token",
        description=(
            "The key goes in the body (`api_key`) or in a header (`Authorization: Bearer <key>`, "
            "`api-key: <key>`). The access token is a signed JWT valid for `expires_in` seconds."
        ),
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 400: _error("Malformed body."), 401: _error("Bad or revoked key.")},
        auth=[{}],  # no prior credential (an empty requirement overrides the global one)
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            raise exceptions.ValidationError({"api_key": ["Expected a JSON object with `api_key`."]})
        serializer = TokenRequestSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        offered = [
            serializer.validated_data.get("api_key"),
            credentials_from_headers(request),
            request.META.get("HTTP_API_KEY", "").strip(),  # the SDK sends it beside `authorization: <token>`
        ]
        offered = [raw for raw in offered if raw]
        if not offered:
            raise exceptions.NotAuthenticated("Send the API key as `api_key` or in the Authorization header.")
        # An access token is not a key: it cannot mint tokens (that would make it immortal).
        keys = [raw for raw in offered if not tokens.looks_like_jwt(raw) and len(raw) <= MAX_API_KEY_LENGTH]
        caller = authenticate_key(keys[0]) if keys else None
        if caller is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        return Response(_token_body(tokens.issue_tokens(api_key=caller.api_key)))


class ReauthenticateView(UnauthenticatedView):
    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="authenticate",
        summary="Re-authenticate with a refresh token (Repzo SDK)",
        description=(
            "Trades a refresh token of the namespace for a new access token and a new refresh "
            "token. Each refresh token works once; presenting a used one revokes its whole session."
        ),
        parameters=[
            OpenApiParameter("X-NAME-SPACE", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("refresh_token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True),
        ],
        responses={200: ReauthResponseSerializer, 401: _error("Unknown, used, expired or foreign token.")},
        auth=[{}],  # no prior credential (an empty requirement overrides the global one)
    )
    def get(self, request):
        namespace = request.META.get("HTTP_X_NAME_SPACE", "").strip()
        raw = request.META.get("HTTP_REFRESH_TOKEN", "").strip()
        if not namespace or not raw:
            raise exceptions.NotAuthenticated(
                "Send the `X-NAME-SPACE` and `refresh_token` (or `refresh-token`) headers."
            )
        pair = tokens.rotate_refresh_token(namespace=namespace, raw_token=raw)
        return Response(
            {
                "access_token": pair.access.token,
                "refresh_token": pair.refresh_token,
                "login_status": "success",
                "expires_in": pair.access.expires_in,
            }
        )


class IsAdminKey(permissions.BasePermission):
    message = "Managing API keys needs a key with the admin scope."

    def has_permission(self, request, view):
        return bool(getattr(request.user, "is_admin", False))


class ApiKeyManagementView(APIView):
    permission_classes = [HasTenant, IsAdminKey]

    @property
    def tenant(self):
        return self.request.user.tenant


class ApiKeyListView(ApiKeyManagementView):
    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_api_keys_list",
        summary="List the tenant's API keys",
        description=(
            "Every API key of the caller's company, newest first, revoked ones included (`revoked_at`). "
            "The keys themselves are never shown again: `prefix` identifies each. Needs a key with the admin scope."
        ),
        responses={
            200: inline_serializer(
                "ApiKeyList",
                {
                    "success": serializers.BooleanField(),
                    "data": ApiKeySerializer(many=True),
                    "total": serializers.IntegerField(),
                },
            ),
            401: _error("Missing or bad credentials."),
            403: _error("The key lacks the admin scope."),
        },
    )
    def get(self, request):
        keys = ApiKey.objects.filter(tenant=self.tenant).order_by("-created_at", "-id")
        data = ApiKeySerializer(keys, many=True).data
        return Response({"success": True, "data": data, "total": len(data)})

    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_api_keys_create",
        summary="Create an API key (the key is shown once)",
        description=(
            "Creates a key for the caller's company; `scope` `admin` may manage keys, `standard` may not. "
            "The answer's `key` is the only time the key is shown: it is stored hashed. Needs a key with the "
            "admin scope."
        ),
        request=ApiKeyCreateSerializer,
        responses={
            201: inline_serializer(
                "ApiKeyCreated", {"success": serializers.BooleanField(), "data": NewApiKeySerializer()}
            ),
            400: _error("Invalid input."),
            401: _error("Missing or bad credentials."),
            403: _error("The key lacks the admin scope."),
        },
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError({"name": ["Expected a JSON object."]})
        serializer = ApiKeyCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key, raw = services.create_api_key(
            tenant=self.tenant,
            name=serializer.validated_data["name"],
            is_admin=serializer.validated_data["scope"] == "admin",
        )
        return Response(
            {"success": True, "data": {**ApiKeySerializer(key).data, "key": raw}}, status=status.HTTP_201_CREATED
        )


class ApiKeyDetailView(ApiKeyManagementView):
    @extend_schema(
        tags=[AUTH_TAG],
        operation_id="auth_api_keys_revoke",
        summary="Revoke an API key (at once, with its access and refresh tokens)",
        description=(
            "From now on the key, and every access and refresh token issued for it, is refused with a 401. "
            "Needs a key with the admin scope."
        ),
        responses={
            200: inline_serializer("ApiKeyRevoked", {"success": serializers.BooleanField()}),
            401: _error("Missing or bad credentials."),
            403: _error("The key lacks the admin scope."),
            404: _error("No such key in the caller's tenant."),
        },
    )
    def delete(self, request, key_id):
        pk = parse_uuid(key_id)
        key = ApiKey.objects.filter(tenant=self.tenant, pk=pk).first() if pk else None
        if key is None:
            raise exceptions.NotFound()
        services.revoke_api_key(key=key)
        return Response({"success": True})

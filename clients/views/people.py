from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from clients.models import ClientChannel, ClientContact, ClientLocation, MailUnsubscribe, Speciality, Tag
from clients.serializers import people as s
from clients.services import people as services
from core.api.fields import DateTimeMsField, format_datetime
from core.api.listing import get_list
from core.api.viewsets import ResourceViewSet

WITH_REMOVE = {"list", "create", "retrieve", "update", "destroy", "remove"}


class TagViewSet(ResourceViewSet):
    queryset = Tag.objects.all()
    serializer_class = s.TagSerializer
    natural_key = ("name",)
    search_fields = ["name"]
    filter_fields = ["name"]


class ClientChannelViewSet(ResourceViewSet):
    queryset = ClientChannel.objects.all()
    serializer_class = s.ClientChannelSerializer
    natural_key = ("name",)
    search_fields = ["name", "local_name"]
    filter_fields = ["name", "local_name"]


class ClientContactViewSet(ResourceViewSet):
    queryset = ClientContact.objects.all()
    serializer_class = s.ClientContactSerializer
    search_fields = ["name", "email", "phone1"]
    filter_fields = ["name"]


class ClientLocationViewSet(ResourceViewSet):
    queryset = ClientLocation.objects.all()
    serializer_class = s.ClientLocationSerializer
    search_fields = ["name", "address", "city"]
    filter_fields = ["client"]
    operations = WITH_REMOVE


class SpecialityViewSet(ResourceViewSet):
    queryset = Speciality.objects.all()
    serializer_class = s.SpecialitySerializer
    natural_key = ("name",)
    search_fields = ["name"]
    operations = WITH_REMOVE


class MailUnsubscribeViewSet(ResourceViewSet):
    """The mail suppression list. No update: an address is added (POST) or re-subscribed by
    deleting its row (DELETE /{id}, POST /remove). The `email` filter matches the normalised
    address exactly, so `?email=User@Example.com` finds `user@example.com`."""

    queryset = MailUnsubscribe.objects.all()
    serializer_class = s.MailUnsubscribeSerializer
    openapi_notes = {
        "list": "The `email` filter matches the address trimmed and in lower case.",
        "create": "The address is stored trimmed and in lower case; one already on the list is a 409.",
        "check": (
            "Answers `is_unsubscribed` and, when it is, `unsubscribe_date`. An address that is not on the list "
            "answers `false` and `null`, never a 404. With `unsubscribe_type`, only an entry of that type (or "
            "of `all`) counts."
        ),
    }
    natural_key = ("email",)
    search_fields = ["email", "reason"]
    operations = {"list", "create", "retrieve", "destroy", "remove"}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            emails = get_list(self.request.query_params, "email")
            if emails is not None:
                queryset = queryset.filter(email__in=[services.normalise_email(str(e)) for e in emails])
        return queryset

    @extend_schema(
        request=s.UnsubscribeCheckSerializer,
        responses=inline_serializer(
            "UnsubscribeCheckAnswer",
            {
                "success": serializers.BooleanField(),
                "data": inline_serializer(
                    "UnsubscribeStatus",
                    {
                        "is_unsubscribed": serializers.BooleanField(),
                        "unsubscribe_date": DateTimeMsField(
                            allow_null=True, help_text="When the address was unsubscribed; null when it is not."
                        ),
                    },
                ),
            },
        ),
    )
    @action(detail=False, methods=["post"], url_path="check")
    def check(self, request, *args, **kwargs):
        """Is this address unsubscribed? An unknown address is `false`/`null`, not a 404."""
        body = s.UnsubscribeCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.find_unsubscribe(
            tenant=self.tenant,
            email=body.validated_data["email"],
            unsubscribe_type=body.validated_data.get("unsubscribe_type"),
        )
        data = {
            "is_unsubscribed": row is not None,
            "unsubscribe_date": format_datetime(row.created_at) if row else None,
        }
        return Response(self.family().one(data))

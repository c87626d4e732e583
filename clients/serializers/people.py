"""Documents of the client master data: channels and contacts (family C), locations,
specialities and the mail suppression list (family B), tags (family D)."""

from rest_framework import serializers

from clients.models import ClientChannel, ClientContact, ClientLocation, MailUnsubscribe, Speciality, Tag
from clients.services import people as services
from core.api import fields as f
from core.api.serializers import ResourceSerializer


class CheckedObjectField(serializers.JSONField):
    """A documented nested object stored as JSON, validated by one of the service's checks;
    each problem is reported at its own path (`business_hours.monday.open`)."""

    default_error_messages = {"invalid": "Expected a JSON object."}

    def __init__(self, check, **kwargs):
        self.check = check
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("invalid")
        errors = self.check(data)
        if errors:
            raise serializers.ValidationError({path: [message] for path, message in errors.items()})
        return data


class TagSerializer(ResourceSerializer):
    class Meta:
        model = Tag
        family = "D"
        fields = ["name", "disabled", "integration_meta"]


class ClientChannelSerializer(ResourceSerializer):
    class Meta:
        model = ClientChannel
        family = "C"
        fields = ["name", "local_name", "disabled", "integration_meta"]


class ClientContactSerializer(ResourceSerializer):
    """`creator` and `editor` are read-only: set from the caller by the service."""

    media = f.StringListField(required=False)

    class Meta:
        model = ClientContact
        family = "C"
        fields = [
            "name", "local_name", "phone1", "phone2", "email", "title", "extra_info", "disabled", "media",
            "cover_photo", "integration_meta", "creator", "editor",
        ]  # fmt: skip

    def create(self, validated_data):
        return services.create_client_contact(tenant=self.tenant, data=validated_data, actor=self.actor)

    def update(self, instance, validated_data):
        return services.update_client_contact(contact=instance, data=validated_data, actor=self.actor)


class ClientLocationSerializer(ResourceSerializer):
    coordinates = CheckedObjectField(services.coordinates_errors)
    contact_info = CheckedObjectField(services.contact_info_errors)
    business_hours = CheckedObjectField(services.business_hours_errors)

    class Meta:
        model = ClientLocation
        family = "B"
        fields = [
            "client", "name", "address", "city", "state", "postal_code", "country", "coordinates", "is_primary",
            "location_type", "contact_info", "business_hours", "notes", "disabled",
        ]  # fmt: skip

    def create(self, validated_data):
        return services.create_client_location(tenant=self.tenant, data=validated_data)

    def update(self, instance, validated_data):
        return services.update_client_location(location=instance, data=validated_data)


class SpecialitySerializer(ResourceSerializer):
    class Meta:
        model = Speciality
        family = "B"
        fields = ["name", "disabled"]


class MailUnsubscribeSerializer(ResourceSerializer):
    """`createdAt` is the unsubscribe date. The email is stored normalised (trimmed, lower
    case) by the service, which also refuses a second row for the same address (409)."""

    unsubscribe_types = f.StringListField(child=f.StrictCharField(), required=False, allow_empty=False)

    class Meta:
        model = MailUnsubscribe
        family = "B"
        fields = ["email", "reason", "unsubscribe_types", "user_agent", "ip_address"]

    def create(self, validated_data):
        return services.create_mail_unsubscribe(tenant=self.tenant, data=validated_data)


class UnsubscribeCheckSerializer(serializers.Serializer):
    """Body of `POST /mail-unsubscribe/check`. `unsubscribe_type` is an optional extension:
    with it, only a row of that type (or `all`) counts."""

    email = f.StrictEmailField()
    unsubscribe_type = f.StrictCharField(required=False)

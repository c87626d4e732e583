"""Admin of the client master data. Contacts, locations and the mail suppression list save
through their services (who/when, one primary location per client, normalised unique emails)."""

from django import forms
from django.contrib import admin

from clients.models import ClientChannel, ClientContact, ClientLocation, MailUnsubscribe, Speciality, Tag
from clients.services import people as services
from core.admin.base import TenantScopedAdmin, user_tenant


def admin_actor(request) -> dict:
    """The staff user as documents record who created or edited them."""
    user = request.user
    return {"_id": str(user.pk), "name": user.get_username(), "username": user.get_username(), "type": "admin"}


@admin.register(Tag)
class TagAdmin(TenantScopedAdmin):
    list_display = ("name", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("disabled",)


@admin.register(Speciality)
class SpecialityAdmin(TenantScopedAdmin):
    list_display = ("name", "disabled", "updated_at")
    search_fields = ("name",)
    list_filter = ("disabled",)


@admin.register(ClientChannel)
class ClientChannelAdmin(TenantScopedAdmin):
    list_display = ("name", "local_name", "disabled", "updated_at")
    search_fields = ("name", "local_name")
    list_filter = ("disabled",)


@admin.register(ClientContact)
class ClientContactAdmin(TenantScopedAdmin):
    list_display = ("name", "title", "email", "phone1", "disabled")
    search_fields = ("name", "local_name", "email", "phone1", "phone2")
    list_filter = ("disabled", "title")
    readonly_fields = ("creator", "editor")

    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        services.save_client_contact(contact=obj, actor=admin_actor(request))


class ClientLocationForm(forms.ModelForm):
    """Checks the nested objects with the same rules as the API."""

    class Meta:
        model = ClientLocation
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def _get_validation_exclusions(self):
        # The one-primary constraint is kept by the service (it unsets the previous primary),
        # so the form must not refuse a second primary up front.
        return {*super()._get_validation_exclusions(), "is_primary"}

    def clean(self):
        cleaned = super().clean()
        for name, check in services.LOCATION_OBJECT_CHECKS.items():
            value = cleaned.get(name)
            if value is None:
                continue
            errors = check(value)
            if errors:
                self.add_error(
                    name, "; ".join(f"{path}: {message}" if path else message for path, message in errors.items())
                )
        return cleaned


@admin.register(ClientLocation)
class ClientLocationAdmin(TenantScopedAdmin):
    form = ClientLocationForm
    list_display = ("name", "client", "city", "location_type", "is_primary")
    search_fields = ("name", "address", "city", "client__name")
    list_filter = ("location_type", "is_primary", "disabled")
    autocomplete_fields = ("client",)
    list_select_related = ("client",)

    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        services.save_client_location(location=obj)


class MailUnsubscribeForm(forms.ModelForm):
    class Meta:
        model = MailUnsubscribe
        fields = "__all__"  # noqa: DJ007  (the admin narrows the fields it shows)

    def clean_email(self):
        return services.normalise_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        tenant = cleaned.get("tenant") or self.instance.tenant_id
        if email and tenant:
            taken = MailUnsubscribe.objects.filter(tenant=tenant, email=email).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("email", f"{email} is already on the unsubscribe list.")
        return cleaned


@admin.register(MailUnsubscribe)
class MailUnsubscribeAdmin(TenantScopedAdmin):
    form = MailUnsubscribeForm
    list_display = ("email", "unsubscribe_types", "reason", "created_at")
    search_fields = ("email", "reason")
    list_filter = ("created_at",)

    def save_model(self, request, obj, form, change):
        if not change and not obj.tenant_id:
            obj.tenant = user_tenant(request)
        services.save_mail_unsubscribe(row=obj)

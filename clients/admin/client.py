import re

from django import forms
from django.contrib import admin
from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils.html import format_html, format_html_join

from clients.models import Client
from clients.services import client as services
from core.admin.base import TenantScopedAdmin, user_tenant
from core.api.exceptions import Conflict

PHONE_SEPARATORS = " -().+/"
PHONE_TERM = re.compile(r"^[\d\s().+/-]+$")
PHONE_MIN_DIGITS = 5  # fewer digits are a code or a house number rather than a phone number


def phone_digits(term: str) -> str:
    """The digits a phone search looks for, or "" when the term is no phone number. Leading zeros
    (a trunk or international prefix: 079..., 00962...) are left out: numbers are stored both ways."""
    term = term.strip()
    if not PHONE_TERM.match(term):
        return ""
    digits = re.sub(r"\D", "", term).lstrip("0")
    return digits if len(digits) >= PHONE_MIN_DIGITS else ""


def _digits_of(field: str):
    expression = F(field)
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, Value(separator), Value(""))
    return expression


class ClientAdminForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = "__all__"  # noqa: DJ007  (the admin's fieldsets choose what is shown)

    def clean(self):
        cleaned = super().clean()
        tenant = self.instance.tenant if self.instance.tenant_id else cleaned.get("tenant")
        if tenant is not None:
            data = {key: cleaned.get(key) or None for key in services.UNIQUE_PER_TENANT}
            try:
                services.check_unique_codes(
                    tenant=tenant, data=data, instance=self.instance if self.instance.pk else None
                )
            except Conflict as exc:
                raise forms.ValidationError(str(exc.detail)) from None
        return cleaned


@admin.register(Client)
class ClientAdmin(TenantScopedAdmin):
    form = ClientAdminForm
    list_display = ("name", "client_code", "city", "channel", "disabled")
    list_filter = ("disabled", ("channel", admin.RelatedOnlyFieldListFilter), "payment_type", "is_chain")
    search_fields = ("name", "local_name", "client_code", "email", "city", "phone", "cell_phone")
    autocomplete_fields = (
        "tags", "speciality", "contacts", "channel", "parent_client", "chain", "primary_contact", "referred_by",
        "assigned_to", "teams", "sv_price_list",
    )  # fmt: skip
    readonly_fields = (
        "last_location_update", "last_login_time", "integrated_client_balance", "ledger_balance", "statement",
    )  # fmt: skip
    fieldsets = (
        (None, {"fields": ("tenant", "name", "local_name", "legal_name", "client_code", "status", "disabled")}),
        ("Contact", {"fields": ("email", "phone", "cell_phone", "website", "contact_name", "contact_title",
                                "contacts", "primary_contact")}),
        ("Address", {"fields": ("formatted_address", "city", "state", "zip", "country", "lat", "lng",
                                "location_verified", "last_location_update", "geofencing_radius", "territory")}),
        ("Organisation", {"fields": ("channel", "tags", "speciality", "assigned_to", "teams", "parent_client", "is_chain", "chain",
                                     "client_type", "industry", "size")}),
        ("Credit", {"fields": ("sv_price_list", "payment_type", "credit_limit", "invoice_balance_limit",
                               "enable_invoice_balance_limit", "integrated_client_balance")}),
        ("Account", {"fields": ("ledger_balance", "statement")}),
        ("Other", {"classes": ("collapse",), "fields": ("first_name", "last_name", "referred_by", "comment",
                                                        "custom_fields", "integration_meta", "sync_id")}),
    )  # fmt: skip

    @admin.display(description="Balance (client ledger)")
    def ledger_balance(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        from finance.services.client_ledger import client_balance

        return client_balance(tenant=obj.tenant_id, client_id=obj.pk)

    @admin.display(description="Statement (last 20 entries)")
    def statement(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        from finance.services.statement import client_statement

        total = client_statement(tenant=obj.tenant_id, client_id=obj.pk, page=1, per_page=1)["total"]
        page = max(1, (total + 19) // 20)
        data = client_statement(tenant=obj.tenant_id, client_id=obj.pk, page=page, per_page=20)
        if not data["entries"] and page > 1:
            data = client_statement(tenant=obj.tenant_id, client_id=obj.pk, page=page - 1, per_page=20)
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td style='text-align:right'>{}</td>"
            "<td style='text-align:right'>{}</td></tr>",
            (
                (e["date"].strftime("%Y-%m-%d %H:%M"), e["type"], e["document"], e["amount"], e["balance"])
                for e in data["entries"]
            ),
        )
        return format_html(
            "<table><thead><tr><th>Date</th><th>Type</th><th>Document</th><th>Amount</th><th>Balance</th></tr>"
            "</thead><tbody>{}</tbody></table><p>{} entries in all; the API's GET /v1/client/{}/statement pages "
            "through every one.</p>",
            rows,
            data["total"],
            obj.pk,
        )

    def get_search_results(self, request, queryset, search_term):
        """Besides the words of the term, a phone number finds its client however either is
        written: "0791234567" finds "+962 79 123 4567" (separators and leading zeros aside)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = phone_digits(search_term)
        if digits:
            by_phone = queryset.alias(phone_digits=_digits_of("phone"), cell_digits=_digits_of("cell_phone")).filter(
                Q(phone_digits__contains=digits) | Q(cell_digits__contains=digits)
            )
            results = results | queryset.filter(pk__in=by_phone.values("pk"))
        return results, may_have_duplicates

    def save_model(self, request, obj, form, change):
        m2m = {f.name for f in Client._meta.many_to_many}
        data = {
            key: value
            for key, value in form.cleaned_data.items()
            if key not in m2m and key != "tenant" and (not change or key in form.changed_data)
        }
        if change:
            saved = services.update_client(client=Client.objects.get(pk=obj.pk), data=data)
        else:
            saved = services.create_client(tenant=obj.tenant if obj.tenant_id else user_tenant(request), data=data)
        obj.pk, obj.version, obj.tenant_id = saved.pk, saved.version, saved.tenant_id
        obj._state.adding = False

"""Admin of banks and bank lists (plain rows: the generic services write them; a bank's name is
unique in its tenant in any case, which the form reports on the name field)."""

from django.contrib import admin
from django.db.models import Count

from core.admin.base import TenantScopedAdmin
from finance.models import Bank, BankList


@admin.register(Bank)
class BankAdmin(TenantScopedAdmin):
    list_display = ("name", "code", "country", "disabled", "updated_at")
    list_filter = ("disabled", "country")
    search_fields = ("name", "code", "country")


@admin.register(BankList)
class BankListAdmin(TenantScopedAdmin):
    list_display = ("name", "bank_count", "disabled", "updated_at")
    list_filter = ("disabled",)
    search_fields = ("name",)
    autocomplete_fields = ("banks",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_bank_count=Count("banks"))

    @admin.display(description="Banks", ordering="_bank_count")
    def bank_count(self, obj):
        return obj._bank_count

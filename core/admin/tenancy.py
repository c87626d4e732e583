"""Admin of tenants, staff users, groups, API keys and refresh tokens: who may do what.

Tenants and groups are for superusers only (a group is shared by every tenant's users). Staff
manage their tenant's users within their own rights and their tenant's keys (core/admin/scoping.py).
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from core import services
from core.models import ApiKey, RefreshToken, Tenant, User

from .layout import FormLayoutMixin
from .scoping import SuperuserOnlyAdminMixin, TenantScopedAdminMixin, rights_within, user_tenant


@admin.register(Tenant)
class TenantAdmin(SuperuserOnlyAdminMixin, FormLayoutMixin, admin.ModelAdmin):
    list_display = ("namespace", "name", "is_active", "created_at")
    search_fields = ("namespace", "name")
    list_filter = ("is_active",)
    readonly_fields = ("id", "created_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            created = services.create_tenant(namespace=obj.namespace, name=obj.name)
            obj.pk = created.pk


admin.site.unregister(Group)


@admin.register(Group)
class SuperuserGroupAdmin(SuperuserOnlyAdminMixin, GroupAdmin):
    pass


@admin.register(User)
class TenantUserAdmin(TenantScopedAdminMixin, FormLayoutMixin, UserAdmin):
    """Staff see their tenant's users but superusers, add users to their tenant only, and change
    only users whose rights are within their own; superusers manage every user and tenant."""

    list_display = ("username", "email", "tenant", "is_staff", "is_superuser")
    list_filter = ("tenant", "is_staff", "is_superuser", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Tenant", {"fields": ("tenant",)}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Tenant", {"fields": ("tenant",)}))
    superuser_fields = ("is_superuser",)
    tenant_fixed_on_change = False  # a superuser may move a user to another tenant

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or rights_within(obj, request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or rights_within(obj, request.user))


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdminMixin, FormLayoutMixin, admin.ModelAdmin):
    """Keys are created here and shown once; afterwards only their prefix is visible."""

    list_display = ("name", "prefix", "is_admin", "last_used_at", "revoked_at")
    list_filter = ("is_admin",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        return ["name", "tenant", "is_admin", *self.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tenant")

    def has_change_permission(self, request, obj=None):
        return False if obj is not None and obj.revoked_at else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        tenant = obj.tenant if request.user.is_superuser else user_tenant(request)
        key, raw = services.create_api_key(tenant=tenant, name=obj.name, is_admin=obj.is_admin, created_by=request.user)
        obj.pk = key.pk
        messages.warning(request, f"New API key (copy it now, it is not shown again): {raw}")

    def delete_model(self, request, obj):
        services.revoke_api_key(key=obj)  # keys are revoked, never deleted: the audit trail stays

    def delete_queryset(self, request, queryset):
        for key in queryset:
            services.revoke_api_key(key=key)

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            services.revoke_api_key(key=key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(RefreshToken)
class RefreshTokenAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    """Read-only view of re-authentication sessions; revoke a family to end a session."""

    list_display = ("api_key", "created_at", "expires_at", "used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("tenant", "api_key", "family", "created_at", "expires_at", "used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("api_key", "tenant")

    @admin.action(description="Revoke the sessions of the selected tokens")
    def revoke(self, request, queryset):
        from core import tokens

        for family in set(queryset.values_list("family", flat=True)):
            tokens.revoke_refresh_family(family=family)
        messages.success(request, "Revoked.")

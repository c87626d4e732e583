"""Where a staff user's admin ends: their tenant, and the rights they hold.

A staff user sees, chooses and changes only their tenant's rows; a superuser sees every tenant.
One function, `scope_to_user`, says which rows of any model a user may see or choose, and every
door goes through it: each admin's queryset (its list, change, history and delete pages, its
actions, and the autocomplete answers drawn from it), every choice list of a form or inline, and
every related-field list filter (registered below for all admins).

Rights: only superusers manage tenants, groups, superuser flags and the users of other tenants.
A staff user manages the users of their tenant whose rights are within their own (otherwise
setting a stronger colleague's password would be a way up), and grants only the permissions they
hold themselves, alone or through groups made only of those.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from core.models import Tenant


def user_tenant(request):
    return getattr(request.user, "tenant", None)


def has_tenant_field(model) -> bool:
    return any(field.name == "tenant" and field.related_model is Tenant for field in model._meta.fields)


def held_permissions(user):
    """The permissions a user holds, directly or through groups (their ids, as a subquery)."""
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).values("pk")


def rights_within(target, user) -> bool:
    """Whether `target` holds no right that `user` lacks. Read from the tables rather than the auth
    backend, which answers nothing for an inactive user: their rights still come back with the
    tick of `is_active`."""
    if user.is_superuser:
        return True
    if target.is_superuser:
        return False
    target_permissions = Permission.objects.filter(Q(user=target) | Q(group__user=target))
    return not target_permissions.exclude(pk__in=held_permissions(user)).exists()


def scope_to_user(queryset, user):
    """The rows of `queryset` that `user` may see or choose."""
    if user.is_superuser:
        return queryset
    model, tenant = queryset.model, getattr(user, "tenant", None)
    if model is Permission:
        return queryset.filter(pk__in=held_permissions(user))
    if model is Group:  # groups are shared by every tenant: offered when nothing in them is beyond the user
        return queryset.exclude(permissions__in=Permission.objects.exclude(pk__in=held_permissions(user)))
    if tenant is None and (model is Tenant or has_tenant_field(model)):
        return queryset.none()
    if model is Tenant:
        return queryset.filter(pk=tenant.pk)
    if model is get_user_model():
        return queryset.filter(tenant=tenant, is_superuser=False)
    if has_tenant_field(model):
        return queryset.filter(tenant=tenant)
    return queryset


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """Django's filter on a relation lists every row of the related table: a staff user's lists
    only what they may see."""

    def field_choices(self, field, request, model_admin):
        if request.user.is_superuser:
            return super().field_choices(field, request, model_admin)
        visible = scope_to_user(field.related_model._default_manager.all(), request.user)
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, ordering=ordering, limit_choices_to=Q(pk__in=visible.values("pk"))
        )


# Ahead of Django's own, for every relation a list_filter names without a filter class.
admin.FieldListFilter.register(lambda field: field.remote_field, ScopedRelatedFieldListFilter, take_priority=True)


class ScopedChoicesMixin:
    """Rows and choice lists scoped to the user (ModelAdmin and InlineModelAdmin alike)."""

    def get_queryset(self, request):
        return scope_to_user(super().get_queryset(request), request.user)

    def _scoped(self, db_field, request, kwargs):
        if request.user.is_superuser:
            return kwargs
        queryset = kwargs.get("queryset")
        if queryset is None:  # what Django would offer: the related admin's order, else the table
            queryset = self.get_field_queryset(kwargs.get("using"), db_field, request)
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.using(kwargs.get("using")).all()
        return {**kwargs, "queryset": scope_to_user(queryset, request.user)}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._scoped(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._scoped(db_field, request, kwargs))


class TenantScopedAdminMixin(ScopedChoicesMixin):
    """An admin whose rows belong to tenants: staff never see or choose the tenant (theirs is
    set), and never see the fields named in `superuser_fields`."""

    superuser_fields: tuple = ()
    tenant_fixed_on_change = True  # a row never moves between tenants

    def hidden_fields(self, request) -> list[str]:
        if request.user.is_superuser:
            return []
        return [*(["tenant"] if has_tenant_field(self.model) else []), *self.superuser_fields]

    def get_list_display(self, request):
        hidden = self.hidden_fields(request)
        display = [column for column in super().get_list_display(request) if column not in hidden]
        if request.user.is_superuser and has_tenant_field(self.model) and "tenant" not in display:
            display.append("tenant")
        return display

    def get_list_filter(self, request):
        hidden = self.hidden_fields(request)
        filters = [item for item in super().get_list_filter(request) if item not in hidden]
        if request.user.is_superuser and has_tenant_field(self.model) and "tenant" not in filters:
            filters.append("tenant")
        return filters

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), *self.hidden_fields(request)]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.tenant_fixed_on_change and has_tenant_field(self.model):
            readonly.append("tenant")
        return list(dict.fromkeys(readonly))

    def get_fieldsets(self, request, obj=None):
        hidden = self.hidden_fields(request)
        fieldsets = [
            (name, {**options, "fields": [field for field in options["fields"] if field not in hidden]})
            for name, options in super().get_fieldsets(request, obj)
        ]
        return [(name, options) for name, options in fieldsets if options["fields"]]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        tenant = user_tenant(request)
        if obj is None and tenant is not None and not request.user.is_superuser and has_tenant_field(self.model):
            # The model's clean() checks references against the tenant: give it one to check.
            original_init = form.__init__

            def __init__(self, *args, **kw):
                original_init(self, *args, **kw)
                self.instance.tenant = tenant

            form.__init__ = __init__
        return form

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and (
            request.user.is_superuser or user_tenant(request) is not None
        )

    def save_model(self, request, obj, form, change):
        if not change and not request.user.is_superuser and has_tenant_field(self.model):
            obj.tenant = user_tenant(request)
        super().save_model(request, obj, form, change)


class SuperuserOnlyAdminMixin:
    """Managed by superusers only, whatever model permissions a staff user holds."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

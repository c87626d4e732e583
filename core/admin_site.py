"""The admin site: titled with the product, and closed to staff everywhere their tenant ends.

It is Django's default site (`core.apps.AdminConfig` names it), so `admin.site` and
`@admin.register` are this site. It lives outside `core/admin/` because that package registers
the admins, which needs the site to exist first.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core import checks
from django.core.exceptions import PermissionDenied

PRODUCT_NAME = "Field service back office"


class ScopedAutocompleteJsonView(AutocompleteJsonView):
    """The autocomplete view takes any model and field from its query string. Answers come from the
    related model's admin, whose queryset is tenant-scoped; a reverse relation (which no widget
    asks for, and which Django cannot answer: a 500) is refused."""

    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        if not source_field.concrete:
            raise PermissionDenied
        return term, model_admin, source_field, to_field_name


class BackOfficeSite(admin.AdminSite):
    site_header = PRODUCT_NAME
    site_title = PRODUCT_NAME
    index_title = "Administration"

    def autocomplete_view(self, request):
        return ScopedAutocompleteJsonView.as_view(admin_site=self)(request)

    def check(self, app_configs):
        """Every admin either scopes its rows to the staff user's tenant or is for superusers only:
        an admin registered without either would show staff every tenant's rows."""
        from core.admin.base import SuperuserOnlyAdminMixin, TenantScopedAdminMixin

        errors = list(super().check(app_configs))
        for model, model_admin in self._registry.items():
            if not isinstance(model_admin, (TenantScopedAdminMixin, SuperuserOnlyAdminMixin)):
                errors.append(
                    checks.Error(
                        f"The admin of {model._meta.label} neither scopes rows to a tenant nor is for superusers.",
                        hint="Inherit TenantScopedAdmin (or TenantScopedAdminMixin) or SuperuserOnlyAdminMixin.",
                        obj=type(model_admin),
                        id="core.E010",
                    )
                )
        return errors

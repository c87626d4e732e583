from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps  # a module: its AdminConfig is no candidate for `core`


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401

        post_migrate.connect(_install_row_counters, sender=self)
        _name_link_rows()


def _link_row_str(self):
    # "Acme Corner Shop – VIP" rather than Django's "Client_tags object (56)"
    source, target = (field for field in self._meta.fields if field.is_relation)
    return f"{getattr(self, source.name)} – {getattr(self, target.name)}"


def _name_link_rows():
    """The rows Django makes for many-to-many links are listed by name (the admin's delete
    confirmation, history) like any other row."""
    from django.apps import apps

    for model in apps.get_models(include_auto_created=True):
        if model._meta.auto_created:
            model.__str__ = _link_row_str


def _install_row_counters(sender, using="default", **kwargs):
    from core import rowcounts

    rowcounts.install(using=using)


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the back office's site (core/admin_site.py) as `admin.site`."""

    default = False  # named in INSTALLED_APPS; `core` itself stays CoreConfig
    default_site = "core.admin_site.BackOfficeSite"

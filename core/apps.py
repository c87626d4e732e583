from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401

        post_migrate.connect(_install_row_counters, sender=self)


def _install_row_counters(sender, using="default", **kwargs):
    from core import rowcounts

    rowcounts.install(using=using)

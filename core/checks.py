from django.apps import apps
from django.core import checks

from core.models import TenantModel


@checks.register(checks.Tags.models)
def tenant_models_keep_their_index(app_configs, **kwargs):
    """Every tenant-owned model keeps the (tenant, id) index its lists and cursors rely on."""
    errors = []
    for model in apps.get_models():
        if issubclass(model, TenantModel) and not any(
            list(index.fields[:2]) == ["tenant", "id"] for index in model._meta.indexes
        ):
            errors.append(
                checks.Error(
                    f"{model.__name__} has no (tenant, id) index.",
                    hint="Declare `class Meta(TenantModel.Meta)` or include TenantModel.Meta.indexes.",
                    obj=model,
                    id="core.E001",
                )
            )
    return errors

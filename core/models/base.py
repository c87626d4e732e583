"""The base every tenant-owned row stands on."""

import datetime as dt

from django.db import models
from django.utils import timezone

from core.ids import uuid7
from core.uniqueness import has_unique_name, name_owner, name_taken_message, save_with_unique_name


def now_ms() -> dt.datetime:
    """Now, to the millisecond: what the wire shows is exactly what is stored, so inclusive
    `to_updatedAt` bounds given in epoch milliseconds match the row they were read from."""
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)


class TenantModel(models.Model):
    """UUIDv7 key (`_id`), owning tenant, timestamps, write counter (`__v`), integration_meta."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Indexed through (tenant, id) below, which also serves the default `_id` order and cursors.
    tenant = models.ForeignKey("core.Tenant", on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=now_ms, editable=False)
    updated_at = models.DateTimeField(default=now_ms, editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    integration_meta = models.JSONField(default=dict, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
        # Subclasses declare `class Meta(TenantModel.Meta)` to keep this (a system check says so).
        indexes = [models.Index(fields=["tenant", "id"], name="%(class)s_tid")]

    def clean(self):
        """References stay inside the row's tenant (the admin's forms call this)."""
        super().clean()
        from django.core.exceptions import ValidationError

        errors = {}
        for f in self._meta.concrete_fields:
            if f.is_relation and f.name != "tenant" and issubclass(f.related_model, TenantModel):
                target = getattr(self, f.name, None)
                if target is not None and self.tenant_id and target.tenant_id != self.tenant_id:
                    errors[f.name] = "Belongs to another tenant."
        if has_unique_name(type(self)):
            owner = name_owner(self)
            if owner is not None:
                errors["name"] = name_taken_message(self, owner)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.updated_at = now_ms()
        if not self._state.adding:
            self.version += 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at", "version"}
        if has_unique_name(type(self)):
            save_with_unique_name(self, lambda: super(TenantModel, self).save(*args, **kwargs), update_fields)
            return
        super().save(*args, **kwargs)

    def __str__(self):
        return getattr(self, "name", None) or str(self.pk)

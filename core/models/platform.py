"""Platform-wide, tenant-owned resources: settings, media, custom statuses and lists."""

from django.db import models

from .base import TenantModel


class Setting(TenantModel):
    """Tenant-wide key/value. Seeded per tenant (the API has no create or delete)."""

    key = models.CharField(max_length=100)
    value = models.JSONField(null=True, blank=True)
    category = models.CharField(max_length=100, blank=True, default="")
    description = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="setting_unique_key")]
        ordering = ["key"]

    def __str__(self):
        return self.key


class Media(TenantModel):
    class DocumentType(models.TextChoices):
        HTML = "html"
        CSV = "csv"
        JSON = "json"
        IMAGE = "image"
        PDF = "pdf"
        PPT = "ppt"
        PPTX = "pptx"
        XLS = "xls"
        XLSX = "xlsx"
        DOC = "doc"
        DOCX = "docx"
        IMAGES = "images"
        ZIP = "zip"
        PT = "pt"

    PARENT_DOCUMENT_TYPES = [
        "clients", "asset", "assetUnit", "workorder", "clientLocation", "clientContact", "commentsThread",
        "workorderRequest", "workorderPortal", "invoice", "products", "productvariations", "representatives",
        "productcategories", "productSubCategory", "speciality", "line", "banner", "intgAvailableApps",
    ]  # fmt: skip

    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    url = models.CharField(max_length=2048)
    document_type = models.CharField(max_length=16, choices=DocumentType.choices)
    parent_document_type = models.CharField(
        max_length=32, blank=True, null=True, choices=[(v, v) for v in PARENT_DOCUMENT_TYPES]
    )
    parent_document_key = models.CharField(max_length=64, blank=True, null=True)
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "media"


class MediaStorage(TenantModel):
    filename = models.CharField(max_length=255)
    url = models.CharField(max_length=2048)
    mime_type = models.CharField(max_length=127)
    size = models.BigIntegerField()
    category = models.CharField(max_length=100, blank=True, null=True)
    entity_type = models.CharField(max_length=64, blank=True, null=True)
    entity_id = models.CharField(max_length=64, blank=True, null=True)
    uploaded_by = models.CharField(max_length=200, blank=True, default="", editable=False)
    is_public = models.BooleanField(default=False)
    thumbnail_url = models.CharField(max_length=2048, blank=True, null=True)
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True, default="")

    class Meta(TenantModel.Meta):
        verbose_name = "media storage item"

    def __str__(self):
        return self.filename


class CustomStatus(TenantModel):
    name = models.CharField(max_length=200)
    color = models.CharField(max_length=32, blank=True, default="")
    entity = models.CharField(max_length=64, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        verbose_name_plural = "custom statuses"


class CustomList(TenantModel):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    entity = models.CharField(max_length=64, blank=True, default="")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        pass


class CustomListItem(TenantModel):
    name = models.CharField(max_length=200)
    value = models.CharField(max_length=500, blank=True, default="")
    custom_list = models.ForeignKey(CustomList, on_delete=models.PROTECT, related_name="items")
    disabled = models.BooleanField(default=False)

    class Meta(TenantModel.Meta):
        pass

from .base import TenantModel, now_ms
from .counts import RowCount
from .platform import CustomList, CustomListItem, CustomStatus, Media, MediaStorage, Setting
from .tenancy import ApiKey, RefreshToken, Tenant, User, hash_api_key

__all__ = [
    "ApiKey",
    "CustomList",
    "CustomListItem",
    "CustomStatus",
    "Media",
    "RefreshToken",
    "RowCount",
    "MediaStorage",
    "Setting",
    "Tenant",
    "TenantModel",
    "User",
    "hash_api_key",
    "now_ms",
]

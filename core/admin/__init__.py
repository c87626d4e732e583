from . import platform, tenancy  # noqa: F401  (registrations)
from .base import TenantScopedAdmin

__all__ = ["TenantScopedAdmin"]

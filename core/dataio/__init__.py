"""Data import and export for every API resource (management commands and admin alike).

    from core.dataio import ImportOptions, import_file, export_resource

    report = import_file(resource="client", tenant=tenant, path="clients.csv",
                         options=ImportOptions(mode="update"))
    export_resource("client", tenant, "xlsx", stream)

A resource needs no code to be importable: rows go through its serializer (validation) and its
create/update (services), exactly as API writes do. See resources.py for the optional
declarations (natural_key, bulk_create_service).
"""

from .engine import ImportOptions, import_file
from .export import export_resource
from .readers import FORMATS, FileError
from .report import ImportReport, Progress
from .resources import Resource, UnknownResource, all_resources, get_resource, resource_for_model

__all__ = [
    "FORMATS",
    "FileError",
    "ImportOptions",
    "ImportReport",
    "Progress",
    "Resource",
    "UnknownResource",
    "all_resources",
    "export_resource",
    "get_resource",
    "import_file",
    "resource_for_model",
]

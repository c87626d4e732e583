from .catalogue import (
    Product,
    ProductBrand,
    ProductCategory,
    ProductGroup,
    ProductModifiersGroup,
    ProductSubCategory,
    Variant,
)
from .invoices import Invoice, InvoiceItem, Proforma, ProformaItem
from .organisation import InventoryAdjustmentReason, Rep, ReturnReason, Route, RouteClient, Supplier, Team, Warehouse
from .pricing import MeasureUnit, MeasureUnitFamily, Msl, MslProduct, PriceList, PriceListItem, Tax
from .stock import AppendOnlyError, Inventory, StockMovement, StockReservation

__all__ = [
    "AppendOnlyError",
    "Inventory",
    "InventoryAdjustmentReason",
    "Invoice",
    "InvoiceItem",
    "MeasureUnit",
    "MeasureUnitFamily",
    "Msl",
    "MslProduct",
    "PriceList",
    "PriceListItem",
    "Product",
    "Proforma",
    "ProformaItem",
    "ProductBrand",
    "ProductCategory",
    "ProductGroup",
    "ProductModifiersGroup",
    "ProductSubCategory",
    "Rep",
    "ReturnReason",
    "Route",
    "RouteClient",
    "StockMovement",
    "StockReservation",
    "Supplier",
    "Tax",
    "Team",
    "Variant",
    "Warehouse",
]

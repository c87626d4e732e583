from .serials import InvoiceSerialCounter

__all__ = ["InvoiceSerialCounter"]

from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = ["InvoiceSerialCounter", "PaymentTerm"]

from .banks import Bank, BankList
from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = ["Bank", "BankList", "InvoiceSerialCounter", "PaymentTerm"]

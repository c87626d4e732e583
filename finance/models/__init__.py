from .banks import Bank, BankList, Check
from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = ["Bank", "BankList", "Check", "InvoiceSerialCounter", "PaymentTerm"]

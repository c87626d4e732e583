from .banks import Bank, BankList, Check
from .contracts import Contract, ContractInstallment
from .refunds import Refund
from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = [
    "Bank",
    "BankList",
    "Check",
    "Contract",
    "ContractInstallment",
    "InvoiceSerialCounter",
    "PaymentTerm",
    "Refund",
]

from .banks import Bank, BankList, Check
from .contracts import Contract, ContractInstallment
from .ledger import AccountAdjustment, ClientAccount, ClientLedgerEntry
from .payments import Payment, PaymentAllocation, Settlement
from .refunds import Refund
from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = [
    "AccountAdjustment",
    "Bank",
    "BankList",
    "Check",
    "ClientAccount",
    "ClientLedgerEntry",
    "Contract",
    "ContractInstallment",
    "InvoiceSerialCounter",
    "Payment",
    "PaymentAllocation",
    "PaymentTerm",
    "Refund",
    "Settlement",
]

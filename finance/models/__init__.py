from .banks import Bank, BankList, Check
from .ledger import AccountAdjustment, ClientAccount, ClientLedgerEntry
from .payments import Payment, PaymentAllocation, Settlement
from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = [
    "AccountAdjustment",
    "Bank",
    "BankList",
    "Check",
    "ClientAccount",
    "ClientLedgerEntry",
    "InvoiceSerialCounter",
    "Payment",
    "PaymentAllocation",
    "PaymentTerm",
    "Settlement",
]

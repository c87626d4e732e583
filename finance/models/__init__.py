from .banks import Bank, BankList, Check
from .ledger import ClientAccount, ClientLedgerEntry
from .payments import Payment, PaymentAllocation, Settlement
from .serials import InvoiceSerialCounter
from .terms import PaymentTerm

__all__ = [
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

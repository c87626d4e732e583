"""factory-boy factories of the finance models. Each takes `tenant=`; related rows are made in
the same tenant."""

import datetime as dt

import factory

from finance import models as fm
from tests.factories import ClientFactory
from tests.factories_sales_organisation import RepFactory, WarehouseFactory


class InvoiceSerialCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.InvoiceSerialCounter

    rep = factory.SubFactory(RepFactory, tenant=factory.SelfAttribute("..tenant"))
    warehouse = factory.SubFactory(WarehouseFactory, tenant=factory.SelfAttribute("..tenant"))
    invoice_type = "sales"
    prefix = factory.Sequence(lambda n: f"S{n}-")


class PaymentTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.PaymentTerm

    name = factory.Sequence(lambda n: f"Net {n}")
    days = 30
    discount_percentage = 2
    discount_days = factory.LazyAttribute(lambda o: min(10, o.days))


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.Bank

    name = factory.Sequence(lambda n: f"Bank {n}")
    code = factory.Sequence(lambda n: f"BNK{n:04d}")
    country = "JO"


class BankListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.BankList
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Bank list {n}")

    @factory.post_generation
    def banks(self, create, extracted, **kwargs):
        if create and extracted:
            self.banks.set(extracted)


class CheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.Check

    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    rep = factory.SubFactory(RepFactory, tenant=factory.SelfAttribute("..tenant"))
    bank = factory.SubFactory(BankFactory, tenant=factory.SelfAttribute("..tenant"))
    check_number = factory.Sequence(lambda n: f"{100000 + n}")
    amount = 250
    due_date = factory.LazyFunction(lambda: dt.datetime(2025, 7, 1, tzinfo=dt.UTC))


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.Contract

    title = factory.Sequence(lambda n: f"Contract {n}")
    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    start_date = factory.LazyFunction(lambda: dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    end_date = factory.LazyFunction(lambda: dt.datetime(2040, 12, 31, tzinfo=dt.UTC))
    total_amount = 300


class ContractInstallmentFactory(factory.django.DjangoModelFactory):
    """Installment n of its contract (numbers follow the contract's existing count)."""

    class Meta:
        model = fm.ContractInstallment

    contract = factory.SubFactory(ContractFactory, tenant=factory.SelfAttribute("..tenant"), total_amount=100)
    installment_number = factory.LazyAttribute(lambda o: o.contract.installments.count() + 1)
    due_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=30))
    amount = 100


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.Refund

    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = 25
    reason = factory.Sequence(lambda n: f"Refund reason {n}")


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment row as stored (no allocation, no ledger entry: use finance.services.payments for those)."""

    class Meta:
        model = fm.Payment

    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    rep = factory.SubFactory(RepFactory, tenant=factory.SelfAttribute("..tenant"))
    amount = 100
    payment_method = "cash"
    reference = factory.Sequence(lambda n: f"PAY-{n:05d}")


class SettlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.Settlement

    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    total_amount = 0
    notes = factory.Sequence(lambda n: f"Settlement {n}")


class AccountAdjustmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = fm.AccountAdjustment

    client = factory.SubFactory(ClientFactory, tenant=factory.SelfAttribute("..tenant"))
    type = "credit"
    amount = 10
    reason = factory.Sequence(lambda n: f"Goodwill {n}")
    previous_balance = 0
    new_balance = 10

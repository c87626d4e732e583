"""The check (family D: `company_namespace`, `createdAt`/`updatedAt`, `__v`)."""

from decimal import Decimal

from core.api import fields as f
from core.api.serializers import ResourceSerializer
from core.ids import parse_uuid
from finance.models import Bank, Check
from finance.services import checks as services


class BankRefField(f.RefField):
    """The company's bank by its id, or by its name in any case (bank names are unique)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("incorrect_type")
        queryset = self.get_queryset()
        pk = parse_uuid(data)
        bank = queryset.filter(pk=pk).first() if pk is not None else None
        if bank is None and data.strip():
            bank = queryset.filter(name__iexact=data.strip()).first()
        if bank is None:
            self.fail("does_not_exist", pk_value=data[:100])
        return bank


class CheckSerializer(ResourceSerializer):
    """Created once, never changed: `status` and `clearedDate` are the server's."""

    bank = BankRefField(queryset=Bank.objects.all(), help_text="Bank ID, or the bank's name")
    checkNumber = f.StrictCharField(source="check_number", max_length=100)
    amount = f.MoneyField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))

    class Meta:
        model = Check
        family = "D"
        fields = [
            "client", "rep", "checkNumber", "amount", "bank", "accountNumber", "issueDate", "dueDate", "status",
            "clearedDate", "notes", "integration_meta",
        ]  # fmt: skip
        aliases = {
            "accountNumber": "account_number",
            "issueDate": "issue_date",
            "dueDate": "due_date",
            "clearedDate": "cleared_date",
        }

    def create(self, validated_data):
        return services.create_check(tenant=self.tenant, data=validated_data)

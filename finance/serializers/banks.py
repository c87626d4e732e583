"""Banks and bank lists (family E), and checks (family D)."""

from core.api.serializers import ResourceSerializer
from finance.models import Bank, BankList


class BankSerializer(ResourceSerializer):
    """`name` is unique per company in any case (409 naming the bank that has it)."""

    class Meta:
        model = Bank
        family = "E"
        fields = ["name", "code", "country", "disabled"]


class BankListSerializer(ResourceSerializer):
    """`banks[]`: ids of the company's banks (each once)."""

    class Meta:
        model = BankList
        family = "E"
        fields = ["name", "banks", "disabled"]

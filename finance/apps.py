from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.ledgers import register_ledger_checker
        from finance.services.client_check import LEDGER, check_client_ledger

        register_ledger_checker(LEDGER, check_client_ledger)

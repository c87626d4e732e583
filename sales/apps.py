from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "sales"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from core.ledgers import register_ledger_checker
        from sales.services.stock_check import LEDGER, check_stock_ledger

        from . import printing

        register_ledger_checker(LEDGER, check_stock_ledger)
        printing.register()

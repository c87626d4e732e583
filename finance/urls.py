from core.api.routers import router

from .views import banks, checks, contracts, payments, refunds, rep_balances, serials, settlements, terms

serials.register(router)
terms.register(router)
banks.register(router)
checks.register(router)
payments.register(router)
settlements.register(router)
contracts.register(router)
refunds.register(router)
rep_balances.register(router)

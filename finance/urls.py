from core.api.routers import router

from .views import banks, checks, contracts, refunds, serials, terms

serials.register(router)
terms.register(router)
banks.register(router)
checks.register(router)
contracts.register(router)
refunds.register(router)

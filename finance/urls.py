from core.api.routers import router

from .views import banks, checks, payments, serials, settlements, terms

serials.register(router)
terms.register(router)
banks.register(router)
checks.register(router)
payments.register(router)
settlements.register(router)

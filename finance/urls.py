from core.api.routers import router

from .views import banks, serials, terms

serials.register(router)
terms.register(router)
banks.register(router)

from core.api.routers import router

from .views import catalogue, invoices, organisation, pdf, pricing, stock

# Order matters where paths nest: /product/sub-categories is registered before /product/{id}.
for group in (catalogue, pricing, organisation, stock, invoices, pdf):
    group.register(router)

import pytest
from rest_framework.test import APIClient

from core import services


@pytest.fixture
def tenant(db):
    return services.create_tenant(namespace="acme", name="Acme")


@pytest.fixture
def other_tenant(db):
    return services.create_tenant(namespace="globex", name="Globex")


def client_for(tenant, header="bearer"):
    _, raw = services.create_api_key(tenant=tenant, name="test")
    api = APIClient()
    if header == "bearer":
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    elif header == "api-key":
        api.credentials(HTTP_API_KEY=raw)
    else:
        api.credentials(HTTP_AUTHORIZATION=raw)
    api.raw_key = raw
    return api


@pytest.fixture
def api(tenant):
    return client_for(tenant)


@pytest.fixture
def other_api(other_tenant):
    return client_for(other_tenant)

from tests.api_cases import ResourceAPICase
from tests.factories import TagFactory


class TestTagAPI(ResourceAPICase):
    path = "tag"
    family = "D"
    create_data = {"name": "VIP", "disabled": False, "integration_meta": {"erp_id": "T-1"}}
    update_data = {"name": "Gold"}
    invalid_data = [{"name": 5}, {}, {"name": "x", "disabled": "yes"}]

    def make(self, tenant, **kwargs):
        return TagFactory(tenant=tenant, **kwargs)

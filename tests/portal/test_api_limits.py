from rest_framework.test import APIClient


def test_oversized_json_body_is_refused_with_413_before_parsing(api_client_for, supplier, settings):
    settings.API_MAX_JSON_BYTES = 1000
    client: APIClient = api_client_for(supplier)
    body = '{"device_ids": [' + ",".join('"00-DB-12-34-56-78-90-A0"' for _ in range(100)) + "]}"
    response = client.post("/api/v1/incidents/install-code-requests/bulk/", body, content_type="application/json")
    assert response.status_code == 413
    assert "up to 1000 bytes" in response.json()["detail"]


def test_json_body_within_the_limit_is_parsed(api_client_for, supplier):
    client: APIClient = api_client_for(supplier)
    response = client.post("/api/v1/service-requests/", {"srv": "8.2", "command_variant": 8}, format="json")
    assert response.status_code == 200

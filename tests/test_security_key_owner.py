"""Issue 15: an organization's API key outlives the admin who made it (SECURITY.md says why)."""

from tests.conftest import Auth


def test_a_key_keeps_working_after_its_creator_is_removed_and_shows_it(client, auth):
    """The key is the organization's; its list entry shows the creator is gone."""
    owner = Auth.header(auth.register("acme")["accessToken"])
    second = auth.add_member(owner, "second@acme.example.com", role="admin")
    second_header = Auth.header(second["accessToken"])
    made = client.post("/api/keys", json={"name": "backend"}, headers=second_header)
    assert made.status_code == 201
    key = made.get_json()["key"]
    removed = client.delete(f"/api/users/{second['user']['id']}", headers=owner)
    assert removed.status_code == 204
    answer = client.post(
        "/api/optimize", json={"text": "Please list 3 risks."}, headers={"X-API-Key": key}
    )
    assert answer.status_code == 200
    (entry,) = client.get("/api/keys", headers=owner).get_json()["data"]
    assert entry["createdBy"] is None  # the admin who made it is gone: revoke if in doubt
    revoked = client.delete(f"/api/keys/{entry['id']}", headers=owner)
    assert revoked.status_code in (200, 204)
    again = client.post(
        "/api/optimize", json={"text": "Please list 3 risks."}, headers={"X-API-Key": key}
    )
    assert again.status_code == 401

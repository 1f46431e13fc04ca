"""Personal API tokens on /profile/ (created, shown once, revoked) and in the facilitator's admin."""

import re

import pytest

from postmortems.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_is_created_shown_once_and_works(client, reader):
    client.force_login(reader)
    response = client.post("/profile/api-tokens/", {"name": "Grafana", "scope": "read"})
    assert response.status_code == 200
    secret = re.search(rb'class="token-secret">(hs_[^<]+)<', response.content).group(1).decode()
    token = ApiToken.objects.get(user=reader)
    assert token.name == "Grafana" and token.hashed == ApiToken.hash(secret)
    page = client.get("/profile/")
    assert secret.encode() not in page.content and token.prefix.encode() in page.content
    client.logout()
    assert client.get("/api/v1/tags", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


@pytest.mark.parametrize("data", [{"name": "", "scope": "read"}, {"name": "x", "scope": "admin"},
                                  {"name": "a\x00b", "scope": "read"}, {"name": "x" * 500, "scope": "read"}])
def test_bad_token_forms_are_refused(client, reader, data):
    client.force_login(reader)
    response = client.post("/profile/api-tokens/", data)
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_owner_revokes_and_others_cannot(client, reader, author):
    from postmortems import services

    token, secret = services.api_token_create(user=reader, name="CI", scope="read_write")
    client.force_login(author)
    assert client.post(f"/profile/api-tokens/{token.pk}/revoke/").status_code == 404
    client.force_login(reader)
    assert client.get(f"/profile/api-tokens/{token.pk}/revoke/").status_code == 405
    assert client.post(f"/profile/api-tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/tags", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_facilitator_sees_and_revokes_every_token_in_the_admin(client, reader, author, facilitator):
    from postmortems import services

    token, _ = services.api_token_create(user=reader, name="CI", scope="read")
    client.force_login(facilitator)
    page = client.get("/admin/postmortems/apitoken/")
    assert page.status_code == 200 and b"CI" in page.content
    response = client.post("/admin/postmortems/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.force_login(author)
    assert client.get("/admin/postmortems/apitoken/").status_code in (302, 403)


def test_api_docs_page_needs_sign_in(client):
    assert client.get("/api/v1/docs/").status_code == 302

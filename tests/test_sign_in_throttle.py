"""Sign-in throttling: repeated failures lock a username, and (at a higher count) an address, for a cool-off."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
LOCKED = "Too many failed sign-ins for this username or from your network address"


def sign_in(client, username, password, *, address="192.0.2.10", path=LOGIN):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username, times, **kwargs):
    for _ in range(times):
        response = sign_in(client, username, "wrong-password", **kwargs)
    return response


def test_the_right_password_is_refused_after_repeated_failures_for_that_username(client, reader):
    response = fail(client, "rita", settings.SIGNIN_FAILURE_LIMIT - 1)
    assert response.status_code == 200 and LOCKED not in response.content.decode()
    response = sign_in(client, "rita", "wrong-password")
    assert response.status_code == 429
    response = sign_in(client, "rita", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    body = response.content.decode()
    assert LOCKED in body and "paused for 15 minutes" in body
    assert 'name="username"' in body  # the sign-in page, with the form, not a bare error
    assert response["Retry-After"] == "900"


def test_a_lockout_by_username_holds_from_any_address(client, reader):
    fail(client, "rita", settings.SIGNIN_FAILURE_LIMIT, address="192.0.2.10")
    assert sign_in(client, "rita", PASSWORD, address="198.51.100.7").status_code == 429


def test_a_locked_username_leaves_other_people_signing_in(client, reader, author):
    fail(client, "rita", settings.SIGNIN_FAILURE_LIMIT)
    response = sign_in(client, "arthur", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"


def test_failures_across_many_usernames_lock_the_address(client, reader):
    for i in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        response = sign_in(client, f"guess{i}", "wrong-password", address="203.0.113.9")
    assert response.status_code == 429
    # Rita's own count is nothing, but her address is locked; from elsewhere she signs in.
    assert sign_in(client, "rita", PASSWORD, address="203.0.113.9").status_code == 429
    assert sign_in(client, "rita", PASSWORD, address="198.51.100.7").status_code == 302


def test_fewer_failures_than_the_address_limit_leave_the_address_open(client, reader):
    for i in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT - 1):
        sign_in(client, f"guess{i}", "wrong-password", address="203.0.113.9")
    assert sign_in(client, "rita", PASSWORD, address="203.0.113.9").status_code == 302


def test_the_admin_sign_in_is_throttled_too_with_its_own_page(client, facilitator):
    fail(client, "fiona", settings.SIGNIN_FAILURE_LIMIT, path=ADMIN_LOGIN)
    response = sign_in(client, "fiona", PASSWORD, path=ADMIN_LOGIN)
    assert response.status_code == 429
    body = response.content.decode()
    assert LOCKED in body and "errornote" in body and "Hindsight admin" in body
    # The count is shared: the site's sign-in page refuses Fiona as well.
    assert sign_in(client, "fiona", PASSWORD).status_code == 429


def test_signing_in_works_again_after_the_cool_off(client, reader):
    fail(client, "rita", settings.SIGNIN_FAILURE_LIMIT)
    assert sign_in(client, "rita", PASSWORD).status_code == 429
    past = timezone.now() - timedelta(minutes=settings.SIGNIN_COOLOFF_MINUTES, seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    response = sign_in(client, "rita", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_failure_during_the_lockout_starts_the_cool_off_again(client, reader):
    fail(client, "rita", settings.SIGNIN_FAILURE_LIMIT)
    almost = timezone.now() - timedelta(minutes=settings.SIGNIN_COOLOFF_MINUTES - 1)
    AccessAttempt.objects.update(attempt_time=almost)
    sign_in(client, "rita", "wrong-password")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=2))
    assert sign_in(client, "rita", PASSWORD).status_code == 429


def test_no_password_is_kept_in_the_record_of_failures(client, reader):
    fail(client, "rita", 2)
    attempt = AccessAttempt.objects.get()
    assert "wrong-password" not in attempt.post_data
    assert attempt.ip_address == "192.0.2.10"


@pytest.mark.parametrize("forwarded, proxies, counted", [
    ("198.51.100.1", 1, "198.51.100.1"),
    ("10.9.9.9, 198.51.100.1", 1, "198.51.100.1"),  # what the client wrote itself comes first: ignored
    ("198.51.100.1, 10.0.0.2", 2, "198.51.100.1"),
    ("not-an-address", 1, "0.0.0.0"),
    ("", 1, "192.0.2.10"),
    ("198.51.100.1", 0, "192.0.2.10"),
])
def test_the_address_counted_behind_trusted_proxies(client, reader, settings, forwarded, proxies, counted):
    settings.TRUSTED_PROXIES = proxies
    client.post(LOGIN, {"username": "rita", "password": "wrong"}, REMOTE_ADDR="192.0.2.10",
                HTTP_X_FORWARDED_FOR=forwarded)
    assert AccessAttempt.objects.get().ip_address == counted


def test_a_user_made_for_the_test_client_still_signs_in_without_a_request(client):
    make_user("pat", "Readers")
    assert client.login(username="pat", password=PASSWORD)

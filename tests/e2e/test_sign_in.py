import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reader_signs_in_and_sees_the_frame(page, live_server, login):
    from tests.factories import make_user

    make_user("rita", "Readers", first_name="Rita")
    login(page, "rita")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Action items").is_visible()
    assert nav.get_by_role("link", name="Reading lists").is_visible()
    assert not nav.get_by_role("link", name="Admin").is_visible()
    assert page.get_by_role("searchbox", name="Search the library").is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()

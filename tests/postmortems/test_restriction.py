"""Authors may restrict a post-mortem; only facilitators lift a restriction, on every path that saves it:
the service, the editor, the admin and the Markdown import."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from postmortems import services
from postmortems.admin import PostMortemAdmin
from postmortems.interchange.importer import Options, import_paths
from postmortems.models import PostMortem, Status, Template
from tests.postmortems.test_views import editor_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm(author):
    return services.postmortem_create(
        user=author, template=Template.objects.get(slug="lightweight"), title="Leaked token", severity="sev2",
        started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
    )


def restrict(pm, facilitator):
    services.postmortem_set_restricted(postmortem=pm, user=facilitator, restricted=True)
    pm.refresh_from_db()
    return pm


def stored(pm):
    return PostMortem.objects.values_list("restricted", "version").get(pk=pm.pk)


# ---- the rule, in the service ------------------------------------------------------------------


@pytest.mark.parametrize("role,restricts,lifts", [
    ("author", True, False),
    ("facilitator", True, True),
    ("other_author", False, False),
    ("reader", False, False),
    ("outsider", False, False),
])
def test_set_restricted_authors_restrict_and_only_facilitators_lift(request, pm, facilitator, role, restricts, lifts):
    user = request.getfixturevalue(role)
    if restricts:
        services.postmortem_set_restricted(postmortem=pm, user=user, restricted=True)
        assert stored(pm)[0] is True
    else:
        with pytest.raises(PermissionDenied):
            services.postmortem_set_restricted(postmortem=pm, user=user, restricted=True)
        assert stored(pm)[0] is False
    restrict(pm, facilitator)
    version = stored(pm)[1]
    if lifts:
        services.postmortem_set_restricted(postmortem=pm, user=user, restricted=False)
        assert stored(pm)[0] is False
        assert pm.revisions.first().action == "unrestricted"
    else:
        with pytest.raises(PermissionDenied, match="Only facilitators lift a restriction|authors and facilitators"):
            services.postmortem_set_restricted(postmortem=pm, user=user, restricted=False)
        assert stored(pm) == (True, version)  # nothing recorded either


def test_check_restriction_change_compares_with_the_stored_flag(pm, author, facilitator):
    restrict(pm, facilitator)
    pm.restricted = False  # as a bound form leaves the instance before it is saved
    with pytest.raises(PermissionDenied):
        services.check_restriction_change(user=author, postmortem=pm, restricted=False)
    services.check_restriction_change(user=author, postmortem=pm, restricted=True)  # leaving it is fine
    services.check_restriction_change(user=facilitator, postmortem=pm, restricted=False)


def test_hindsight_on_its_own_may_restrict_but_never_lift(pm, facilitator):
    services.check_restriction_change(user=None, postmortem=pm, restricted=True)
    restrict(pm, facilitator)
    with pytest.raises(PermissionDenied):
        services.check_restriction_change(user=None, postmortem=pm, restricted=False)


def test_a_new_post_mortem_may_start_either_way(author):
    services.check_restriction_change(user=author, postmortem=PostMortem(restricted=False), restricted=False)
    services.check_restriction_change(user=None, postmortem=PostMortem(restricted=True), restricted=True)


# ---- the editor ----------------------------------------------------------------------------------


def test_editor_shows_an_author_the_restriction_they_cannot_lift(client, author, facilitator, pm):
    restrict(pm, facilitator)
    client.force_login(author)
    html = client.get(f"/postmortems/{pm.slug}/edit/").content.decode()
    assert 'name="restricted"' in html and "disabled" in html.split('name="restricted"')[1].split(">")[0]
    assert "Only a facilitator can lift the restriction." in html
    client.force_login(facilitator)
    html = client.get(f"/postmortems/{pm.slug}/edit/").content.decode()
    assert "disabled" not in html.split('name="restricted"')[1].split(">")[0]


def test_an_author_unticking_restricted_in_the_editor_changes_nothing_of_it(client, author, facilitator, reader, pm):
    restrict(pm, facilitator)
    pm.sections.update(body="Written.")
    services.postmortem_submit_for_review(postmortem=pm, user=author)
    services.postmortem_publish(postmortem=pm, user=facilitator)
    pm.refresh_from_db()
    client.force_login(author)
    data = editor_data(pm, summary="A token was exposed in a log.")  # no "restricted": the box is unticked
    response = client.post(f"/postmortems/{pm.slug}/edit/", data)
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.restricted
    assert services.pending_amendment(pm).document["summary"] == "A token was exposed in a log."
    client.force_login(reader)
    assert client.get(f"/postmortems/{pm.slug}/").status_code == 404


def test_an_author_restricts_in_the_editor(client, author, pm):
    client.force_login(author)
    assert client.post(f"/postmortems/{pm.slug}/edit/", editor_data(pm, restricted="on")).status_code == 302
    assert stored(pm)[0] is True


def test_a_facilitator_lifts_the_restriction_in_the_editor(client, facilitator, pm):
    restrict(pm, facilitator)
    client.force_login(facilitator)
    assert client.post(f"/postmortems/{pm.slug}/edit/", editor_data(pm)).status_code == 302
    assert stored(pm)[0] is False


def test_the_editor_save_refuses_to_lift_even_when_the_form_lets_it(author, facilitator, pm):
    """Whatever form a caller builds, the service that saves the editor does not lift a restriction."""
    restrict(pm, facilitator)
    version = pm.version
    document, _ = services.working_document(pm)
    with pytest.raises(PermissionDenied):
        services.postmortem_save(postmortem=pm, user=author, base_version=version, document=document,
                                 restricted=False)
    assert stored(pm) == (True, version)


# ---- the admin -----------------------------------------------------------------------------------


def admin_form(user, pm, **changes):
    from django.contrib import admin

    request = RequestFactory().get("/")
    request.user = user
    form_class = PostMortemAdmin(PostMortem, admin.site).get_form(request, pm)
    data = {"base_version": pm.version, "title": pm.title, "slug": pm.slug, "summary": pm.summary,
            "severity": pm.severity, "started_at_0": "2024-03-01", "started_at_1": "14:00",
            "authors": [a.pk for a in pm.authors.all()], **changes}
    return form_class(data, instance=pm)


def test_the_admin_form_refuses_an_author_lifting_a_restriction(author, facilitator, pm):
    restrict(pm, facilitator)
    form = admin_form(author, pm)  # "restricted" unticked
    assert not form.is_valid()
    assert "Only facilitators lift a restriction" in str(form.errors["restricted"])


def test_the_admin_form_lets_a_facilitator_lift_a_restriction(facilitator, pm):
    restrict(pm, facilitator)
    form = admin_form(facilitator, pm)
    assert form.is_valid(), form.errors


def test_the_admin_change_page_lifts_a_restriction_for_a_facilitator(client, facilitator, pm):
    from tests.postmortems.admin_support import PM_LIST, form_data

    restrict(pm, facilitator)
    client.force_login(facilitator)
    data = form_data(client.get(f"{PM_LIST}{pm.pk}/change/"), "postmortem_form")
    data.pop("restricted")
    response = client.post(f"{PM_LIST}{pm.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert stored(pm)[0] is False


# ---- the Markdown import -----------------------------------------------------------------------


def test_a_reimport_never_lifts_a_restriction(tmp_path, facilitator):
    path = tmp_path / "leak.md"
    path.write_text("---\nrestricted: false\nstatus: published\n---\n# Token in a log\n\nFirst import.\n")
    options = Options(template=Template.objects.get(slug="standard"), overwrite=True)
    [report] = import_paths([path], options=options)
    pm = PostMortem.objects.get(slug=report.slug)
    restrict(pm, facilitator)
    path.write_text("---\nrestricted: false\nstatus: published\n---\n# Token in a log\n\nSecond import.\n")
    [report] = import_paths([path], options=options)
    assert report.outcome == "amended"  # a published write-up changes through review
    assert any("stays restricted" in note for note in report.notes)
    pm.refresh_from_db()
    assert pm.restricted and pm.summary == "First import." and pm.status == Status.PUBLISHED
    assert services.pending_amendment(pm).document["summary"] == "Second import."


def test_an_import_may_restrict(tmp_path):
    path = tmp_path / "leak.md"
    path.write_text("# Token in a log\n\nFirst import.\n")
    options = Options(template=Template.objects.get(slug="standard"))
    [report] = import_paths([path], options=options)
    path.write_text("---\nrestricted: true\n---\n# Token in a log\n\nSecond import.\n")
    import_paths([path], options=options)
    assert PostMortem.objects.get(slug=report.slug).restricted

"""The Atom feed of newly published write-ups, read with a personal secret token (feed readers cannot sign in)."""

from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.safestring import mark_safe

from knowledge.services import published_for_feed
from postmortems.models import Profile


class PublishedFeed(Feed):
    feed_type = Atom1Feed
    title = "Hindsight — newly published post-mortems"
    subtitle = "Blameless write-ups of what our systems taught us."

    def link(self):
        return reverse("search") + "?sort=newest"

    def feed_url(self, user):
        # rel=self must carry the token: feed readers re-fetch the feed from this address.
        return reverse("published_feed") + "?" + urlencode({"token": user.profile.feed_token})

    def get_object(self, request, *args, **kwargs):
        token = request.GET.get("token", "")
        profile = Profile.objects.select_related("user").filter(feed_token=token).first() if token else None
        if profile is None or not profile.user.is_active:
            raise Http404("No feed at this address.")
        return profile.user

    def items(self, user):
        return published_for_feed(user=user)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return mark_safe(item.summary_html)  # sanitised when saved (postmortems/rendered.py)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [tag.name for tag in item.tags.all()]

    def item_author_name(self, item):
        return ", ".join(a.get_full_name() or a.username for a in item.authors.all()) or None

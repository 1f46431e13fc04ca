from django.urls import path

from knowledge import views
from knowledge.api import api_docs, api_urls
from knowledge.insights import views as insights_views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/autocomplete/", views.tag_autocomplete, name="tag_autocomplete"),
    # Tag slugs may hold any letter (taggit keeps "²" or "ü"): not only the slug converter's ASCII.
    path("tags/<str:slug>/", views.tag_detail, name="tag_detail"),
    path("reading-lists/", views.reading_list_index, name="reading_list_index"),
    path("reading-lists/<slug:slug>/", views.reading_list_detail, name="reading_list_detail"),
    path("reading-lists/<slug:slug>/items/<int:item_id>/read/", views.reading_list_mark, name="reading_list_mark"),
    path("feeds/published/", views.published_feed, name="published_feed"),
    path("profile/feed-token/", views.feed_token_rotate, name="feed_token_rotate"),
    path("postmortems/<slug:slug>/links/add/", views.link_add, name="related_link_add"),
    path("postmortems/<slug:slug>/links/<int:link_id>/delete/", views.link_delete, name="related_link_delete"),
    path("similar/", views.similar, name="similar_incidents"),
    # Insights.
    path("insights/", insights_views.insights_page, name="insights"),
    path("insights/postmortems/", insights_views.insights_postmortems, name="insights_postmortems"),
    path("insights/<slug:slug>.csv", insights_views.insights_csv, name="insights_csv"),
    # The JSON API (namespace api_v1; its views authenticate each request themselves) and its docs page.
    path("api/v1/docs/", api_docs, name="api_docs"),
    path("api/v1/", api_urls()),
]

"""The inbox, notification preferences and the one-click unsubscribe link of every email."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from postmortems import delivery, notifications
from postmortems.access import get_notification_for
from postmortems.models import Notification, NotificationKind
from postmortems.notification_forms import NotificationPreferencesForm

INBOX_PAGE_SIZE = 50


@require_safe
def notification_list(request):
    page = Paginator(Notification.objects.for_inbox(request.user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "notifications": page.object_list, "unread": notifications.unread_count(request.user)}
    return render(request, "postmortems/notifications.html", ctx)


@require_POST
def notification_read(request, pk: int):
    """Mark a notification read; with `open`, go on to what it is about."""
    notification = get_notification_for(request, pk)
    read = request.POST.get("read", "1") != "0"
    notifications.notification_mark_read(notification=notification, user=request.user, read=read)
    if "open" in request.POST and notification.postmortem is not None:
        return redirect(notification.postmortem)
    return redirect("notification_list")


@require_POST
def notification_read_all(request):
    count = notifications.notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notification_list")


@require_POST
def notification_preferences(request):
    form = NotificationPreferencesForm(request.POST, initial_choices=notifications.preferences_of(request.user))
    if not form.is_valid():
        messages.error(request, "Choose email, inbox only or weekly digest for each kind; nothing was changed.")
        return redirect("profile")
    notifications.notification_preferences_set(user=request.user, choices=form.choices())
    messages.success(request, "Saved how you hear of each kind of notification.")
    return redirect("profile")


@login_not_required
@csrf_exempt  # mail providers post RFC 8058 one-click unsubscribes without a session; the token is signed
@require_http_methods(["GET", "HEAD", "POST"])
def notification_unsubscribe(request, token: str):
    """Stop one kind of email for the person the signed token names: GET asks, POST does it."""
    try:
        user_id, kind = delivery.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "postmortems/unsubscribe.html", {"invalid": True}, status=400)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or kind not in NotificationKind.values:
        return render(request, "postmortems/unsubscribe.html", {"invalid": True}, status=400)
    ctx = {"kind_label": NotificationKind(kind).label, "token": token, "done": False}
    if request.method == "POST":
        delivery.unsubscribe(user_id=user.pk, kind=kind)
        ctx["done"] = True
    return render(request, "postmortems/unsubscribe.html", ctx)

from postmortems.roles import is_author, is_facilitator


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"can_write": False, "is_facilitator": False}
    return {"can_write": is_author(user), "is_facilitator": is_facilitator(user)}

"""Navigation for the base layout, assembled from the entries each app registers."""

from core.hooks import collect


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = sorted(collect("nav_items", user), key=lambda item: item.order)
    path = request.path
    matches = [item.url for item in items if path.startswith(item.url) and item.url != "/"]
    active = max(matches, key=len) if matches else None  # the most specific section wins
    return {
        "nav_items": [
            {"key": item.key, "label": item.label, "url": item.url, "active": item.url == active}
            for item in items
        ]
    }

"""The public check page a signboard's or plan's QR code opens (no login)."""

from django.shortcuts import render

from publication.selectors.signboard import public_signboard_get


def signboard(request, key: str, revision: int):
    board = public_signboard_get(key=key, revision=revision)
    response = render(request, "publication/public/signboard.html", {"board": board})
    response["Cache-Control"] = "no-cache"
    return response

"""The bureaus' entry to what follows the decision: the parts each may use."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from publication.hooks import hub_sections


@login_required
def index(request):
    sections = hub_sections(request.user)
    if not sections:
        raise PermissionDenied
    return render(request, "publication/index.html", {"sections": sections})

"""What the declarations API tests share: clients, a submitted declaration, error texts."""

from django.db import transaction
from rest_framework.test import APIClient

from declarations.models import Declaration
from tests.declaration_builders import complete, draft

BASE = "/api/v1/declarations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def submitted(user, capture) -> Declaration:
    """A complete declaration of ``user``'s enterprise, submitted through the API."""
    declaration = complete(draft(user), user)
    with capture(execute=True):
        response = client_for(user).post(f"{BASE}{declaration.pk}/submit/", format="json")
    assert response.status_code == 201, response.json()
    return Declaration.objects.get(pk=declaration.pk)


def decide(declaration: Declaration) -> None:
    """Stands in for the review chain's decision, which the review app owns."""
    with transaction.atomic():
        d = Declaration.objects.select_for_update().get(pk=declaration.pk)
        d.decide()
        d.save()


def messages(body) -> str:
    """All error texts of a 400/403 body, joined, for `in` assertions."""
    if isinstance(body, dict):
        return " ".join(messages(v) for v in body.values())
    if isinstance(body, list):
        return " ".join(messages(v) for v in body)
    return str(body)


def evidence_files(declaration_pk: int, settings) -> list:
    folder = settings.MEDIA_ROOT / "evidence" / str(declaration_pk)
    return sorted(folder.iterdir()) if folder.exists() else []

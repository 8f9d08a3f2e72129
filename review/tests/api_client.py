"""Talking to the review API in tests: the endpoints, an authenticated client, the error
texts of a refusal, and the bodies of the chain's requests."""

from rest_framework.test import APIClient

CASES = "/api/v1/review/cases/"
EXPERTS = "/api/v1/review/experts/"
SAMPLES = "/api/v1/review/samples/"
PROPOSALS = "/api/v1/review/proposals/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def messages(body) -> str:
    """All error texts of a 400/403 body, joined, for `in` assertions."""
    if isinstance(body, dict):
        return " ".join(messages(v) for v in body.values())
    if isinstance(body, list):
        return " ".join(messages(v) for v in body)
    return str(body)


def open_case(county_user, declaration) -> dict:
    response = client_for(county_user).post(
        f"{CASES}open/", {"declaration": declaration.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def verdicts_for(user, declaration, verdict: str = "meets") -> dict:
    """A verdict for every applicable row, the row ids read from the declarations API."""
    rows = client_for(user).get(f"/api/v1/declarations/{declaration.pk}/indicator-rows/")
    assert rows.status_code == 200
    return {
        str(r["id"]): {"verdict": verdict, "text": f"第{r['seq']}项：与申报一致"}
        for r in rows.json()
        if r["applicable"]
    }


def sign_body(decision: str, *, signers, grade: str | None = None, verdicts=None) -> dict:
    body = {
        "decision": decision,
        "summary": "经审核，申报材料齐全，与现场情况一致。",
        "conclusion": "同意按申报等级上报。",
        "signers": [u.username for u in signers],
    }
    if grade:
        body["grade"] = grade
    if verdicts is not None:
        body["verdicts"] = verdicts
    return body

"""Issue 11 item 9: a bounded schemathesis run against the site's own OpenAPI schema, served on
loopback by a live server, finds no server error and no answer that breaks the schema.

Bounded: a few examples per operation and a fixed seed, so the run takes minutes and a
failure can be reproduced with the same command (printed on failure)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.tokens import token_issue
from grading.models import User
from review.tests import builders as review_builders
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("SCHEMA_FUZZ_SEED", "20261130"))
ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")


def _world() -> dict[str, User]:
    """A county with an enterprise, a submitted declaration and its review case, so reads by
    id find something to answer with."""
    ent = factories.enterprise(county="410184", industry="N31")
    ent_user = factories.enterprise_user(ent)
    county = factories.staff_user(User.Role.COUNTY, "410184")
    declaration = review_builders.submitted(ent_user)
    review_builders.open_case(county, declaration)
    return {"county": county, "province": factories.staff_user(User.Role.PROVINCE, "410000")}


@pytest.mark.skipif(ST is None, reason="schemathesis is a dev dependency")
@pytest.mark.parametrize("role", ["county", "province"])
def test_schema_fuzzing_finds_no_server_error_and_no_schema_violation(
    role, live_server, reference_data, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The fuzzer's own requests are not to be throttled into 429s (not what is under test).
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            k: "100000/min" for k in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        },
    }
    users = _world()
    key, _token = token_issue(user=users[role])
    command = [
        ST,
        "run",
        f"{live_server.url}/api/schema/",
        "--url",
        live_server.url,
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--phases",
        os.environ.get("SCHEMA_FUZZ_PHASES", "examples,fuzzing"),
        "--workers",
        "1",
        "--no-shrink",
        "--no-color",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--header",
        f"Authorization: Token {key}",
        # Logging out would end the run's own token.
        "--exclude-path",
        "/api/v1/auth/logout/",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=tmp_path, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]

"""Schemathesis against the API's own OpenAPI schema, in-process (ASGI), with every check.

Every operation gets a bounded number of generated requests (valid and invalid), and
every built-in Schemathesis check runs on each response: no 5xx; status codes, content
types, headers and JSON bodies as the schema documents them; schema-valid data accepted
and schema-invalid data rejected; ``Allow`` on 405s; missing headers and unsupported
methods answered properly. Replays are limited to one worker and a few seconds each, so
the run stays in bounded time (about a minute on two cores).
"""

from __future__ import annotations

import os

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install schemathesis)")
pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'detente[web]')")

from hypothesis import HealthCheck, Phase, settings  # noqa: E402 (after the skips above)
from schemathesis.checks import CHECKS, load_all_checks  # noqa: E402

from detente.web import WebSettings, create_app  # noqa: E402

#: examples per operation (DETENTE_SCHEMATHESIS_EXAMPLES raises it for a longer run)
MAX_EXAMPLES = int(os.environ.get("DETENTE_SCHEMATHESIS_EXAMPLES", "40"))

load_all_checks()
#: every built-in check; the authorization checks have nothing to test on a server without auth
ALL_CHECKS = [c for c in CHECKS.get_all() if c.__name__ not in ("ignored_auth", "object_level_authorization")]

#: operations whose requests carry content no JSON schema can judge: scenario YAML text, and
#: country / sector labels of the world named in the same request. Schema-valid requests
#: may be refused there with 422 (naming the field and value); every other operation must
#: accept every schema-valid request (2xx, or 404 / 409 / 429 for a missing thing).
SEMANTIC_422 = {
    "/api/scenarios/validate": "scenario YAML (schema, labels, dates, limits)",
    "/api/replays": "scenario YAML or a shipped scenario's variant names",
    "/api/whatif": "country and sector labels of the chosen world",
    "/api/strategy/leverage": "the players' labels in the chosen world",
    "/api/jobs/{job_id}/result": "pair and country labels of the replay's world",
    "/api/runs/{run_id}/result": "pair and country labels of the run's world",
}
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]
#: Schemathesis's own list of statuses that reject a request, plus 413: a body over the
#: server's byte limit (256 000 bytes) is refused before its fields are read, so long
#: non-ASCII text that also breaks a field's maxLength (counted in characters) gets a 413
_REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
config = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "checks": {"negative_data_rejection": {"expected-statuses": _REJECTED}},
        "operations": [
            {"include-path": path, "checks": {"positive_data_acceptance": {"expected-statuses": _ACCEPTED + ["422"]}}}
            for path in SEMANTIC_422
        ],
    }
)

app = create_app(WebSettings(workers=1, max_jobs=2, job_seconds=5, warm=False, use_store=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def test_every_check_is_run():
    names = {c.__name__ for c in ALL_CHECKS}
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
    } <= names


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=ALL_CHECKS)

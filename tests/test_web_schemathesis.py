"""Schemathesis against the API's own OpenAPI schema, in-process (ASGI): no server errors.

Every operation gets a bounded number of generated requests (valid and invalid); the
checks are that no response is a 5xx, that every status code and content type is one
the schema documents, and that JSON bodies match their documented schema. Replays are
limited to one worker and a few seconds each, so the run stays well under a minute.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (pip install schemathesis)")
pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'detente[web]')")

from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from detente.web import WebSettings, create_app

MAX_EXAMPLES = 15

app = create_app(WebSettings(workers=1, max_jobs=2, job_seconds=5, warm=False, use_store=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])

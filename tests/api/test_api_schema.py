"""schemathesis against /api/v1/openapi.json: no server errors, every response matches the document."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402


def test_openapi_document_is_served_without_a_token(harness):
    doc = harness.server.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/warnings/{id}/ack" in doc["paths"]


def test_schemathesis_finds_no_server_errors_and_no_schema_violations(harness):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", harness.server)
    headers = {"Authorization": f"Bearer {harness.tokens['u_admin']}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def run(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 — collect every operation's failure, then report
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n".join(failures)

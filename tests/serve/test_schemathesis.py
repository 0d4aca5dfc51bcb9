"""Schemathesis reads the OpenAPI document and sends what it allows (and what it does not):
no request may crash the server, and every answer must match the document."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

import manabu
from manabu.serve.app import ServeSettings, create_app
from tests.serve.conftest import AUTH, TOKEN


@pytest.fixture(scope="module")
def operations(binary_model):
    app = create_app(manabu.load(binary_model), ServeSettings(token=TOKEN, max_body_bytes=64_000))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH)
    return {f"{op.method.upper()} {op.path}": op for op in (result.ok() for result in schema.get_all_operations())}


def test_the_document_lists_the_routes(operations):
    assert set(operations) == {"GET /health", "GET /metadata", "POST /predict"}


@pytest.mark.parametrize("route, mode", [("GET /health", "positive"), ("GET /metadata", "positive"),
                                         ("POST /predict", "positive"), ("POST /predict", "negative")])
def test_no_request_crashes_the_server_or_breaks_the_document(operations, route, mode):
    """Positive: requests the document allows; negative: requests it forbids (wrong types,
    missing columns), which must be refused with a 4xx."""
    @given(case=operations[route].as_strategy(GenerationMode(mode)))
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        # any text is a schema-valid CSV body, but only a table with the model's columns is
        # usable: for CSV the check that valid-looking data is accepted does not apply
        excluded = [positive_data_acceptance] if case.media_type == "text/csv" else []
        case.call_and_validate(headers=AUTH, excluded_checks=excluded)

    check()

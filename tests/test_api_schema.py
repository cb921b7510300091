"""schemathesis against the app's OpenAPI schema: no 5xx, every response as documented, and every
request that violates the schema refused (few examples per operation, so it stays quick)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from microscout.api import create_app
from serverworld import build_world, headers

POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error, negative_data_rejection, response_schema_conformance]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("schema"))
    app = create_app(world.settings, store=world.store)
    app.state.test_token = world.keys[("acme", "admin")]
    yield app
    world.store.close()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_openapi_schema(app, mode):
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    auth = headers(app.state.test_token)
    checks = POSITIVE_CHECKS if mode is GenerationMode.POSITIVE else NEGATIVE_CHECKS
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    tested = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth, checks=checks)

        try:
            run()
            tested += 1
        except Unsatisfiable:  # nothing to get wrong: an operation without parameters or body
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert tested >= 15

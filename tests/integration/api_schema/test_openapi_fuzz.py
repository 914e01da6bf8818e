"""Every operation of the OpenAPI schema, fuzzed by schemathesis over real HTTP.

Whatever the generated input, the manager must answer with a client error or a success,
never a 5xx. Long-polling /wait is left out: it blocks by design for the requested time.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from integration.cli_client.live_api import LiveApi

FUZZ_SETTINGS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_no_generated_request_produces_a_server_error(live_api: LiveApi) -> None:
    schema = schemathesis.openapi.from_url(f"{live_api.url}/openapi.json").exclude(
        path_regex=r"/wait$"
    )
    headers = live_api.caller("admin").headers
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 10

    for operation in operations:

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=live_api.url, headers=headers, checks=[not_a_server_error]
            )

        fuzz()

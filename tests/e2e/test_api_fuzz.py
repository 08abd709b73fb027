"""Schemathesis against a live studio: generated requests for every operation of the OpenAPI schema
(valid and invalid bodies, parameters, headers; linked calls) must get no 5xx, and every answer must
match the schema (status code, content type, body)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import servers

pytestmark = pytest.mark.slow

CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
# Bounded so the run fits in a few minutes on two cores; the seed makes a failure reproducible.
MAX_EXAMPLES = 5
MAX_SECONDS = 240
SEED = 15


@pytest.fixture(scope="module")
def fuzzed_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Studio]:
    root = tmp_path_factory.mktemp("fuzz")
    env = servers.embedded_env(root / "data")
    # The fuzzer is one user sending thousands of requests: the rate limits would answer most of them
    # 429 (correctly, and documented) and leave the endpoints behind them untested. Waiting requests
    # answer 202 after 5 s instead of holding a fuzzer's connection for minutes.
    env.update(
        STUDIO_RATE_API="100000/min",
        STUDIO_RATE_SPEECH="100000/min",
        STUDIO_RATE_UPLOAD="100000/min",
        STUDIO_WAIT_TIMEOUT="5",
    )
    studio = servers.studio_embedded_start(env, root / "logs")
    yield studio
    studio.kill()


def test_generated_requests_get_no_server_error_and_match_the_schema(fuzzed_studio, tmp_path: Path) -> None:
    key = servers.api_key_create(fuzzed_studio.env, "fuzzer")
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{fuzzed_studio.base_url}/v1/schema",
        *("--header", f"Authorization: Bearer {key}"),
        *("--checks", CHECKS),
        *("--max-examples", str(MAX_EXAMPLES), "--max-time", str(MAX_SECONDS), "--seed", str(SEED)),
        *("--workers", "1", "--request-timeout", "30"),
        *("--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml")),
    ]

    # Its working folder is the test's: schemathesis keeps a cache folder (.schemathesis/) there.
    run = subprocess.run(command, capture_output=True, text=True, timeout=MAX_SECONDS + 180, cwd=tmp_path)

    summary = re.search(r"(\d+) generated", run.stdout)
    print(f"schemathesis: {summary[0] if summary else '?'}; exit {run.returncode}")
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
    assert "Server error" not in run.stdout

"""Fixtures that run the real studio in subprocesses (see bench/servers.py). Every process a fixture
starts is killed at teardown, whatever the test did to it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench import servers

POSTGRES_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# A Redis database of its own, emptied at the start: Celery's queues and channels_redis's groups.
# Two test runs on one machine (two checkouts) each need their own: set STUDIO_TEST_REDIS_URL.
E2E_REDIS_URL = os.environ.get("STUDIO_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")

StartStudio = Callable[[dict[str, str]], servers.Studio]


@pytest.fixture
def start_embedded_studio(tmp_path: Path) -> Iterator[StartStudio]:
    """Starts ``manage.py studio`` with the given environment; kills what it started at teardown."""
    started: list[servers.Studio] = []

    def start(env: dict[str, str]) -> servers.Studio:
        studio = servers.studio_embedded_start(env, tmp_path / "logs")
        started.append(studio)
        return studio

    yield start
    for studio in started:
        studio.kill()


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    return servers.embedded_env(tmp_path / "data")


@pytest.fixture(scope="module")
def first_run_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Studio]:
    """One embedded studio for the tests that leave it running: a first start, no admin password set."""
    root = tmp_path_factory.mktemp("first-run")
    studio = servers.studio_embedded_start(
        servers.embedded_env(root / "data", admin_password=None), root / "logs"
    )
    yield studio
    studio.kill()


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    url = servers.postgres_database_create(POSTGRES_SERVER_URL, "studio_e2e")
    yield url
    servers.postgres_database_drop(url)


@pytest.fixture(scope="session")
def redis_url() -> str:
    servers.redis_database_flush(E2E_REDIS_URL)
    return E2E_REDIS_URL


@pytest.fixture(scope="module")
def distributed_studio(
    tmp_path_factory: pytest.TempPathFactory, postgres_database_url: str, redis_url: str
) -> Iterator[servers.Studio]:
    """PostgreSQL, Redis, a Celery worker process and a daphne process."""
    root = tmp_path_factory.mktemp("distributed")
    env = servers.distributed_env(root / "data", database_url=postgres_database_url, redis_url=redis_url)
    studio = servers.studio_distributed_start(env, root / "logs")
    yield studio
    studio.kill()

from __future__ import annotations

import pytest


@pytest.fixture
def alice_client(client, user):
    """The test client signed in as ``user`` (alice), as the pages are used."""
    client.force_login(user)
    return client

import secrets


def prefixed_id(prefix: str) -> str:
    """A public id such as ``voice_3kq8w1zr9m2x4b7d``: readable in logs, not guessable."""
    return f"{prefix}_{secrets.token_hex(8)}"

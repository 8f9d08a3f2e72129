"""What the audit trail knows about the request being served (its address), without passing
the request through every service: the guard middleware sets it, ``event_record`` reads it."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_address: ContextVar[str] = ContextVar("request_address", default="")


@contextmanager
def request_context(*, address: str) -> Iterator[None]:
    token = _address.set(address)
    try:
        yield
    finally:
        _address.reset(token)


def current_address() -> str:
    """The client address of the request being served ("" outside a request: tasks, commands)."""
    return _address.get()

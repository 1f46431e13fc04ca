"""Helpers for tests that start a real server process (gunicorn, nginx) on localhost."""

import socket
import time

import pytest


def wait_for_port(process, port: int, *, seconds: float, failure) -> None:
    """Return once `port` on 127.0.0.1 accepts connections; if `process` exits or `seconds` pass first,
    kill it and fail the test with `failure()` (a callable, so a log is read only when needed)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(failure())
            time.sleep(0.05)

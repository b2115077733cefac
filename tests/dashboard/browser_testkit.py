"""Paths and helpers of the browser tests."""

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration import settings

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
#: Where the browser tests write their screenshots (the README shows them).
SCREENSHOTS = settings.REPO_ROOT / "docs" / "screenshots"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float) -> bool:
    """Poll ``url`` until it answers 200 (a server starting up); False after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


@contextmanager
def served(command: Callable[[int], list[str]], env: dict, health: str, seconds: float, what: str,
           cwd: Path | None = None) -> Iterator[str]:
    """Start ``command(port)`` on a free port, wait until ``health`` answers, yield the base URL,
    and stop the server afterwards."""
    port = free_port()
    process = subprocess.Popen(command(port), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(f"{url}{health}", seconds):
            raise RuntimeError(f"{what} did not start within {seconds:.0f} s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)

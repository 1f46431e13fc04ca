"""A real SMTP server on localhost (aiosmtpd) for tests and benchmarks: what Hindsight sends arrives here."""

import socket
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Keeps every message the server accepted; with `refuse` set, answers every message with a 451."""

    def __init__(self):
        self.messages = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return "451 Mailbox busy, try again later"
        message = message_from_bytes(envelope.content, policy=default)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self):
        return self.inbox.messages

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class CountingSink:
    """Counts the messages accepted, without keeping them (for benchmarks)."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 Message accepted for delivery"


def serve_in_this_process(port: int, count_file: str) -> None:
    """Run a counting SMTP server on `port` until SIGTERM, then write how many messages arrived to `count_file`
    (`python -m tests.mailserver PORT FILE`: the benchmark's server, in its own process as a real one would be)."""
    import signal
    import threading

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    with open(count_file, "w") as f:
        f.write(str(sink.count))


if __name__ == "__main__":
    import sys

    serve_in_this_process(int(sys.argv[1]), sys.argv[2])

"""A tiny SMTP server for tests (a thread on 127.0.0.1, a free port): it speaks just enough SMTP for
``smtplib`` and keeps each message, so a test reads back what the recipient would read.

    with smtp_connection(monkeypatch, "smtp_test") as server:   # AIRFLOW_CONN_SMTP_TEST + ARREARS_SMTP_CONN_ID
        ...
        server.mails()   # [{subject, body, to, from, files}]
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _SMTPHandler(socketserver.StreamRequestHandler):
    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        self._reply("220 localhost ESMTP test")
        envelope: dict = {"from": None, "to": []}
        data: list[bytes] | None = None
        while line := self.rfile.readline():
            if data is not None:
                if line in (b".\r\n", b".\n"):
                    self.server.messages.append({**envelope, "data": b"".join(data)})
                    envelope, data = {"from": None, "to": []}, None
                    self._reply("250 OK queued")
                else:
                    data.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                self._reply("250-localhost")
                self._reply("250 8BITMIME")
            elif verb == b"HELO":
                self._reply("250 localhost")
            elif verb == b"MAIL":
                envelope["from"] = line.decode().split(":", 1)[1].strip()
                self._reply("250 OK")
            elif verb == b"RCPT":
                envelope["to"].append(line.decode().split(":", 1)[1].strip())
                self._reply("250 OK")
            elif verb == b"DATA":
                data = []
                self._reply("354 End data with <CR><LF>.<CR><LF>")
            elif verb in (b"RSET", b"NOOP"):
                self._reply("250 OK")
            elif verb == b"QUIT":
                self._reply("221 Bye")
                return
            else:
                self._reply("502 Command not implemented")


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.messages: list[dict] = []

    def mails(self, *, squash_spaces: bool = False) -> list[dict]:
        """Each message as {subject, body (its HTML or text part), to, from, files (attachments by name)}."""
        out = []
        for message in self.messages:
            parsed = email.message_from_bytes(message["data"], policy=email.policy.default)
            body = parsed.get_body(preferencelist=("html", "plain")).get_content()
            out.append({"subject": str(parsed["Subject"]), "body": re.sub(r"\s+", " ", body) if squash_spaces else body,
                        "to": message["to"], "from": message["from"],
                        "files": {part.get_filename(): part.get_content() for part in parsed.iter_attachments()}})
        return out


@contextmanager
def smtp_connection(monkeypatch, conn_id: str) -> Iterator[SMTPServer]:
    """A running server, named by the Airflow connection ``conn_id`` (no TLS) that the project sends through."""
    server = SMTPServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({
        "conn_type": "smtp", "host": host, "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "plan-impayes@bailleur.test",
                  "timeout": 5, "retry_limit": 0},
    }))
    monkeypatch.setenv("ARREARS_SMTP_CONN_ID", conn_id)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

"""Signed webhooks end to end: sign a delivery, POST it to a receiver on 127.0.0.1, verify.

Run it with ``python examples/webhooks/signed_delivery.py``. The receiver answers 204 for an
accepted delivery, 409 for a replay and 401 for any other refusal, naming the refusal's kind;
the script then shows a replay, a tampered body, a stranger's secret and a rotation.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request

from jobforge.connectors.webhooks import (
    InMemorySeenMessageIds,
    WebhookReplayed,
    WebhookSecret,
    WebhookSigner,
    WebhookVerificationError,
    WebhookVerifier,
    new_message_id,
)

# The receiver's secret. In practice each side reads it from its configuration, where it was
# stored once as the text of WebhookSecret.generate().reveal().
SHARED_SECRET = WebhookSecret.generate()
VERIFIER = WebhookVerifier(SHARED_SECRET, seen_ids=InMemorySeenMessageIds())


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            # Verify the raw bytes first; parse the JSON only once they are trusted.
            # The headers as received, repeats included: a repeated webhook header is refused.
            VERIFIER.verify(body, self.headers)
        except WebhookReplayed as refusal:
            self._answer(409, refusal.error_kind)
        except WebhookVerificationError as refusal:
            self._answer(401, refusal.error_kind)
        else:
            json.loads(body)
            self._answer(204, "")

    def _answer(self, status: int, reason: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(reason)))
        self.end_headers()
        self.wfile.write(reason.encode("ascii"))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the script prints its own lines."""


def post(url: str, body: bytes, headers: dict[str, str]) -> str:
    # The URL is the local receiver's, built in main(): no user-chosen scheme reaches urllib.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    # No proxy: the receiver is on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return str(response.status)
    except urllib.error.HTTPError as error:
        return f"{error.code} {error.read().decode('ascii')}"


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/jobforge"
    try:
        signer = WebhookSigner(SHARED_SECRET)
        body = json.dumps({"job_id": "6f1c2b9e", "state": "succeeded"}).encode()
        headers = signer.sign(body, message_id=new_message_id())
        print("delivery accepted:", post(url, body, headers))
        print("same delivery again refused:", post(url, body, headers))

        tampered = body.replace(b"succeeded", b"dead")
        print("tampered body refused:", post(url, tampered, headers))

        stranger = WebhookSigner(WebhookSecret.generate())
        forged = stranger.sign(body, message_id=new_message_id())
        print("delivery signed with a stranger's secret refused:", post(url, body, forged))

        # Rotation, first step: the sender signs with a new secret and the old one; this
        # receiver still knows only the old one and keeps accepting.
        rotating = WebhookSigner(WebhookSecret.generate(), previous=SHARED_SECRET)
        both = rotating.sign(body, message_id=new_message_id())
        print("delivery during rotation accepted:", post(url, body, both))
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()

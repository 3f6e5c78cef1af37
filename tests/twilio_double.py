"""A loopback stand-in for Twilio's REST API, for the test suite and the demo.

It answers the calls the real ``twilio`` SDK makes to create and fetch messages, records every
message, can be told to fail the next calls (429, 5xx, Twilio error codes) and posts status
callbacks signed exactly as Twilio signs them (``X-Twilio-Signature``).

Used in-process by the tests (:class:`TwilioDouble`) and as a process by ``make run``::

    python3 tests/twilio_double.py --port 8421 [--latency 0.2]

which serves the recorded messages at ``/outbox`` so a demo user can read the SMS "sent".
This module must not import Odoo: the demo runs it as a plain script.
"""

import argparse
import base64
import contextlib
import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


class TwilioDouble:
    """An HTTP server on 127.0.0.1 that speaks the Messages part of Twilio's REST API.

    :param accounts: ``{account_sid: auth_token}``; requests with other credentials get Twilio's
        401 (error 20003). ``None`` accepts any credentials (demo mode).
    :param latency: seconds each message creation waits before its answer, as a round trip to
        the real Twilio would (about 0.2 s); requests are served concurrently.
    """

    def __init__(self, accounts=None, port=0, latency=0.0):
        self.accounts = accounts
        self.latency = latency
        self.concurrent = 0  # message creations being served right now
        self.max_concurrent = 0  # the most served at once
        self.messages = []  # every accepted message, as the dict returned to the SDK
        self.requests = []  # every request received: (method, path, form params)
        self._failures = []  # scripted (status, code, message) answers for the next calls
        self._number_errors = {}  # {E.164 number: (status, code, message)}
        self._hidden_acceptances = []  # scripted errors answered after the message was taken
        self.numbers = None  # {account sid: {E.164 numbers}}; None: every number is the account's
        self.services = {}  # {account sid: {Messaging Service SIDs}}
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._make_handler())
        self.server.daemon_threads = True
        self._thread = None

    # === LIFECYCLE === #

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # === SCRIPTING === #

    def fail_next(self, status, code=None, message="Scripted failure", times=1):
        """Answer the next ``times`` message creations with an error instead of accepting them."""
        with self._lock:
            self._failures.extend([(status, code, message)] * times)

    def accept_then_fail_next(self, status, message="Scripted failure after acceptance", times=1):
        """Take the next ``times`` messages (they are sent) but answer with an error, as Twilio
        does when a 5xx hides an accepted message."""
        with self._lock:
            self._hidden_acceptances.extend([(status, None, message)] * times)

    def set_number_error(self, number, status, code, message):
        """Always refuse messages to ``number`` with Twilio's error ``code``."""
        self._number_errors[number] = (status, code, message)

    def reset(self):
        with self._lock:
            self.messages.clear()
            self.requests.clear()
            self._failures.clear()
            self._hidden_acceptances.clear()
            self._number_errors.clear()
            self.max_concurrent = 0

    # === CALLBACKS === #

    def sign(self, url, params, auth_token):
        """Return the ``X-Twilio-Signature`` Twilio would send for a POST of ``params`` to ``url``."""
        return RequestValidator(auth_token).compute_signature(url, params)

    def post_status_callback(self, message_sid, status, error_code=None, auth_token=None):
        """POST a signed status callback for a recorded message to its ``StatusCallback`` URL.

        :param auth_token: the token to sign with; by default the message account's own, pass
            another one to forge the signature.
        :return: the HTTP status code of the receiver's answer.
        """
        message = self.get_message(message_sid)
        params = {
            "MessageSid": message["sid"],
            "SmsSid": message["sid"],
            "AccountSid": message["account_sid"],
            "From": message["from"] or "",
            "To": message["to"],
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = str(error_code)
        token = auth_token or (self.accounts or {}).get(message["account_sid"], "")
        return self.post_signed(message["_status_callback"], params, token)

    def post_signed(self, url, params, auth_token):
        """POST form ``params`` to ``url`` signed with ``auth_token``; return the HTTP status."""
        request = urllib.request.Request(  # noqa: S310 (the receiver is the test's own server)
            url,
            data=urllib.parse.urlencode(params).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": self.sign(url, params, auth_token),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def get_message(self, sid):
        return next(m for m in self.messages if m["sid"] == sid)

    # === HTTP === #

    def _make_handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send_json(self, status, payload):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status, code, message):
                self._send_json(
                    status,
                    {
                        "code": code,
                        "message": message,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status,
                    },
                )

            def _account(self):
                """Return the account SID of the request's credentials, or None when refused."""
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                sid, _, token = base64.b64decode(header[6:]).decode().partition(":")
                if double.accounts is None or double.accounts.get(sid) == token:
                    return sid
                return None

            def do_GET(self):
                path = urllib.parse.urlparse(self.path).path
                if path in ("/outbox", "/count"):
                    return self._outbox(count_only=path == "/count")
                # /2010-04-01/Accounts/{AccountSid}/Messages/{MessageSid}.json
                parts = path.strip("/").split("/")
                account = self._account()
                if account is None:
                    return self._error(401, 20003, "Authenticate")
                if path == MESSAGES_PATH.format(sid=account):
                    return self._list(account)
                if self._account_resource(account, path, parts):
                    return None
                if len(parts) == 5 and parts[3] == "Messages":
                    sid = parts[4].removesuffix(".json")
                    message = next((m for m in double.messages if m["sid"] == sid), None)
                    if message and message["account_sid"] == account:
                        return self._send_json(200, _public(message))
                return self._error(404, 20404, "The requested resource was not found")

            def _account_resource(self, account, path, parts):
                """Answer the setup check's reads (the account, its numbers, a Messaging Service);
                return whether the request was one of them."""
                if path == f"/2010-04-01/Accounts/{account}.json":
                    self._send_json(200, {"sid": account, "friendly_name": "Test account",
                                          "status": "active", "type": "Full"})  # fmt: skip
                    return True
                if path == f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json":
                    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
                    number = query.get("PhoneNumber", "")
                    owned = double.numbers is None or number in double.numbers.get(account, set())
                    found = [{"sid": "PN" + "0" * 32, "phone_number": number}] if owned else []
                    page = {"page": 0, "page_size": 1, "uri": path, "first_page_uri": path,
                            "next_page_uri": None, "previous_page_uri": None}  # fmt: skip
                    self._send_json(200, {"incoming_phone_numbers": found, **page})
                    return True
                if len(parts) == 3 and parts[:2] == ["v1", "Services"]:
                    if parts[2] in double.services.get(account, set()):
                        self._send_json(200, {"sid": parts[2], "account_sid": account,
                                              "friendly_name": "Payment links"})  # fmt: skip
                        return True
                return False

            def _list(self, account):
                """Messages.json: the account's messages, filtered by ``To`` and ``DateSent>``
                (a day, as Twilio filters), newest first, on one page."""
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
                since = query.get("DateSent>")
                found = [
                    _public(m)
                    for m in reversed(double.messages)
                    if m["account_sid"] == account
                    and (not query.get("To") or m["to"] == query["To"])
                    and (not since or m["_date"] >= since[:10])
                ]
                path = urllib.parse.urlparse(self.path).path
                return self._send_json(
                    200,
                    {"messages": found, "page": 0, "page_size": len(found) or 50, "start": 0,
                     "end": max(len(found) - 1, 0), "uri": path, "first_page_uri": path,
                     "next_page_uri": None, "previous_page_uri": None},
                )  # fmt: skip

            def do_POST(self):
                with double._lock:
                    double.concurrent += 1
                    double.max_concurrent = max(double.max_concurrent, double.concurrent)
                try:
                    if double.latency:
                        time.sleep(double.latency)
                    self._post()
                finally:
                    with double._lock:
                        double.concurrent -= 1

            def _post(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                path = urllib.parse.urlparse(self.path).path
                double.requests.append(("POST", path, form))
                account = self._account()
                if account is None:
                    return self._error(401, 20003, "Authenticate")
                if path != MESSAGES_PATH.format(sid=account):
                    return self._error(404, 20404, "The requested resource was not found")
                with double._lock:
                    failure = double._failures.pop(0) if double._failures else None
                if failure:
                    return self._error(*failure)
                if not form.get("To") or not (form.get("From") or form.get("MessagingServiceSid")):
                    return self._error(400, 21604, "A 'To' and a 'From' phone number are required.")
                if form["To"] in double._number_errors:
                    return self._error(*double._number_errors[form["To"]])
                sid = "SM" + secrets.token_hex(16)
                message = {
                    "sid": sid,
                    "account_sid": account,
                    "api_version": "2010-04-01",
                    "body": form.get("Body", ""),
                    "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
                    "direction": "outbound-api",
                    "error_code": None,
                    "error_message": None,
                    "from": form.get("From"),
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "num_segments": "1",
                    "price": None,
                    "status": "queued",
                    "to": form["To"],
                    "uri": f"{path.removesuffix('.json')}/{sid}.json",
                    "_status_callback": form.get("StatusCallback"),
                    "_date": time.strftime("%Y-%m-%d", time.gmtime()),
                }
                double.messages.append(message)
                with double._lock:
                    hidden = double._hidden_acceptances.pop(0) if double._hidden_acceptances else None
                if hidden:
                    return self._error(*hidden)
                self._send_json(201, _public(message))

            def _outbox(self, count_only=False):
                if count_only:  # how many messages were accepted, for a bench's polling
                    return self._send_json(200, {"count": len(double.messages)})
                rows = "".join(
                    f"<tr><td>{html.escape(m['date_created'])}</td><td>{html.escape(m['to'])}</td>"
                    f"<td>{html.escape(m['body'])}</td></tr>"
                    for m in reversed(double.messages)
                )
                body = (
                    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>SMS outbox</title>"
                    "</head><body><h1>SMS outbox</h1><table border='1' cellpadding='4'>"
                    f"<tr><th>Date</th><th>To</th><th>Message</th></tr>{rows}</table></body></html>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def _public(message):
    return {k: v for k, v in message.items() if not k.startswith("_")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args()
    double = TwilioDouble(port=args.port, latency=args.latency)
    # A standalone script's banner, not a log line.
    print(f"Twilio double listening on {double.url} (outbox: {double.url}/outbox)", flush=True)  # pylint: disable=print-used
    with contextlib.suppress(KeyboardInterrupt):
        double.server.serve_forever()


if __name__ == "__main__":
    main()

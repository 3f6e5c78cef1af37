"""A phone on a slow network, in headless Chromium over the DevTools protocol: how long a page
takes to become usable on a first visit.

Chromium emulates a phone's screen (375 x 667, touch) and throttles the network as Lighthouse's
"slow 4G" does (150 ms round trip, 1.6 Mbps down, 750 kbps up); the cache is off, as on the first
visit from a text message. The clock runs from the navigation until the page is **interactive**:
loaded, Odoo's lazy scripts loaded and run (Odoo's lazy loader has taken its
``o_lazy_js_waiting`` class off the body, its public widgets, the payment form among them, are
started: its tooltips set up) and no request in flight. Each request's bytes on the wire are
counted.

Only ``websocket-client`` (a test requirement) and Chromium are needed.
"""

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket

CHROME_NAMES = ("chromium", "google-chrome", "chromium-browser", "google-chrome-stable")
PHONE = {"width": 375, "height": 667, "deviceScaleFactor": 2, "mobile": True}
SLOW_4G = {"latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8, "offline": False}
# Odoo's payment form ends its start() by setting up its icons' tooltips, which Bootstrap gives an
# aria-label: a form whose icons have one has started (its script ran to the end).
READY = """
document.readyState === "complete"
    && !document.body.classList.contains("o_lazy_js_waiting")
    && !document.querySelector("script[data-src]")
    && !document.querySelector('#o_payment_form [data-bs-toggle="tooltip"]:not([aria-label])')
"""


class Phone:
    """One headless Chromium with one tab, driven over the DevTools protocol."""

    def __init__(self):
        binary = next(filter(None, map(shutil.which, CHROME_NAMES)), None)
        if not binary:
            raise RuntimeError("no Chromium on PATH (apt-get install chromium)")
        self.profile = tempfile.mkdtemp(prefix="apl_phone_")
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        port = self._devtools_port()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            target = next(t for t in json.load(response) if t["type"] == "page")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.events = []
        for method, params in (
            ("Network.enable", {}),
            ("Page.enable", {}),
            ("Network.setCacheDisabled", {"cacheDisabled": True}),
            ("Network.emulateNetworkConditions", SLOW_4G),
            ("Emulation.setDeviceMetricsOverride", PHONE),
            ("Emulation.setTouchEmulationEnabled", {"enabled": True}),
        ):  # fmt: skip
            self.call(method, params)

    def _devtools_port(self):
        for line in self.process.stderr:
            if "DevTools listening on ws://" in line:
                return int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        raise RuntimeError("Chromium did not start")

    def call(self, method, params=None):
        self.next_id += 1
        call_id = self.next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def load(self, url, timeout=60):
        """Open ``url`` with an empty cache; return the seconds until it is interactive, the bytes
        received and the number of requests."""
        # A blank page first: the last page's late requests (a bundle it loads when idle) end there.
        self.call("Page.navigate", {"url": "about:blank"})
        time.sleep(0.5)
        self.call("Network.clearBrowserCache")
        self.events = []
        start = time.perf_counter()
        self.call("Page.navigate", {"url": url})
        while time.perf_counter() - start < timeout:
            ready = self.call("Runtime.evaluate", {"expression": READY, "returnByValue": True})
            if ready.get("result", {}).get("value") and not self._in_flight():
                elapsed = time.perf_counter() - start
                break
            time.sleep(0.02)
        else:
            pending = [self._requests()[request_id][:100] for request_id in self._in_flight()]
            raise RuntimeError(
                f"{url} was not interactive after {timeout} s: ready {ready}, in flight {pending}"
            )
        urls = self._requests()
        self.last_requests = sorted(
            (
                (e["params"]["encodedDataLength"], urls[e["params"]["requestId"]])
                for e in self.events
                if e.get("method") == "Network.loadingFinished" and e["params"]["requestId"] in urls
            ),
            reverse=True,
        )
        received = sum(size for size, _url in self.last_requests)
        return elapsed, received, len(urls)

    def _requests(self):
        """``{request id: URL}`` of this visit's requests, its frames' included (the page before
        was left for a blank page, so none of its late requests is counted)."""
        return {
            e["params"]["requestId"]: e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        }

    def _in_flight(self):
        """The requests of this visit that have not finished."""
        done = {
            e["params"]["requestId"]
            for e in self.events
            if e.get("method") in ("Network.loadingFinished", "Network.loadingFailed")
        }
        return set(self._requests()) - done

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)

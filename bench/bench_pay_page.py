"""Benchmark: the pay page's hot GET against Odoo's own portal page of the same invoice.

Creates a throw-away database with the addon (no demo data), a posted invoice and its payment link,
serves it with Odoo on a free loopback port (one process, no workers, as in development) and
measures, after a warm-up:

- median latency of ``GET /pay/<token>`` and of ``GET /my/invoices/<id>?access_token=...`` over
  ``--requests`` requests each, and SQL queries per request (from Odoo's request log line);
- median handling time of a signed Stripe webhook (``payment_intent.succeeded`` for an intent we
  do not know: signature check, once-only claim, lookup, acknowledgement).

Usage (after ``make setup``):  python3 bench/bench_pay_page.py [--requests 200]
The database is dropped at the end.
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import devenv

SETUP = """
from odoo import Command
company = env.company
company.write({{
    "paylink_stripe_publishable_key": "pk_test_bench",
    "paylink_stripe_secret_key": "sk_test_bench",
    "paylink_stripe_webhook_secret": "whsec_bench",
}})
ICP = env["ir.config_parameter"]
ICP.set_param("account_payment_link.stripe_api_base", {stripe!r})
ICP.set_param("account_payment_link.stripe_js_url", {stripe!r} + "/js.stripe.com/v3/isolated/")
partner = env["res.partner"].create({{"name": "Bench Customer", "email": "bench@example.com"}})
move = env["account.move"].create({{
    "move_type": "out_invoice",
    "partner_id": partner.id,
    "invoice_line_ids": [Command.create({{"name": "Consulting", "quantity": 3, "price_unit": 125.0}})],
}})
move.action_post()
link = move._paylink_get_or_create()
move._portal_ensure_token()
env.cr.commit()
print("BENCH", link.sudo().access_token, move.id, move.access_token)
"""

REQUEST_LINE = re.compile(r'"GET (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) - (?P<queries>\d+) ')


def median_ms(values):
    return statistics.median(values) * 1000


def timed_get(session, url, n):
    times = []
    for _i in range(n):
        start = time.perf_counter()
        response = session.get(url, timeout=30)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return times


def queries_for(log_path, prefix):
    counts = [
        int(m["queries"])
        for line in Path(log_path).read_text().splitlines()
        if (m := REQUEST_LINE.search(line)) and m["path"].startswith(prefix)
    ]
    return statistics.median(counts[-20:]) if counts else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    db = f"apl_bench_{os.getpid()}"
    port = devenv.free_port()
    log_path = Path(tempfile.gettempdir()) / f"{db}.log"
    stripe, stripe_url = devenv.start_localstripe(devenv.free_port())
    server = None
    try:
        with devenv.addons_path() as addons_path:
            base = [sys.executable, "-m", "odoo"]
            common = ["--database", db, "--addons-path", addons_path, "--without-demo", "all"]
            print(f"==> Creating {db}", flush=True)
            subprocess.run([*base, *common, "--init", devenv.ADDON_NAME, "--stop-after-init",
                            "--log-level", "warn"], check=True, cwd="/")  # fmt: skip
            out = subprocess.run(
                [*base, "shell", *common, "--no-http", "--log-level", "warn"],
                input=SETUP.format(stripe=stripe_url).encode(),
                capture_output=True,
                check=True,
                cwd="/",
            ).stdout.decode()
            token, move_id, access_token = next(
                line.split()[1:] for line in out.splitlines() if line.startswith("BENCH ")
            )
            server = subprocess.Popen(
                [*base, *common, "--http-port", str(port), "--http-interface", "127.0.0.1",
                 "--max-cron-threads", "0", "--logfile", str(log_path)],
                cwd="/",
                start_new_session=True,
            )  # fmt: skip
            root = f"http://127.0.0.1:{port}"
            if not devenv.wait_for_http(root + "/web/login", timeout=120, process=server):
                devenv.fail("Odoo did not start")
            pay_url = f"{root}/pay/{token}"
            portal_url = f"{root}/my/invoices/{move_id}?access_token={access_token}"
            session = requests.Session()
            for url in (pay_url, portal_url):  # warm-up: assets, caches, templates
                timed_get(session, url, 20)
            pay = timed_get(session, pay_url, args.requests)
            portal = timed_get(session, portal_url, args.requests)
            pay_q = queries_for(log_path, "/pay/")
            portal_q = queries_for(log_path, f"/my/invoices/{move_id}")

            webhook = []
            for i in range(args.requests):
                payload = json.dumps(
                    {
                        "id": f"evt_bench_{i}",
                        "type": "payment_intent.succeeded",
                        "data": {"object": {"id": f"pi_bench_{i}", "object": "payment_intent"}},
                    }
                ).encode()
                stamp = int(time.time())
                mac = hmac.new(b"whsec_bench", f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
                start = time.perf_counter()
                response = session.post(
                    f"{root}/paylink/stripe/webhook",
                    data=payload,
                    headers={"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"},
                    timeout=30,
                )
                webhook.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text

            print(f"\nrequests each: {args.requests} (after 20 warm-up)")
            print(f"pay page       GET /pay/<token>     median {median_ms(pay):6.1f} ms, {pay_q} queries")
            print(
                f"portal invoice GET /my/invoices/<id> median {median_ms(portal):6.1f} ms, {portal_q} queries"
            )
            print(f"latency ratio pay/portal: {median_ms(pay) / median_ms(portal):.2f}")
            print(f"webhook        POST (signed, unknown intent) median {median_ms(webhook):6.1f} ms")
    finally:
        devenv.stop(server)
        devenv.stop(stripe)
        devenv.drop_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())

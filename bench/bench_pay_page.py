"""Benchmark: the pay page against Odoo's own portal page of the same invoice, and webhook-to-paid.

Creates a throw-away database with the addon and ``payment_demo`` (no demo data), where the
company has Odoo's Demo provider and a Stripe provider (``payment_stripe``, fake keys, a webhook
signing secret), tips on, a posted invoice with its payment link, and ``--webhooks`` more posted
invoices, each with its link and a draft Stripe transaction. It serves the database with Odoo on a
free loopback port (one process, no workers, no cron, as in development) and measures, after a
warm-up:

- median latency of ``GET /pay/<token>`` (which embeds Odoo's payment form) and of Odoo's portal
  page ``GET /my/invoices/<id>?access_token=...`` over ``--requests`` requests each, and SQL
  queries per request (from Odoo's request log line);
- webhook-to-paid: for each draft transaction, a signed ``payment_intent.succeeded`` event posted
  to payment_stripe's webhook ``/payment/stripe/webhook`` (signature check, transaction done, then
  at once its account.payment created and reconciled, the link marked paid, the administrators'
  notice posted and the receipt left to its cron, which renders the invoice PDF outside the
  request; ``--no-receipt`` turns the receipt setting off). Server time and
  queries come from the request's log line; Stripe is never called (the transactions do not save
  the card). Afterwards every link must be paid and every transaction must have its payment.

- on a phone (``bench/phone.py``: headless Chromium, 375 x 667, Lighthouse's slow 4G: 150 ms
  round trip, 1.6 Mbps), through a gzip proxy as in production (``bench/gzip_proxy.py``), a first
  visit of each page with an empty cache, ``--phone-rounds`` times, alternating: the seconds
  until the page is interactive (loaded, Odoo's lazy scripts run, no request in flight), the
  bytes received and the requests made.

Goals: pay page / portal latency <= 0.8 and <= 24 queries with the payment form; webhook-to-paid
median <= 100 ms; on the phone, interactive in <= 2.0 s and <= 0.7x the portal page.

Usage (after ``make setup``):
    python3 bench/bench_pay_page.py [--requests 200] [--webhooks 50] [--no-receipt] [--phone-rounds 5]
The database is dropped at the end; the server's log stays in the temporary folder.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import requests
import stripe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import devenv
from gzip_proxy import GzipProxy
from phone import Phone

WEBHOOK = "/payment/stripe/webhook"
WEBHOOK_SECRET = "whsec_bench" + "0" * 24
WARMUP = 20  # page requests of each kind before measuring
WEBHOOK_WARMUP = 3  # extra transactions paid before measuring, not counted
GOAL_RATIO = 0.8
GOAL_QUERIES = 24
GOAL_WEBHOOK_MS = 100
GOAL_PHONE_S = 2.0
GOAL_PHONE_RATIO = 0.7

# Run by `odoo shell`, with N_TX, BASE_URL, WEBHOOK_SECRET and SEND_RECEIPT defined before it.
SETUP = """
import json
from odoo import Command
from odoo.addons.payment import utils as payment_utils

company = env.company
ICP = env["ir.config_parameter"].sudo()
# wkhtmltopdf (the receipt's invoice PDF) fetches the report's assets from this server.
ICP.set_param("web.base.url", BASE_URL)
ICP.set_param("web.base.url.freeze", True)
ICP.set_param("report.url", BASE_URL)

Provider = env["payment.provider"].sudo()
demo = Provider.search([("code", "=", "demo"), ("company_id", "=", company.id)], limit=1)
demo = demo or env.ref("payment.payment_provider_demo").sudo().copy({"company_id": company.id})
demo.write({"state": "test", "is_published": True})

card = env.ref("payment.payment_method_card").sudo()
stripe_provider = Provider.search([("code", "=", "stripe"), ("company_id", "=", company.id)], limit=1)
stripe_provider = stripe_provider or env.ref("payment.payment_provider_stripe").sudo().copy(
    {"company_id": company.id}
)
stripe_provider.write({
    "state": "test",
    "is_published": True,
    "stripe_publishable_key": "pk_test_bench",
    "stripe_secret_key": "sk_test_bench",
    "stripe_webhook_secret": WEBHOOK_SECRET,
    "payment_method_ids": [Command.link(card.id)],
})
card.active = True

income = env["account.account"].search(
    [*env["account.account"]._check_company_domain(company), ("account_type", "=", "income")], limit=1
)
company.write({
    "paylink_send_receipt": SEND_RECEIPT,
    "paylink_tips_enabled": True,
    "paylink_tip_percentages": "18,20,25",
    "paylink_tip_account_id": income.copy({"name": "Tips", "code": "TIPS01"}).id,
})

partner = env["res.partner"].create({"name": "Bench Customer", "email": "bench@example.com"})


def posted_invoice():
    move = env["account.move"].create({
        "move_type": "out_invoice",
        "partner_id": partner.id,
        "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 3, "price_unit": 125.0})],
    })
    move.action_post()
    return move


move = posted_invoice()
link = move._paylink_get_or_create()
move._portal_ensure_token()

transactions = []
for _i in range(N_TX):
    invoice = posted_invoice()
    tx_link = invoice._paylink_get_or_create()
    tx = env["payment.transaction"].sudo().create({
        "provider_id": stripe_provider.id,
        "payment_method_id": card.id,
        "reference": f"{tx_link.name}-bench",
        "amount": invoice.amount_residual,
        "currency_id": invoice.currency_id.id,
        "partner_id": partner.id,
        "operation": "online_direct",
        "paylink_id": tx_link.id,
        "invoice_ids": [Command.set(invoice.ids)],
    })
    transactions.append({
        "reference": tx.reference,
        "amount": payment_utils.to_minor_currency_units(tx.amount, tx.currency_id),
        "currency": tx.currency_id.name.lower(),
    })
env.cr.commit()
print("BENCH " + json.dumps({
    "token": link.sudo().access_token,
    "move_id": move.id,
    "access_token": move.access_token,
    "providers": (demo | stripe_provider).ids,
    "transactions": transactions,
}))
"""

# Odoo's werkzeug request line ends with: " <status> - <queries> <query time> <remaining time>
REQUEST_LINE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) - '
    r"(?P<queries>\d+) (?P<query_time>[\d.]+) (?P<remaining_time>[\d.]+)"
)


def median_ms(values):
    return statistics.median(values) * 1000


def timed_gets(session, urls, n):
    """GET each of ``urls`` in turn, ``n`` rounds (alternating, so that a change in the machine's
    load weighs on all alike); return the latencies (s) and the last response of each URL."""
    times = {url: [] for url in urls}
    responses = {}
    for _i in range(n):
        for url in urls:
            start = time.perf_counter()
            responses[url] = session.get(url, timeout=30)
            times[url].append(time.perf_counter() - start)
            assert responses[url].status_code == 200, (url, responses[url].status_code)
    return times, responses


def request_lines(log_path, method, prefix):
    return [
        m
        for line in Path(log_path).read_text().splitlines()
        if (m := REQUEST_LINE.search(line)) and m["method"] == method and m["path"].startswith(prefix)
    ]


def median_queries(lines):
    return statistics.median(int(m["queries"]) for m in lines) if lines else None


def signed_event(tx, i):
    """A ``payment_intent.succeeded`` event for ``tx``, and its ``Stripe-Signature`` header."""
    intent = {
        "id": f"pi_bench_{i}",
        "object": "payment_intent",
        "description": tx["reference"],
        "amount": tx["amount"],
        "amount_received": tx["amount"],
        "currency": tx["currency"],
        "status": "succeeded",
        "payment_method": "pm_bench",
    }
    payload = json.dumps(
        {"id": f"evt_bench_{i}", "object": "event", "type": "payment_intent.succeeded",
         "data": {"object": intent}}
    )  # fmt: skip
    stamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(f"{stamp}.{payload}", WEBHOOK_SECRET)
    return payload, f"t={stamp},v1={signature}"


def check_paid(db, references):
    """Fail unless every transaction is done with a payment and its link is paid."""
    conn = psycopg2.connect(dbname=db)
    with conn.cursor() as cr:
        cr.execute(
            """SELECT tx.reference, tx.state, tx.payment_id, link.state
                 FROM payment_transaction tx
                 JOIN account_payment_link link ON link.id = tx.paylink_id
                WHERE tx.reference = ANY(%s)""",
            [references],
        )
        rows = cr.fetchall()
    conn.close()
    bad = [row for row in rows if row[1] != "done" or not row[2] or row[3] != "paid"]
    if len(rows) != len(references) or bad:
        devenv.fail(
            f"webhook-to-paid: {len(bad)} of {len(references)} not paid "
            f"(reference, tx state, payment, link state): {bad[:5]}"
        )


def goal(ok):
    return "goal met" if ok else "goal NOT met"


def prepare_database(db, base, common, *, n_tx, root, send_receipt=True):
    """Create the database, run the setup script; return what it printed for the bench."""
    print(f"==> Creating {db}", flush=True)
    subprocess.run([*base, *common, "--init", f"{devenv.ADDON_NAME},payment_demo",
                    "--stop-after-init", "--log-level", "warn"], check=True, cwd="/")  # fmt: skip
    print("==> Preparing providers, invoices, links and transactions", flush=True)
    preamble = (
        f"N_TX = {n_tx}\nBASE_URL = {root!r}\nWEBHOOK_SECRET = {WEBHOOK_SECRET!r}\n"
        f"SEND_RECEIPT = {send_receipt!r}\n"
    )
    shell = subprocess.run(
        [*base, "shell", *common, "--no-http", "--log-level", "warn"],
        input=(preamble + SETUP).encode(),
        capture_output=True,
        check=False,
        cwd="/",
    )
    out = shell.stdout.decode()
    bench_line = next((line for line in out.splitlines() if line.startswith("BENCH ")), None)
    if shell.returncode or not bench_line:
        devenv.fail("The setup script failed:", out + shell.stderr.decode())
    return json.loads(bench_line.removeprefix("BENCH "))


def bench_pages(session, root, data, log_path, n):
    """Return the pay page's and the portal page's latencies and median queries."""
    print("==> Pages", flush=True)
    pay_url = f"{root}/pay/{data['token']}"
    portal_path = f"/my/invoices/{data['move_id']}"
    portal_url = f"{root}{portal_path}?access_token={data['access_token']}"
    timed_gets(session, [pay_url, portal_url], WARMUP)  # warm-up: assets, caches, templates
    times, responses = timed_gets(session, [pay_url, portal_url], n)
    page = responses[pay_url]
    assert 'id="o_payment_form"' in page.text, "the pay page has no payment form"
    missing = [pid for pid in data["providers"] if f'data-provider-id="{pid}"' not in page.text]
    assert not missing, f"providers {missing} not offered on the pay page"
    pay_q = median_queries(request_lines(log_path, "GET", "/pay/")[-n:])
    portal_q = median_queries(request_lines(log_path, "GET", portal_path)[-n:])
    return {"pay": times[pay_url], "pay_q": pay_q, "portal": times[portal_url], "portal_q": portal_q}


def bench_phone(root, data, rounds, detail=False):
    """Return, for the pay page and the portal page, the phone's seconds to interactive, bytes
    received and requests, each visit with an empty cache."""
    print("==> Phone (slow 4G, empty cache, through a gzip proxy)", flush=True)
    proxy = GzipProxy(int(root.rsplit(":", 1)[1])).start()
    root = proxy.url
    urls = {
        "pay": f"{root}/pay/{data['token']}",
        "portal": f"{root}/my/invoices/{data['move_id']}?access_token={data['access_token']}",
    }
    results = {name: {"s": [], "bytes": [], "requests": []} for name in urls}
    phone = Phone()
    try:
        for url in urls.values():
            phone.load(url)  # warm-up: the server generates its asset bundles once
        for _i in range(rounds):
            for name, url in urls.items():
                elapsed, received, requests_made = phone.load(url)
                results[name]["s"].append(elapsed)
                results[name]["bytes"].append(received)
                results[name]["requests"].append(requests_made)
                if detail:
                    print(f"  {name}: {elapsed:.2f} s")
                    for size, request_url in phone.last_requests:
                        print(f"    {size / 1000:8.1f} kB  {request_url.removeprefix(root)[:110]}")
    finally:
        phone.close()
        proxy.stop()
    return {
        name: {key: statistics.median(values) for key, values in r.items()} for name, r in results.items()
    }


def bench_webhooks(session, root, data, log_path, *, db, n):
    """Pay every transaction by webhook; return the server times (s) and median queries."""
    print("==> Webhooks", flush=True)
    for i, tx in enumerate(data["transactions"]):
        payload, header = signed_event(tx, i)
        response = session.post(
            root + WEBHOOK,
            data=payload,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 200, (response.status_code, response.text[:500])
    check_paid(db, [tx["reference"] for tx in data["transactions"]])
    lines = request_lines(log_path, "POST", WEBHOOK)[-n:]
    assert len(lines) == n, f"{len(lines)} webhook request lines in the log"
    webhook = [float(m["query_time"]) + float(m["remaining_time"]) for m in lines]
    return {"webhook": webhook, "webhook_q": median_queries(lines)}


def report_phone(args, phone):
    pay, portal = phone["pay"], phone["portal"]
    ratio = pay["s"] / portal["s"]
    print(f"\nphone, slow 4G, empty cache, gzip, median of {args.phone_rounds} visits each:")
    print(f"{'':48} {'interactive s':>13} {'kB received':>12} {'requests':>9}")
    for label, r in (("pay page         /pay/<token>", pay), ("portal page      /my/invoices/<id>", portal)):
        print(f"{label:48} {r['s']:13.2f} {r['bytes'] / 1000:12.0f} {r['requests']:9g}")
    print(
        f"pay page interactive {pay['s']:.2f} s (goal <= {GOAL_PHONE_S} s): {goal(pay['s'] <= GOAL_PHONE_S)}"
    )
    print(f"ratio pay/portal {ratio:.2f} (goal <= {GOAL_PHONE_RATIO}): {goal(ratio <= GOAL_PHONE_RATIO)}")


def report(args, *, pay, pay_q, portal, portal_q, webhook, webhook_q):
    pay_ms, portal_ms, webhook_ms = median_ms(pay), median_ms(portal), median_ms(webhook)
    ratio = pay_ms / portal_ms
    print(f"\nrequests each: {args.requests} (after {WARMUP} warm-up); "
          f"webhooks: {args.webhooks} (after {WEBHOOK_WARMUP} warm-up)")  # fmt: skip
    receipt = "receipt off" if args.no_receipt else "receipt left to its cron"
    print(f"{'':48} {'median ms':>10} {'queries':>8}")
    print(f"{'pay page         GET /pay/<token>':48} {pay_ms:10.1f} {pay_q:8g}")
    print(f"{'portal page      GET /my/invoices/<id>':48} {portal_ms:10.1f} {portal_q:8g}")
    print(f"{'webhook-to-paid  POST ' + WEBHOOK:48} {webhook_ms:10.1f} {webhook_q:8g}"
          f"  (server time, {receipt})")  # fmt: skip
    print(f"\nratio pay/portal {ratio:.2f} (goal <= {GOAL_RATIO}): {goal(ratio <= GOAL_RATIO)}")
    print(f"pay page queries {pay_q:g} (goal <= {GOAL_QUERIES}): {goal(pay_q <= GOAL_QUERIES)}")
    print(
        f"webhook-to-paid {webhook_ms:.1f} ms (goal <= {GOAL_WEBHOOK_MS} ms): "
        f"{goal(webhook_ms <= GOAL_WEBHOOK_MS)}"
    )
    print(f"all {args.webhooks + WEBHOOK_WARMUP} links paid, each transaction with its payment")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--webhooks", type=int, default=50)
    parser.add_argument("--phone-rounds", type=int, default=5, help="0: no phone figures")
    parser.add_argument("--phone-detail", action="store_true", help="list each request of each visit")
    parser.add_argument(
        "--no-receipt",
        action="store_true",
        help="turn the company's receipt e-mail off; by default it is on, as in a new database (the "
        "webhook then only marks the receipt to send; its cron renders the invoice PDF)",
    )
    args = parser.parse_args()
    db = f"apl_bench_{os.getpid()}"
    port = devenv.free_port()
    root = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.gettempdir()) / f"{db}.log"
    server = None
    try:
        with devenv.addons_path() as addons_path:
            base = [sys.executable, "-m", "odoo"]
            common = ["--database", db, "--addons-path", addons_path, "--without-demo", "all"]
            data = prepare_database(
                db,
                base,
                common,
                n_tx=args.webhooks + WEBHOOK_WARMUP,
                root=root,
                send_receipt=not args.no_receipt,
            )
            print(f"==> Serving on {root} (log: {log_path})", flush=True)
            server = subprocess.Popen(
                [*base, *common, "--http-port", str(port), "--http-interface", "127.0.0.1",
                 "--workers", "0", "--max-cron-threads", "0", "--log-level", "info",
                 "--logfile", str(log_path)],
                cwd="/",
                start_new_session=True,
            )  # fmt: skip
            if not devenv.wait_for_http(root + "/web/login", timeout=120, process=server):
                devenv.fail("Odoo did not start", f"see {log_path}")
            session = requests.Session()
            pages = bench_pages(session, root, data, log_path, args.requests)
            phone = (
                bench_phone(root, data, args.phone_rounds, args.phone_detail) if args.phone_rounds else None
            )
            webhooks = bench_webhooks(session, root, data, log_path, db=db, n=args.webhooks)
            report(args, **pages, **webhooks)
            if phone:
                report_phone(args, phone)
    finally:
        devenv.stop(server)
        devenv.drop_database(db)
    return 0


if __name__ == "__main__":
    sys.exit(main())

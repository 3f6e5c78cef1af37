"""Benchmark: payment links under load, on two Odoo servers sharing one database, side by side with
Odoo's own portal invoice payment.

Creates a throw-away database with the addon and ``payment_demo`` (no demo data): the company has
Odoo's Demo provider, tips on, ``--customers`` customers each with a posted invoice and its payment
link, and as many more customers with a posted invoice and no link (for Odoo's portal). It serves the
database with **two Odoo servers** (prefork: ``--workers`` HTTP workers and one cron worker each),
as behind a load balancer, and spreads the requests over both.

Link run: ``--customers`` customers, ``--concurrency`` at a time, each opening ``/pay/<token>``,
starting a payment with the Demo provider on the link's transaction route (half of them with the
first tip offered), the provider reporting it done (its notification route), and the customer
landing on the return page. ``--two-tabs`` percent of them start two payments in two tabs before
either completes and both complete at once. Portal run: the same customers' shape on Odoo's portal
invoice page (``/my/invoices/<id>?access_token=...``), its transaction route
(``/invoice/transaction/<id>``), the same notification, and Odoo's status poll
(``/payment/status/poll``, which records the payment), with the same share of customers paying
in two tabs (each tab polling its own payment): the same load on both.

``--rounds`` rounds of both runs, each run going first in turn (the later run of a round meets
warmer caches), each round with its own customers; the figures pool the rounds.

Reports p50 / p95 of the page and of pay-to-paid (from the transaction request to the page saying
paid), the number of 5xx answers, and after the run, from the database: payments recorded =
transactions done, and link invoices paid more than once without a link flagged *To review* (must
be 0; the portal's invoices paid twice are counted apart: Odoo's portal flags nothing).

Goals: 0 errors, 0 unflagged double payments, p95 of the pay page / p95 of the portal page <= 1.0.

Usage (after ``make setup``):
    python3 bench/bench_load.py [--customers 200] [--concurrency 20] [--two-tabs 10] [--workers 2]
                                [--rounds 2]
The database is dropped at the end; the servers' logs stay in the temporary folder.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import devenv

GOAL_RATIO = 1.0
WARMUP = 10  # page requests to each server before measuring (assets, caches)

# Run by `odoo shell`, with N defined before it.
SETUP = """
import json
from odoo import Command

company = env.company
Provider = env["payment.provider"].sudo()
demo = Provider.search([("code", "=", "demo"), ("company_id", "=", company.id)], limit=1)
demo = demo or env.ref("payment.payment_provider_demo").sudo().copy({"company_id": company.id})
demo.write({"state": "test", "is_published": True})
# Odoo makes the provider's payment method line lazily, when its journal is first read (a
# non-stored compute): several workers recording the first payments at once would each make one
# (then "Expected singleton: account.payment.method.line"). Made here, once.
assert demo.journal_id
env.flush_all()
income = env["account.account"].search(
    [*env["account.account"]._check_company_domain(company), ("account_type", "=", "income")], limit=1
)
company.write({
    "paylink_send_receipt": False,
    "paylink_notify_admins": False,
    "paylink_tips_enabled": True,
    "paylink_tip_percentages": "10,15",
    "paylink_tip_account_id": income.copy({"name": "Tips", "code": "TIPS01"}).id,
})


def invoices(tag):
    partners = env["res.partner"].create(
        [{"name": f"Load {tag} {i}", "email": f"load.{tag}.{i}@example.com"} for i in range(N)]
    )
    moves = env["account.move"].create([
        {
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_line_ids": [Command.create({"name": "Service", "quantity": 1, "price_unit": 100.0 + i})],
        }
        for i, partner in enumerate(partners)
    ])
    moves.action_post()
    return moves


linked = invoices("link")
links = linked._paylink_get_or_create()
portal = invoices("portal")
for move in portal:
    move._portal_ensure_token()
env.cr.commit()
print("BENCH " + json.dumps({
    "provider": demo.id,
    "method": demo.payment_method_ids[:1].id,
    "links": [{"token": link.sudo().access_token, "move": link.move_id.id} for link in links],
    "portal": [{"move": move.id, "access_token": move.access_token, "amount": move.amount_residual}
               for move in portal],
}))
"""


# Odoo's werkzeug request line ends with:
# "<method> <path> HTTP/1.1" <status> - <queries> <query time> <other time>
REQUEST_LINE = re.compile(
    r'"GET (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d+) - \d+ (?P<query_time>[\d.]+) (?P<other_time>[\d.]+)'
)


def server_times(logs):
    """Return the server time (seconds) of each pay page and portal page served, from Odoo's logs:
    what each page costs the server, whatever else the run made it wait for."""
    times = {"link": [], "portal": []}
    for log in logs:
        for match in REQUEST_LINE.finditer(log.read_text(errors="replace")):
            path = match["path"]
            kind = "link" if path.startswith("/pay/") and path.count("/") == 2 else None
            kind = "portal" if path.startswith("/my/invoices/") else kind
            if kind and match["status"] == "200":
                times[kind].append(float(match["query_time"]) + float(match["other_time"]))
    return times


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def prepare_database(base, common, n):
    print(f"==> Creating the database, {n} invoices with links and {n} without", flush=True)
    subprocess.run([*base, *common, "--init", f"{devenv.ADDON_NAME},payment_demo",
                    "--stop-after-init", "--log-level", "warn"], check=True, cwd="/")  # fmt: skip
    shell = subprocess.run(
        [*base, "shell", *common, "--no-http", "--log-level", "warn"],
        input=(f"N = {n}\n" + SETUP).encode(),
        capture_output=True,
        check=False,
        cwd="/",
    )
    out = shell.stdout.decode()
    line = next((line for line in out.splitlines() if line.startswith("BENCH ")), None)
    if shell.returncode or not line:
        devenv.fail("The setup script failed:", out + shell.stderr.decode())
    return json.loads(line.removeprefix("BENCH "))


def start_servers(common, workers, log_dir):
    """Start two Odoo servers (prefork) on the same database; return ``(processes, roots, logs)``."""
    import odoo  # noqa: PLC0415

    script = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
    launcher = [str(script)] if script.is_file() else ["-m", "odoo"]
    processes, roots, logs = [], [], []
    for index in range(2):
        port, gevent_port = devenv.free_port(), devenv.free_port()
        log = log_dir / f"server{index}.log"
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    *launcher,
                    *common,
                    "--http-interface",
                    "127.0.0.1",
                    "--http-port",
                    str(port),
                    "--gevent-port",
                    str(gevent_port),
                    "--workers",
                    str(workers),
                    "--max-cron-threads",
                    "1",
                    "--limit-time-real",
                    "120",
                    "--log-level",
                    "info",
                    "--logfile",
                    str(log),
                ],
                cwd="/",
                start_new_session=True,
            )
        )
        roots.append(f"http://127.0.0.1:{port}")
        logs.append(log)
    for process, root, log in zip(processes, roots, logs, strict=True):
        if not devenv.wait_for_http(root + "/web/login", timeout=180, process=process):
            devenv.fail("An Odoo server did not start", f"see {log}")
    return processes, roots, logs


class Load:
    """Customers paying, spread over the servers; collects timings and error answers."""

    def __init__(self, roots, data):
        self.roots = roots
        self.data = data
        self.lock = threading.Lock()
        self.pages, self.pay_to_paid, self.errors = [], [], []
        self.counter = 0

    def server(self):
        with self.lock:
            self.counter += 1
            return self.roots[self.counter % len(self.roots)]

    def call(self, session, method, path, **kwargs):
        response = session.request(method, self.server() + path, timeout=120, **kwargs)
        if response.status_code >= 500:
            with self.lock:
                self.errors.append(f"{response.status_code} {method} {path.split('?')[0]}")
        return response

    def jsonrpc(self, session, path, params):
        response = self.call(
            session, "POST", path, json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        )
        body = response.json() if response.status_code == 200 else {}
        if "error" in body:
            with self.lock:
                self.errors.append(f"JSON-RPC error {path}: {body['error'].get('data', {}).get('message')}")
        return body.get("result")

    def timed_page(self, session, path):
        started = time.monotonic()
        response = self.call(session, "GET", path)
        elapsed = time.monotonic() - started
        with self.lock:
            self.pages.append(elapsed)
        return response

    def payment_params(self, amount=1.0):
        return {
            "provider_id": self.data["provider"], "payment_method_id": self.data["method"], "token_id": None,
            "amount": amount, "flow": "direct", "tokenization_requested": False, "landing_route": "/",
            "is_validation": False,
        }  # fmt: skip

    def notify(self, session, reference):
        self.jsonrpc(
            session, "/payment/demo/simulate_payment", {"reference": reference, "simulated_state": "done"}
        )

    def link_customer(self, index, customer, two_tabs):
        session = requests.Session()
        token = customer["token"]
        page = self.timed_page(session, f"/pay/{token}")
        if page.status_code != 200:
            return
        tip = 10 if index % 2 else 0
        started = time.monotonic()
        route = f"/pay/{token}/transaction"
        references = [self.jsonrpc(session, route, {**self.payment_params(), "tip_percent": tip})]
        if two_tabs:
            references.append(
                self.jsonrpc(requests.Session(), route, {**self.payment_params(), "tip_percent": tip})
            )
        references = [result["reference"] for result in references if result]
        threads = [threading.Thread(target=self.notify, args=(requests.Session(), ref)) for ref in references]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done = self.call(session, "GET", f"/pay/{token}/return")
        if done.status_code == 200 and "your payment was received" in done.text:
            with self.lock:
                self.pay_to_paid.append(time.monotonic() - started)

    def portal_customer(self, index, customer, two_tabs):
        session = requests.Session()
        self.timed_page(session, f"/my/invoices/{customer['move']}?access_token={customer['access_token']}")
        started = time.monotonic()
        route = f"/invoice/transaction/{customer['move']}"
        params = {**self.payment_params(customer["amount"]), "access_token": customer["access_token"]}
        sessions = [session, requests.Session()] if two_tabs else [session]
        # Each tab starts its payment before either completes (Odoo's portal takes both: neither
        # is pending yet), then the provider confirms both at once and each tab polls its own.
        references = [(tab, self.jsonrpc(tab, route, params)) for tab in sessions]
        references = [(tab, result["reference"]) for tab, result in references if result]
        if not references:
            return
        threads = [
            threading.Thread(target=self.notify, args=(requests.Session(), ref)) for _tab, ref in references
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        states = [self.poll(tab) for tab, _ref in references]
        if states[0] == "done":
            with self.lock:
                self.pay_to_paid.append(time.monotonic() - started)

    def poll(self, session, attempts=10):
        """Odoo's status page: its script polls again when the server answers "retry" (Odoo's own
        answer when recording the payment met another request); return the state polled."""
        for _attempt in range(attempts):
            response = self.call(
                session,
                "POST",
                "/payment/status/poll",
                json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}},
            )
            body = response.json() if response.status_code == 200 else {}
            if body.get("error", {}).get("data", {}).get("message") != "retry":
                break
            time.sleep(0.5)
        if "error" in body:
            with self.lock:
                self.errors.append(
                    f"JSON-RPC error /payment/status/poll: {body['error']['data'].get('message')}"
                )
        return (body.get("result") or {}).get("state")


def run(customers, worker, *, concurrency, two_tabs_percent, seed):
    rng = random.Random(seed)
    two_tabs = {i for i in range(len(customers)) if rng.random() * 100 < two_tabs_percent}
    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(lambda item: worker(item[0], item[1], item[0] in two_tabs), enumerate(customers)))
    return time.monotonic() - started, len(two_tabs)


def wait_for_post_processing(db, timeout=180):
    """Wait until Odoo's post-processing cron has recorded every payment confirmed during the run
    (a payment that lost a race to another request is left to it, triggered at once); return the
    seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM payment_transaction WHERE state = 'done' AND NOT is_post_processed"
            )
            [(left,)] = cr.fetchall()
        if not left:
            break
        time.sleep(1)
    return time.monotonic() - started


def check_database(db):
    """Return ``(transactions done, payments recorded, link invoices paid twice, of which unflagged,
    portal invoices paid twice)``."""
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM payment_transaction WHERE state = 'done' AND operation != 'validation'"
        )
        [(done,)] = cr.fetchall()
        cr.execute(
            """SELECT count(*) FROM account_payment p
                 JOIN payment_transaction t ON t.id = p.payment_transaction_id
                WHERE t.state = 'done'"""
        )
        [(recorded,)] = cr.fetchall()
        # An invoice paid more than once: more than one done transaction for it. The portal run's
        # invoices have no link: Odoo's portal flags nothing, which the report says apart.
        cr.execute(
            """SELECT rel.invoice_id, count(link.id) > 0, bool_or(link.needs_review)
                 FROM account_invoice_transaction_rel rel
                 JOIN payment_transaction t ON t.id = rel.transaction_id AND t.state = 'done'
            LEFT JOIN account_payment_link link ON link.move_id = rel.invoice_id
             GROUP BY rel.invoice_id HAVING count(DISTINCT t.id) > 1"""
        )
        twice = cr.fetchall()
    with_link = [flagged for _invoice, has_link, flagged in twice if has_link]
    return (
        done,
        recorded,
        len(with_link),
        sum(1 for flagged in with_link if not flagged),
        len(twice) - len(with_link),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--two-tabs", type=float, default=10.0, help="percent of customers paying in two tabs (both runs)"
    )
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers of each of the two servers")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of both runs, each run going first in turn"
    )
    args = parser.parse_args()
    db = f"apl_load_{os.getpid()}"
    log_dir = Path(tempfile.mkdtemp(prefix="apl-load-"))
    processes = []
    try:
        with devenv.addons_path() as addons_path:
            base = [sys.executable, "-m", "odoo"]
            common = ["--database", db, "--db-filter", f"^{db}$", "--addons-path", addons_path,
                      "--without-demo", "all"]  # fmt: skip
            data = prepare_database(base, common, args.customers * args.rounds)
            processes, roots, logs = start_servers(common, args.workers, log_dir)
            print(f"==> Two servers: {', '.join(roots)} (logs in {log_dir})", flush=True)
            warm = requests.Session()
            for root in roots:
                for _ in range(WARMUP):
                    warm.get(f"{root}/pay/{data['links'][0]['token']}", timeout=120)
                    warm.get(
                        f"{root}/my/invoices/{data['portal'][0]['move']}?access_token={data['portal'][0]['access_token']}",
                        timeout=120,
                    )
            loads = {name: Load(roots, data) for name in ("link", "portal")}
            results = {name: [loads[name], 0.0, 0] for name in loads}
            rounds = []
            for index in range(args.rounds):
                # Each run goes first in turn: the later run meets warmer caches, the earlier one
                # fresher tables.
                order = ("link", "portal") if index % 2 == 0 else ("portal", "link")
                for name in order:
                    load = loads[name]
                    customers = data["links" if name == "link" else "portal"]
                    customers = customers[index * args.customers : (index + 1) * args.customers]
                    print(
                        f"==> round {index + 1}, {name}: {len(customers)} customers, "
                        f"{args.concurrency} at a time",
                        flush=True,
                    )
                    first_page = len(load.pages)
                    worker = load.link_customer if name == "link" else load.portal_customer
                    elapsed, n_two_tabs = run(
                        customers,
                        worker,
                        concurrency=args.concurrency,
                        two_tabs_percent=args.two_tabs,
                        seed=args.seed + index,
                    )
                    results[name][1] += elapsed
                    results[name][2] += n_two_tabs
                    rounds.append((index + 1, name, percentile(load.pages[first_page:], 95)))
            waited = wait_for_post_processing(db)
            print(
                f"==> Payments left to Odoo's post-processing cron recorded after {waited:.0f} s", flush=True
            )
            checks = check_database(db)
            served = server_times(logs)
    finally:
        for process in processes:
            devenv.stop(process)
        devenv.drop_database(db)
    report(args, results, checks, served, rounds)
    link, portal = results["link"][0], results["portal"][0]
    ok = (
        not link.errors
        and not portal.errors
        and checks[0] == checks[1]
        and checks[3] == 0
        and percentile(link.pages, 95) <= GOAL_RATIO * percentile(portal.pages, 95)
    )
    return 0 if ok else 1


def report(args, results, checks, served, rounds):
    print()
    print(
        f"Two Odoo servers x {args.workers} workers, {args.rounds} round(s) of {args.customers} customers "
        f"per run, {args.concurrency} at a time"
    )
    print()
    print("| run | customers | two tabs | page p50 ms | page p95 ms | pay-to-paid p50 ms "
          "| pay-to-paid p95 ms "
          "| paid | 5xx / errors | seconds |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (load, elapsed, two_tabs) in results.items():
        print(
            f"| {name} | {args.customers * args.rounds} | {two_tabs} | {percentile(load.pages, 50):.0f} | "
            f"{percentile(load.pages, 95):.0f} | {percentile(load.pay_to_paid, 50):.0f} | "
            f"{percentile(load.pay_to_paid, 95):.0f} | {len(load.pay_to_paid)} | {len(load.errors)} | "
            f"{elapsed:.1f} |"
        )
    link, portal = results["link"][0], results["portal"][0]
    ratio = percentile(link.pages, 95) / percentile(portal.pages, 95)
    pay_ratio = percentile(link.pay_to_paid, 95) / percentile(portal.pay_to_paid, 95)
    done, recorded, twice, unflagged, portal_twice = checks
    print()
    print(
        f"p95 page ratio (link / portal): {ratio:.2f} "
        f"(goal <= {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'NOT met'})"
    )
    print(f"p95 pay-to-paid ratio (link / portal): {pay_ratio:.2f}")
    print(
        "page p95 of each round: "
        + ", ".join(f"round {index} {name} {p95:.0f} ms" for index, name, p95 in rounds)
    )
    print(
        "server time of the pages (Odoo's log, warm-up included): "
        f"link p50 {percentile(served['link'], 50):.0f} ms, p95 {percentile(served['link'], 95):.0f} ms; "
        f"portal p50 {percentile(served['portal'], 50):.0f} ms, "
        f"p95 {percentile(served['portal'], 95):.0f} ms; "
        f"p95 ratio {percentile(served['link'], 95) / percentile(served['portal'], 95):.2f}"
    )
    print(
        f"transactions done: {done}, payments recorded: {recorded} "
        f"({'equal' if done == recorded else 'DIFFERENT'})"
    )
    print(f"link invoices paid twice: {twice}, of which without a flagged link: {unflagged} (goal 0)")
    print(f"portal invoices paid twice: {portal_twice} (Odoo's portal flags nothing: no link)")
    for load in (link, portal):
        for error in load.errors[:10]:
            print(f"  error: {error}")


if __name__ == "__main__":
    sys.exit(main())

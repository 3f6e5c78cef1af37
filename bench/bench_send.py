"""Benchmark: bulk sending of payment links by SMS and email, for N invoices.

Creates a throw-away database with the addon (no demo data), a company wired to the Twilio double
(tests/twilio_double.py, run as its own process, as Twilio is) and to a loopback SMTP sink. For
each size N it creates N customers and N posted invoices (not timed), then measures:

1. **Phases**, one after the other in this process, each in its own cursor, with wall time and SQL
   queries (``odoo.sql_db.sql_counter``):
   - ``queue links``: ``account.payment.link.batch._process`` (links, SMS and emails queued);
   - ``send SMS``: ``sms.sms._process_queue`` through the Twilio double, called again while SMS
     remain (as Odoo's cron runner does when a call reports work remaining);
   - ``send email``: ``mail.mail.process_email_queue`` through the SMTP sink.
2. **End to end**, as a deployment runs it: an Odoo server with workers (``--workers 1
   --max-cron-threads 2``, Odoo's default number of cron workers) is started; the bulk sending is
   asked for through the wizard, as the admin; the clock runs until the Twilio double and the SMTP
   sink got every SMS and email and the sending is done. Odoo's crons do the work: the bulk
   sending's cron commits 100 invoices at a time and wakes the SMS and mail queues, which the
   second cron worker runs meanwhile.
3. **Odoo's own mass sending, side by side**, on the same server, through the same double and
   sink: the same number of new invoices texted with Odoo's ``sms.composer`` in mass mode and
   emailed with Odoo's *Send* in batch (``account.move.send.batch.wizard``), no links. Odoo leaves
   mass SMS to its hourly SMS cron, its Send (run by its own cron) leaves the emails to the hourly
   mail queue, and it renders each invoice PDF with wkhtmltopdf: the bench triggers the SMS cron
   at once, the mail queue's while Odoo's emails wait, and makes the PDFs beforehand, untimed (all
   in favour of Odoo's side; ``--odoo-renders-pdf`` lets Odoo's Send render them).
4. With ``--two-servers-sizes``, ours once more with **two Odoo servers on the database**, both
   running their cron workers, as a deployment behind a load balancer does.

Each end-to-end run checks, a few seconds after it finished, that each customer got exactly one SMS
and one email; the servers' logs must show no error and no time limit hit. The phases check that N
links, N SMS and N emails went out, that the SMS logs are "queued", and that a second bulk sending
of the same invoices sends nothing. The bench exits with 1 when a check fails; the goals (ours /
Odoo's <= 1.0; 10,000 within 1.2x the Twilio bound, N x delay / SMS at once) are only reported. A
small untimed warm-up runs first. ``--twilio-delay 0.2`` delays each answer of the double as a
round trip to the real Twilio would (about 0.2 s); ``--sms-concurrency`` sets how many SMS are
handed to it at once (the company setting, default 8). ``--no-e2e`` skips the end-to-end runs,
``--no-odoo`` Odoo's side.

Usage (after ``make setup``):  python3 bench/bench_send.py --twilio-delay 0.2 --sizes 100,1000 \\
    --e2e-sizes 1000,10000 --two-servers-sizes 10000 [--keep-db]
The database it creates is dropped at the end unless ``--keep-db``; ``--db NAME`` naming an existing
database (one kept before) skips the install and never drops it.
"""

import argparse
import base64
import contextlib
import json
import logging
import os
import secrets
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import devenv

SENDER = "+15005550006"
# Odoo's own sending, side by side: its mass SMS composer's text (no link) and, for its Send, an
# invoice PDF made beforehand (untimed), so both sides only render and send: Odoo's Send would
# otherwise render each PDF with wkhtmltopdf (``--odoo-renders-pdf``), which our email does not do.
ODOO_SMS_BODY = (
    "Hello {{ object.partner_id.name }}, invoice {{ object.name }} of {{ object.amount_residual }} is due."
)
ODOO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
    b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
# In the customers' names and emails: a kept database's earlier runs are never counted again.
RUN = secrets.token_hex(3)


class TwilioProcess:
    """The Twilio double (tests/twilio_double.py) in its own process, as the real Twilio is not
    in Odoo's; it accepts any credentials and answers after ``latency`` seconds."""

    def __init__(self, latency):
        self.port = devenv.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sid, self.token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        script = Path(__file__).resolve().parent.parent / "tests" / "twilio_double.py"
        self.process = subprocess.Popen(
            [sys.executable, str(script), "--port", str(self.port), "--latency", str(latency)],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        if not devenv.wait_for_http(f"{self.url}/outbox", process=self.process):
            devenv.fail("bench: the Twilio double did not start")

    @property
    def messages(self):
        """The messages the double accepted for our account (Twilio's list of messages)."""
        url = f"{self.url}/2010-04-01/Accounts/{self.sid}/Messages.json"
        request = urllib.request.Request(url)  # noqa: S310 - loopback
        auth = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        request.add_header("Authorization", f"Basic {auth}")
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return json.load(answer)["messages"]

    @property
    def count(self):
        """How many messages the double accepted (cheap enough to poll)."""
        with urllib.request.urlopen(f"{self.url}/count", timeout=30) as answer:  # noqa: S310 - loopback
            return json.load(answer)["count"]

    def stop(self):
        devenv.stop(self.process)


class SmtpSink(socketserver.ThreadingTCPServer):
    """A loopback SMTP server that accepts everything and keeps ``(recipients, size)`` per message."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.messages = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self):
        return self.server_address[1]


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        recipients = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                self.reply("250-sink\r\n250 8BITMIME")
            elif verb == b"RCPT":
                recipients.append(line.decode().partition(":")[2].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                size = 0
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    size += len(chunk)
                with self.server.lock:
                    self.server.messages.append((recipients, size))
                recipients = []
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 Bye")
                return
            else:  # HELO, MAIL, RSET, NOOP
                if verb in (b"MAIL", b"RSET"):
                    recipients = []
                self.reply("250 OK")


def configure(env, twilio, smtp_port):
    company = env.ref("base.main_company")
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    company.write({
        "email": "billing@bench.example.com",
        "paylink_twilio_account_sid": twilio.sid, "paylink_twilio_auth_token": twilio.token,
        "paylink_twilio_sender": SENDER, "paylink_sms_gateway": "twilio",
    })  # fmt: skip
    # Links need a provider that can take their payments: Odoo's Demo provider.
    provider = env["payment.provider"].search(
        [("code", "=", "demo"), ("company_id", "=", company.id)], limit=1
    )
    provider.write({"state": "test", "is_published": True})
    env.ref("base.user_admin").partner_id.email = "admin@bench.example.com"
    env["ir.config_parameter"].set_param("account_payment_link.twilio_api_base", twilio.url)
    env["ir.mail_server"].search([]).active = False
    env["ir.mail_server"].create({
        "name": "bench sink", "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_encryption": "none",
    })  # fmt: skip
    return company


def make_invoices(env, company, n, tag, premade_pdf=False):
    """Create ``n`` customers with a US mobile and an email, and one posted invoice of 100.00 each;
    with ``premade_pdf``, each invoice's PDF is already made, as Odoo stores it (see ODOO_PDF)."""
    from odoo import Command  # noqa: PLC0415

    us = env.ref("base.us")
    partners = env["res.partner"].create([
        {"name": f"Bench {tag} {i}", "email": f"bench.{tag}.{i}@example.com",
         "mobile": f"+1 415 555 {i % 10000:04d}", "country_id": us.id}
        for i in range(n)
    ])  # fmt: skip
    moves = env["account.move"].with_company(company).create([
        {"move_type": "out_invoice", "partner_id": partner.id,
         "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 1, "price_unit": 100.0,
                                              "tax_ids": False})]}
        for partner in partners
    ])  # fmt: skip
    moves.action_post()
    if premade_pdf:
        # sudo: as Odoo's account.move.send links the PDF it made (_link_invoice_documents)
        env["ir.attachment"].sudo().create([
            {"name": f"{move.name.replace('/', '_')}.pdf", "raw": ODOO_PDF, "mimetype": "application/pdf",
             "res_model": "account.move", "res_id": move.id, "res_field": "invoice_pdf_report_file"}
            for move in moves
        ])  # fmt: skip
        moves.invalidate_recordset(["invoice_pdf_report_id", "invoice_pdf_report_file"])
    return moves


def measure(registry, uid, work):
    """Run ``work(env)`` in a new cursor as the user ``uid``; return ``(result, seconds, queries)``."""
    import odoo  # noqa: PLC0415

    queries = odoo.sql_db.sql_counter
    start = time.perf_counter()
    with registry.cursor() as cr:
        result = work(odoo.api.Environment(cr, uid, {}))
    return result, time.perf_counter() - start, odoo.sql_db.sql_counter - queries


def run_size(registry, n, tag, *, twilio, sink, checks):
    """Create and send ``n`` invoices' links; return the phases' ``(name, seconds, queries)``."""
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID, Command  # noqa: PLC0415

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        admin_uid = env.ref("base.user_admin").id
        move_ids = make_invoices(env, company, n, tag).ids
    sms_before, mail_before = len(twilio.messages), len(sink.messages)

    def new_batch(env):
        batch = env["account.payment.link.batch"].create({
            "name": f"Bench {tag}", "company_id": env.company.id, "move_ids": [Command.set(move_ids)],
            "total": n, "channel_sms": True, "channel_email": True,
        })  # fmt: skip
        batch._process(batch_size=100, commit=env.cr.commit)
        return batch.sent_count, batch.skipped_count, batch.failed_count, batch.report

    def send_sms(env):
        # As Odoo's cron runner calls the queue again while a call reports SMS remaining.
        Sms = env["sms.sms"]
        for _i in range(n // 10 + 3):
            if not Sms.search_count([("state", "=", "outgoing")]):
                break
            Sms._process_queue()

    def send_mail(env):
        Mail = env["mail.mail"]
        for _i in range(n // 1000 + 3):  # the queue sends at most 1,000 emails a call
            if not Mail.search_count([("state", "=", "outgoing")]):
                break
            Mail.process_email_queue()

    phases = []
    counts, *timing = measure(registry, admin_uid, new_batch)
    phases.append(("queue links", *timing))
    _, *timing = measure(registry, SUPERUSER_ID, send_sms)
    phases.append(("send SMS", *timing))
    _, *timing = measure(registry, SUPERUSER_ID, send_mail)
    phases.append(("send email", *timing))

    emailed = customer_emails(sink, mail_before, tag, n)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        links = env["account.payment.link"].search([("move_id", "in", move_ids), ("state", "=", "active")])
        Log = env["account.payment.link.message"]
        logs = Log.search([("link_id", "in", links.ids), ("channel", "=", "sms")])
        checks.append((f"N={n}: batch sent {n} (sent, skipped, failed)", counts[:3] == (n, 0, 0), counts))
        checks.append((f"N={n}: {n} active links", len(links) == n, len(links)))
        checks.append((f"N={n}: Twilio double got {n} SMS", len(twilio.messages) - sms_before == n,
                       len(twilio.messages) - sms_before))  # fmt: skip
        checks.append((f"N={n}: SMTP sink got {n} emails to customers", emailed == n, emailed))
        queued = len(logs.filtered(lambda log: log.state == "queued"))
        checks.append((f"N={n}: {n} SMS logs, all queued", len(logs) == n == queued, (len(logs), queued)))
        if counts[3]:
            print(f"batch report (N={n}):\n{counts[3][:2000]}", file=sys.stderr)

    # Again, without force: everything was sent within the resend window, so nothing goes out.
    sms_before = len(twilio.messages)
    again, *_timing = measure(registry, admin_uid, new_batch)
    measure(registry, SUPERUSER_ID, send_sms)
    checks.append((f"N={n}: second batch sends 0 (sent, skipped, failed)", again[:3] == (0, n, 0), again[:3]))
    checks.append((f"N={n}: second batch: no new SMS", len(twilio.messages) == sms_before,
                   len(twilio.messages) - sms_before))  # fmt: skip
    return phases


def customer_emails(sink, since, tag, n):
    """How many of the ``n`` customers of ``tag`` the SMTP sink got an email for, after ``since``."""
    customers = {f"bench.{tag}.{i}@example.com" for i in range(n)}
    return sum(1 for rcpts, _size in sink.messages[since:] for r in rcpts if r in customers)


# Workers, Odoo's default two cron workers; each cron job's calls and what they did, and Odoo's
# CPU-limit line (at INFO), in the server's log.
SERVER_OPTIONS = ["--workers", "1", "--max-cron-threads", "2",
                  "--log-handler", "odoo.addons.base.models.ir_cron:INFO",
                  "--log-handler", "odoo.service.server:INFO"]  # fmt: skip


def start_server(common, log):
    """Start Odoo's crons as deployed: workers (prefork), with Odoo's default two cron workers,
    Odoo's default time limits and no HTTP (not needed here); return the process. Its log (warnings
    and errors, and each cron job's calls) goes to the open file ``log``."""
    import odoo  # noqa: PLC0415

    script = Path(odoo.__file__).resolve().parent.parent / "odoo-bin"
    launcher = [str(script)] if script.is_file() else ["-m", "odoo"]
    server = subprocess.Popen(
        [sys.executable, *launcher, *common, "--no-http", *SERVER_OPTIONS],
        cwd="/",
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(10)  # the cron workers load the registry
    if server.poll() is not None:
        devenv.fail("bench: the Odoo server did not start")
    return server


def start_ours(env, move_ids):
    """Ask for our bulk sending of the invoices (links, SMS and email) through its wizard; return
    the check, on a cursor, that the sending is done."""
    context = {"active_model": "account.move", "active_ids": move_ids}
    wizard = env["account.payment.link.send.bulk"].with_context(**context)
    wizard.create({"channel_sms": True, "channel_email": True}).action_send()
    batch_id = env["account.payment.link.batch"].search([], limit=1).id

    def finished(cr):
        cr.execute("SELECT state FROM account_payment_link_batch WHERE id = %s", [batch_id])
        return cr.fetchone()[0] == "done"

    return finished


def start_odoo(env, move_ids):
    """Odoo's own mass sending of the invoices, no links, as an accountant asks for it: *Send SMS*
    (``sms.composer`` in mass mode, keeping a log on each invoice) and *Send* in batch
    (``account.move.send.batch.wizard``, whose cron emails each invoice with its PDF). Odoo leaves
    mass SMS to its SMS queue's hourly cron: the bench triggers that cron at once, as ours is.
    Return the check, on a cursor, that both are done."""
    import odoo  # noqa: PLC0415

    context = {"active_model": "account.move", "active_ids": move_ids}
    composer = env["sms.composer"].with_context(**context)
    composer.create(
        {"composition_mode": "mass", "mass_keep_log": True, "body": ODOO_SMS_BODY}
    ).action_send_sms()
    Batch = env["account.move.send.batch.wizard"].with_context(**context)
    Batch.create({}).action_send_and_print()
    env.ref("sms.ir_cron_sms_scheduler_action").sudo()._trigger()  # sudo: the bench triggers Odoo's cron

    def finished(cr):
        cr.execute(
            "SELECT count(*) FROM account_move WHERE id IN %s AND sending_data IS NOT NULL", [tuple(move_ids)]
        )
        moves_left = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM sms_sms WHERE state = 'outgoing'")
        sms_left = cr.fetchone()[0]
        cr.execute("SELECT count(*) FROM mail_mail WHERE state = 'outgoing'")
        if cr.fetchone()[0]:
            # Odoo's Send, run by its cron, leaves its emails to the mail queue, whose cron runs
            # hourly: triggered at once here, as ours is by the bulk sending.
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env.ref("mail.ir_cron_mail_scheduler_action")._trigger()
            return False
        return moves_left == 0 and sms_left == 0

    return finished


def run_end_to_end(registry, n, tag, start, *, twilio, sink, checks, label, premade_pdf=False, timeout=3600):
    """Ask for a sending of ``n`` new invoices with ``start`` (:func:`start_ours`,
    :func:`start_odoo`), as the admin, and wait until the Twilio double and the SMTP sink got an SMS
    and an email for each, sent by the servers' crons, and the sending is done; return the seconds
    it took. Checked a few seconds later: each customer got exactly one SMS and one email."""
    import odoo  # noqa: PLC0415
    from odoo import SUPERUSER_ID  # noqa: PLC0415

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        admin_uid = env.ref("base.user_admin").id
        move_ids = make_invoices(env, env.ref("base.main_company"), n, tag, premade_pdf=premade_pdf).ids
    sms_before, mail_before = twilio.count, len(sink.messages)
    start_time = time.perf_counter()
    with registry.cursor() as cr:
        finished = start(odoo.api.Environment(cr, admin_uid, {}), move_ids)
    # Committed: the servers' cron workers take it from here.
    done = False
    while not done and time.perf_counter() - start_time < timeout:
        time.sleep(0.5)
        with registry.cursor() as cr:
            done = finished(cr)
        done = done and twilio.count - sms_before >= n and customer_emails(sink, mail_before, tag, n) >= n
    seconds = time.perf_counter() - start_time
    time.sleep(5)  # anything sent twice would arrive now
    new_sms = twilio.messages[: twilio.count - sms_before]  # newest first
    prefix = f"bench.{tag}."
    emails = [r for rcpts, _size in sink.messages[mail_before:] for r in rcpts if r.startswith(prefix)]
    outcome = (len(new_sms), len({m["to"] for m in new_sms}), len(emails), len(set(emails)), done)
    checks.append((
        f"N={n} end to end, {label}: {n} SMS to {n} numbers, {n} emails to {n} customers, done",
        outcome == (n, n, n, n, True), outcome,
    ))  # fmt: skip
    return seconds


def run_end_to_end_sizes(registry, common, sizes, *, twilio, sink, checks, servers=1, odoo_side=True,
                         odoo_pdf=False):  # fmt: skip
    """Start ``servers`` Odoo servers on the database, run the end-to-end sending of each size,
    ours then (with ``odoo_side``) Odoo's own, check the servers' logs; return the
    ``(n, servers, ours seconds, Odoo's seconds or None)`` rows."""
    print(f"==> Starting {servers} Odoo server(s), each with workers and 2 cron workers", flush=True)
    rows = []
    with contextlib.ExitStack() as stack:
        # Kept after the run (their paths are printed): which job ran when, and for how long.
        logs = [
            stack.enter_context(tempfile.NamedTemporaryFile(mode="w+", prefix=f"bench_send_server{i}_",
                                                            suffix=".log", delete=False))
            for i in range(servers)
        ]  # fmt: skip
        print("    server logs: " + ", ".join(log.name for log in logs), flush=True)
        running = []
        try:
            for log in logs:
                running.append(start_server(common, log))
            # Untimed, unchecked: both sides' first sending on these servers (templates compiled).
            print("==> Warm-up end to end (10 invoices each side, untimed)", flush=True)
            run_end_to_end(registry, 10, f"we{servers}r{RUN}", start_ours, twilio=twilio, sink=sink,
                           checks=[], label="warm-up")  # fmt: skip
            if odoo_side:
                run_end_to_end(registry, 10, f"wo{servers}r{RUN}", start_odoo, twilio=twilio, sink=sink,
                               checks=[], label="warm-up", premade_pdf=not odoo_pdf)  # fmt: skip
            for n in sizes:
                print(f"==> {n} invoices end to end, ours ({servers} server(s))", flush=True)
                label = f"ours, {servers} server(s)"
                ours = run_end_to_end(registry, n, f"e{n}s{servers}r{RUN}", start_ours, twilio=twilio,
                                      sink=sink, checks=checks, label=label)  # fmt: skip
                theirs = None
                if odoo_side:
                    print(f"==> {n} invoices end to end, Odoo's own sending", flush=True)
                    theirs = run_end_to_end(registry, n, f"o{n}s{servers}r{RUN}", start_odoo, twilio=twilio,
                                            sink=sink, checks=checks, label="Odoo's own",
                                            premade_pdf=not odoo_pdf)  # fmt: skip
                rows.append((n, servers, ours, theirs))
        finally:
            for server in running:
                devenv.stop(server)
        checks.extend(server_log_check(log) for log in logs)
    return rows


def server_log_check(log):
    """The check that no cron worker of the server hit a time limit nor logged an error: a sending
    of 10,000 invoices must go on in committed runs, each inside the limits."""
    log.seek(0)
    marks = (" ERROR ", " CRITICAL ", "time limit", "timeout after", "Traceback")
    bad = [line.rstrip() for line in log if any(mark in line for mark in marks)]
    return ("end to end: no time limit hit, no error in the server's log", not bad, bad[:10])


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated invoice counts")
    parser.add_argument("--warmup", type=int, default=10, help="invoices sent once, untimed, first (0: none)")
    parser.add_argument("--twilio-delay", type=float, default=0.0, help="seconds before each Twilio answer")
    parser.add_argument("--sms-concurrency", type=int, default=8, help="SMS handed to Twilio at once")
    parser.add_argument("--e2e-sizes", help="invoice counts of the end-to-end runs (default: --sizes)")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end runs")
    parser.add_argument("--no-odoo", action="store_true", help="skip Odoo's own sending, side by side")
    parser.add_argument(
        "--odoo-renders-pdf",
        action="store_true",
        help="Odoo's Send renders each invoice PDF (wkhtmltopdf) instead of finding it made",
    )
    parser.add_argument(
        "--two-servers-sizes",
        default="",
        help="invoice counts sent once more (ours) by two Odoo servers on the database",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--db", default=f"apl_bench_send_{os.getpid()}")
    return parser.parse_args()


def main():
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    e2e_sizes = [int(size) for size in (args.e2e_sizes or args.sizes).split(",") if size]
    two_servers_sizes = [int(size) for size in args.two_servers_sizes.split(",") if size]
    db = args.db
    twilio = TwilioProcess(args.twilio_delay)
    sink = SmtpSink()
    checks, rows, e2e_rows, created = [], [], [], False
    try:
        with devenv.addons_path() as addons_path:
            common = ["--database", db, "--addons-path", addons_path, "--without-demo", "all",
                      "--log-level", "warn"]  # fmt: skip
            if devenv.database_exists(db):  # --db of a kept database: skip the install (~2 minutes)
                print(f"==> Reusing {db}", flush=True)
            else:
                print(f"==> Creating {db}", flush=True)
                created = True
                modules = f"payment_demo,{devenv.ADDON_NAME}"
                subprocess.run([sys.executable, "-m", "odoo", *common, "--init", modules,
                                "--stop-after-init"], check=True, cwd="/")  # fmt: skip
            import odoo  # noqa: PLC0415

            odoo.tools.config.parse_config([*common, "--no-http"], setup_logging=True)
            logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # ~10 INFO lines per SMS
            registry = odoo.modules.registry.Registry(db)
            with registry.cursor() as cr:
                company = configure(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), twilio, sink.port)
                company.paylink_sms_concurrency = args.sms_concurrency
            if args.warmup:
                print(f"==> Warm-up ({args.warmup} invoices, untimed)", flush=True)
                run_size(registry, args.warmup, f"w{RUN}", twilio=twilio, sink=sink, checks=[])
            for n in sizes:
                print(f"==> {n} invoices", flush=True)
                phases = run_size(registry, n, f"n{n}r{RUN}", twilio=twilio, sink=sink, checks=checks)
                total = ("total", sum(p[1] for p in phases), sum(p[2] for p in phases))
                rows += [(n, *phase) for phase in [*phases, total]]
            if not args.no_e2e:
                e2e_rows = run_end_to_end_sizes(registry, common, e2e_sizes, twilio=twilio, sink=sink,
                                                checks=checks, odoo_side=not args.no_odoo,
                                                odoo_pdf=args.odoo_renders_pdf)  # fmt: skip
            if two_servers_sizes:
                e2e_rows += run_end_to_end_sizes(registry, common, two_servers_sizes, twilio=twilio,
                                                 sink=sink, checks=checks, servers=2,
                                                 odoo_side=False)  # fmt: skip
    finally:
        twilio.stop()
        sink.shutdown()
        if created and not args.keep_db:
            devenv.drop_database(db)
    return report(rows, e2e_rows, checks, args)


def report(rows, e2e_rows, checks, args):
    """Print the tables, the checks and the goals; return the exit status."""
    print(f"\n{'invoices':>8}  {'phase':<12} {'seconds':>8} {'queries':>8} {'queries/invoice':>16}")
    for n, name, seconds, queries in rows:
        print(f"{n:>8}  {name:<12} {seconds:>8.2f} {queries:>8} {queries / n:>16.1f}")
    concurrency = args.sms_concurrency
    if e2e_rows:
        print(f"\nend to end (s); Twilio bound = N x {args.twilio_delay} s / {concurrency} SMS at once")
        print(f"{'invoices':>8} {'servers':>7} {'ours':>8} {'Odoo':>8} {'ours/Odoo':>9} {'bound':>7}"
              f" {'ours/bound':>10} {'invoices/min':>12}")  # fmt: skip
        for n, servers, ours, theirs in e2e_rows:
            bound = n * args.twilio_delay / concurrency
            ratio = f"{ours / theirs:>9.2f}" if theirs else f"{'-':>9}"
            odoo = f"{theirs:>8.1f}" if theirs else f"{'-':>8}"
            print(f"{n:>8} {servers:>7} {ours:>8.1f} {odoo} {ratio} {bound:>7.0f}"
                  f" {ours / bound if bound else 0:>10.2f} {n * 60 / ours:>12.0f}")  # fmt: skip
    failed = [check for check in checks if not check[1]]
    for label, ok, value in checks:
        print(f"{'ok  ' if ok else 'FAIL'} {label}" + ("" if ok else f": got {value}"))
    for n, servers, ours, theirs in e2e_rows:
        if theirs:
            verdict = "met" if ours <= theirs else "NOT met"
            print(f"goal: ours / Odoo's <= 1.0 at {n}: {verdict} ({ours / theirs:.2f})")
        bound = n * args.twilio_delay / concurrency
        if n >= 10000 and bound:
            print(f"goal: {n} within 1.2x the Twilio bound ({servers} server(s)): "
                  f"{'met' if ours <= 1.2 * bound else 'NOT met'} ({ours / bound:.2f}x)")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make run`: a demo database served on http://localhost:8069, with no keys needed.

Creates (once) the database ``apl_demo`` with the addon, its demo data and Odoo's Demo payment
provider (``payment_demo``: payments are simulated, nothing is charged), or updates the addon in an
existing one to this checkout's code; points the company at the Twilio double (port 8421, whose
/outbox page lists the SMS "sent"), then serves Odoo until Ctrl-C, which stops everything it
started.

Environment: ``DEMO_DB`` (default apl_demo), ``HTTP_PORT`` (default 8069), ``RESET=1`` recreates
the database.
"""

import os
import signal
import subprocess
import sys

import devenv

DB = os.environ.get("DEMO_DB", "apl_demo")
HTTP_PORT = int(os.environ.get("HTTP_PORT", "8069"))
TWILIO_PORT = 8421

CONFIGURE = """
from odoo.addons.account_payment_link import const
ICP = env["ir.config_parameter"].sudo()
ICP.set_param(const.PARAM_TWILIO_API_BASE, {twilio!r})
ICP.set_param("web.base.url", "http://localhost:{port}")
for company in env["res.company"].search([]):
    company.write({{
        "paylink_twilio_account_sid": company.paylink_twilio_account_sid or "AC" + "0" * 32,
        "paylink_twilio_auth_token": company.paylink_twilio_auth_token or "demo-token",
        "paylink_twilio_sender": company.paylink_twilio_sender or "+15005550006",
        "paylink_sms_gateway": "twilio",
    }})
# Odoo's Demo provider takes the demo's payments: no keys, nothing charged.
demo = env.ref("payment.payment_provider_demo")
if demo.state == "disabled":
    demo.write({{"state": "test", "is_published": True, "allow_tokenization": True}})
env.cr.commit()
"""


def odoo(*args, command=()):
    return [sys.executable, "-m", "odoo", *command, "--database", DB, *args]


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    # Ctrl-C (and a plain `kill`) stop everything, even when started from a script that ignores SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    for port, what in ((HTTP_PORT, "Odoo"), (TWILIO_PORT, "the Twilio double")):
        if not devenv.port_is_free(port):
            devenv.fail(f"make run: port {port} (for {what}) is already in use; stop what uses it first.")
    if os.environ.get("RESET") and devenv.database_exists(DB):
        devenv.drop_database(DB)

    processes = []
    try:
        with devenv.addons_path() as addons_path:
            common = ["--addons-path", addons_path, "--db-filter", f"^{DB}$"]
            if not devenv.database_exists(DB):
                print(f"==> Creating the demo database {DB} (takes a few minutes the first time)", flush=True)
                rc = subprocess.call(
                    odoo(*common, "--init", f"payment_demo,{devenv.ADDON_NAME}", "--stop-after-init"), cwd="/"
                )
                if rc:
                    devenv.drop_database(DB)
                    devenv.fail("make run: installing the addon failed (see the log above)")
            else:
                # The database was made by an earlier checkout: bring the addon to this code first.
                print(f"==> Updating the addon in {DB}", flush=True)
                rc = subprocess.call(
                    odoo(*common, "--update", devenv.ADDON_NAME, "--stop-after-init", "--log-level", "warn"),
                    cwd="/",
                )
                if rc:
                    devenv.fail(
                        "make run: updating the addon failed (see the log above); RESET=1 starts afresh"
                    )

            twilio = subprocess.Popen(
                [
                    sys.executable,
                    str(devenv.ADDON_DIR / "tests/twilio_double.py"),
                    "--port",
                    str(TWILIO_PORT),
                ],
                start_new_session=True,
            )
            processes.append(twilio)
            twilio_url = f"http://127.0.0.1:{TWILIO_PORT}"
            if not devenv.wait_for_http(twilio_url + "/outbox", process=twilio):
                devenv.fail("make run: the Twilio double did not start")

            script = CONFIGURE.format(twilio=twilio_url, port=HTTP_PORT)
            shell = odoo(*common, "--no-http", command=["shell"])
            subprocess.run(shell, input=script.encode(), cwd="/", check=True, stdout=subprocess.DEVNULL)

            server = subprocess.Popen(
                odoo(*common, "--http-port", str(HTTP_PORT), "--max-cron-threads", "1"),
                cwd="/",
                start_new_session=True,
            )
            processes.append(server)
            if not devenv.wait_for_http(
                f"http://127.0.0.1:{HTTP_PORT}/web/login", timeout=120, process=server
            ):
                devenv.fail("make run: Odoo did not start (see the log above)")
            print(
                f"\n  Odoo:         http://localhost:{HTTP_PORT}"
                "\n  Log in as:    admin / admin (accountant), portal / portal (a customer)"
                f"\n  SMS outbox:   {twilio_url}/outbox"
                "\n  Payments:     Odoo's Demo provider (simulated; nothing is charged)"
                "\n  Reminders:    Settings > Technical > Scheduled Actions > 'Payment links: payment"
                "\n                reminders' > Run: Chen Wei's SMS reaches the outbox, Bright Bakery's"
                "\n                email the invoice's chatter"
                "\n  Ctrl-C stops everything.\n",
                flush=True,
            )
            server.wait()
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        for process in reversed(processes):
            devenv.stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())

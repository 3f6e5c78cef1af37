"""`make test`: the addon's suite and Odoo's own suites it could break, on a fresh database.

Runs Odoo's test runner (``--test-enable``) on a new, uniquely named database with
``account_payment_link`` installed, the tests of ``account_payment_link`` and of the Odoo suites it
could break selected (``account_payment``, ``payment``, ``payment_stripe``, ``payment_demo``,
``portal``, ``sms``; Odoo's ``payment_demo`` provider is installed too: the tours pay with it). Then
lint.

It reads Odoo's log and ends with one line ``N passed, N failed, N skipped``. It exits non-zero when
a test fails or errors, when a browser test is skipped (no Chromium, no websocket-client), when
Odoo logs an ERROR or CRITICAL line, when lint fails, or when no test ran at all.

Environment: ``TEST_TAGS`` replaces the selection (Odoo's ``--test-tags`` syntax);
``KEEP_DB=1`` keeps the database; ``TEST_LOG`` is where Odoo's log goes.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import devenv

CHROME_NAMES = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")
SUITES = [
    "account_payment_link",
    "account_payment",
    "payment",
    "payment_stripe",
    "payment_demo",
    "portal",
    "sms",
]
BROWSER_SKIP = re.compile(r"chrome|chromium|websocket|devtools|browser", re.IGNORECASE)
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>\S+): (?P<msg>.*)"
)
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
SKIP = re.compile(r"^skipped (?P<test>\S+) : (?P<reason>.*)")
MODULE_STATS = re.compile(r"^(?P<module>\w+): (?P<count>\d+) tests ")


def preflight():
    """Refuse to run when browser tests would be skipped: Odoo would count them as passed."""
    problems = []
    try:
        import websocket  # noqa: F401, PLC0415
    except ImportError:
        problems.append(
            "the Python package websocket-client is not installed (pip install -r requirements-test.txt)"
        )
    # The names Odoo's ChromeBrowser looks for on Linux (odoo.tests.common._find_executable).
    if not any(shutil.which(name) for name in CHROME_NAMES):
        problems.append("no Chromium or Chrome executable on PATH (apt-get install chromium)")
    if problems:
        devenv.fail(
            "make test: browser tests would be skipped and counted as passed, "
            "so the suite does not run:\n  - "
            + "\n  - ".join(problems)
            + "\nRun `make setup` to install what is missing.",
            closing="0 passed, 0 failed, 0 skipped",
        )


def lint():
    print("==> Lint (make lint)", flush=True)
    return subprocess.call(["bash", str(devenv.ADDON_DIR / "scripts/lint.sh")]) == 0


def run_odoo(db, addons_path, log_path):
    tags = os.environ.get("TEST_TAGS") or ",".join(f"/{m}" for m in SUITES)
    cmd = [
        sys.executable, "-m", "odoo",
        "--database", db,
        "--addons-path", addons_path,
        "--init", f"{devenv.ADDON_NAME},payment_demo",
        "--test-enable",
        "--test-tags", tags,
        "--stop-after-init",
        "--http-interface", "127.0.0.1",
        "--http-port", str(devenv.free_port()),
        "--gevent-port", str(devenv.free_port()),
        "--max-cron-threads", "0",
        "--log-level", "info",
        "--logfile", str(log_path),
    ]  # fmt: skip
    print(f"==> Odoo tests on database {db} (tags {tags}); log: {log_path}", flush=True)
    return subprocess.call(cmd, cwd="/")


def read_log(log_path):
    """Return the figures of an Odoo test log."""
    result = {"report": None, "skips": [], "errors": [], "modules": {}}
    for line in Path(log_path).read_text(errors="replace").splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        msg = match["msg"]
        if report := REPORT.search(msg):
            result["report"] = tuple(int(x) for x in report.groups())
        if skip := SKIP.match(msg):
            result["skips"].append((match["logger"], skip["test"], skip["reason"]))
        if match["logger"] == "odoo.tests.stats" and (stats := MODULE_STATS.match(msg)):
            result["modules"][stats["module"]] = result["modules"].get(stats["module"], 0) + int(
                stats["count"]
            )
        if match["level"] in ("ERROR", "CRITICAL") and not REPORT.search(msg):
            result["errors"].append(line)
    return result


def main():
    preflight()
    lint_ok = lint()
    db = f"apl_test_{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}"
    log_path = Path(os.environ.get("TEST_LOG") or Path(tempfile.gettempdir()) / f"{db}.log")
    started = time.monotonic()
    try:
        with devenv.addons_path() as addons_path:
            rc = run_odoo(db, addons_path, log_path)
    finally:
        if not os.environ.get("KEEP_DB"):
            devenv.drop_database(db)
    elapsed = time.monotonic() - started

    figures = read_log(log_path)
    problems = []
    if not lint_ok:
        problems.append("lint failed (see above)")
    if rc:
        problems.append(f"Odoo exited with status {rc}")
    if figures["report"] is None:
        problems.append("Odoo's log has no test report: it stopped before running the tests")
        failed, errors, run = 0, 0, 0
    else:
        failed, errors, run = figures["report"]
    if run == 0:
        problems.append("no test ran")
    browser_skips = [s for s in figures["skips"] if BROWSER_SKIP.search(s[2])]
    if browser_skips:
        problems.append(f"{len(browser_skips)} browser test(s) skipped:")
        problems += [f"    {logger} {test}: {reason}" for logger, test, reason in browser_skips]
    if figures["errors"]:
        problems.append(f"Odoo logged {len(figures['errors'])} ERROR/CRITICAL line(s):")
        problems += ["    " + line[:400] for line in figures["errors"][:40]]

    print(f"==> Tests per module: {figures['modules'] or 'none'}")
    for logger, test, reason in figures["skips"]:
        print(f"    skipped {logger} {test}: {reason}")
    print(f"==> Took {elapsed / 60:.1f} min")
    for problem in problems:
        print(("FAIL: " if not problem.startswith("    ") else "") + problem)
    skipped = len(figures["skips"])
    # Odoo counts a test with failing subtests once; failures and errors are counted per test.
    print(f"{max(run - failed - errors - skipped, 0)} passed, {failed + errors} failed, {skipped} skipped")
    return 1 if problems or failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())

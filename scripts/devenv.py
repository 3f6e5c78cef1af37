"""Helpers shared by `make test` and `make run`: find Odoo, build the addons path, run services."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parent.parent
ADDON_NAME = "account_payment_link"
VENV_PYTHON = ADDON_DIR / ".venv" / "bin" / "python"


def fail(message, closing=None):
    """Print ``message`` in red, then the optional plain ``closing`` line, and exit with 1."""
    print(f"\033[31m{message}\033[0m", file=sys.stderr, flush=True)
    if closing:
        print(closing, flush=True)
    sys.exit(1)


def odoo_dirs():
    """Return the addons folders of the importable Odoo (source tree or pip install)."""
    try:
        import odoo  # noqa: PLC0415
    except ImportError:
        fail("Odoo is not importable by this Python: run `make setup` first.")
    package = Path(odoo.__file__).resolve().parent
    # A source checkout has the addons beside the package; a pip install has them inside it.
    return [d for d in (package / "addons", package.parent / "addons") if d.is_dir()]


@contextlib.contextmanager
def addons_path():
    """Yield an ``--addons-path`` value in which this checkout is the ``account_payment_link`` addon.

    The repository root is the addon, whatever the checkout's folder is called, so a temporary
    folder holds a link named after the addon.
    """
    tmp = Path(tempfile.mkdtemp(prefix="apl-addons-"))
    try:
        (tmp / ADDON_NAME).symlink_to(ADDON_DIR, target_is_directory=True)
        yield ",".join(str(d) for d in [tmp, *odoo_dirs()])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port):
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for_http(url, timeout=30.0, process=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 (loopback)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(process, timeout=10):
    """Stop a child started in its own session, and everything it started."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def drop_database(name):
    """Drop database ``name`` and its filestore; say so when it cannot."""
    import psycopg2  # noqa: PLC0415

    try:
        conn = psycopg2.connect(dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
    except psycopg2.Error as error:
        print(f"warning: could not drop database {name}: {error}", file=sys.stderr)
    from odoo.tools import config  # noqa: PLC0415

    shutil.rmtree(config.filestore(name), ignore_errors=True)


def database_exists(name):
    import psycopg2  # noqa: PLC0415

    conn = psycopg2.connect(dbname="postgres")
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = bool(cr.fetchone())
    conn.close()
    return found

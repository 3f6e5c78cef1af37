"""`make pot`: refresh i18n/account_payment_link.pot with Odoo's own export.

The addon is copied without its virtualenv, tests, scripts and benchmarks (their strings are not
the addon's), installed on a throwaway database, exported, and the database dropped. Then update
each translation with `msgmerge --no-wrap -U i18n/es.po i18n/account_payment_link.pot`.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import devenv

IGNORED = shutil.ignore_patterns(".venv", ".git", "tests", "scripts", "bench", "__pycache__", "*.pyc")


def main():
    db = f"apl_pot_{time.strftime('%Y%m%d_%H%M%S')}"
    pot = devenv.ADDON_DIR / "i18n" / f"{devenv.ADDON_NAME}.pot"
    with tempfile.TemporaryDirectory() as folder:
        shutil.copytree(devenv.ADDON_DIR, Path(folder) / devenv.ADDON_NAME, ignore=IGNORED)
        addons_path = ",".join([folder, *map(str, devenv.odoo_dirs())])
        port = str(devenv.free_port())
        common = [sys.executable, "-m", "odoo", "--database", db, "--addons-path", addons_path,
                  "--stop-after-init", "--http-port", port, "--log-level", "warn"]  # fmt: skip
        try:
            print(f"==> Installing the addon on {db}", flush=True)
            subprocess.run(
                [*common, "--init", devenv.ADDON_NAME, "--without-demo", "all"], check=True, cwd="/"
            )
            print(f"==> Exporting {pot.relative_to(devenv.ADDON_DIR)}", flush=True)
            subprocess.run(
                [*common, f"--i18n-export={pot}", f"--modules={devenv.ADDON_NAME}"], check=True, cwd="/"
            )
        finally:
            devenv.drop_database(db)


if __name__ == "__main__":
    main()

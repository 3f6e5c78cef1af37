"""Issue 19.6: the pay page's scripts (``account_payment_link.assets_pay_page``) are Odoo's
frontend scripts trimmed to what a link's page runs, and no module in them imports one that is not
(a missing module stops Odoo's public widgets, the payment form among them)."""

from pathlib import Path
from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from ..models import ir_asset
from ..models.ir_asset import IMPORT, PAY_PAGE_BUNDLE, _module_name, _resolve_import


@tagged("post_install", "-at_install")
class TestPayPageAssets(TransactionCase):
    def scripts(self, bundle):
        paths = self.env["ir.asset"]._get_asset_paths(bundle, {})
        return {_module_name(entry[0]): entry[1] for entry in paths if entry[0].endswith(".js")}

    def test_every_import_of_the_pay_page_scripts_is_in_them(self):
        scripts = self.scripts(PAY_PAGE_BUNDLE)
        odoos = self.scripts("web.assets_frontend_lazy")  # aliases (@odoo/owl) are not files
        missing = []
        for name, full_path in scripts.items():
            for spec in IMPORT.findall(Path(full_path).read_text(encoding="utf-8")):
                imported = _resolve_import(name, spec)
                known = {imported, f"{imported}/index"}
                if known & odoos.keys() and not known & scripts.keys():
                    missing.append(f"{name} imports {spec}")
        self.assertEqual(missing, [])

    def test_the_pay_page_runs_less_than_odoos_frontend(self):
        """The payment form, its providers and the page's own script are in; other addons' scripts
        and the web client's editors are out; what is left weighs less than three quarters."""
        ours = self.scripts(PAY_PAGE_BUNDLE)
        odoos = self.scripts("web.assets_frontend_lazy")
        for name in (
            "@payment/js/payment_form",
            "@payment_demo/js/payment_form",
            "@web_tour/tour_service/tour_service",
        ):
            self.assertIn(name, ours)
        self.assertTrue(any(name.startswith("@account_payment_link/") for name in ours))
        other_addons = {name.split("/")[0] for name in odoos} - {name.split("/")[0] for name in ours}
        self.assertTrue({"@html_editor", "@web_editor"} <= other_addons, other_addons)
        self.assertNotIn("@web/core/tree_editor/tree_editor", ours)
        size = lambda scripts: sum(Path(path).stat().st_size for path in scripts.values())  # noqa: E731
        self.assertLess(size(ours), 0.75 * size(odoos))

    def test_a_dropped_module_that_a_kept_one_imports_comes_back(self):
        """Whatever another addon's script imports from a dropped folder comes back with it: here
        Odoo's domains (kept) import the Python expression evaluator, dropped for the test."""
        odoos = self.scripts("web.assets_frontend_lazy")
        self.assertIn("@web/core/py_js/py", odoos)
        with patch.object(ir_asset, "DROPPED", (*ir_asset.DROPPED, "/web/static/src/core/py_js/")):
            paths = self.env["ir.asset"]._get_asset_paths(PAY_PAGE_BUNDLE, {})
        names = {_module_name(entry[0]) for entry in paths}
        self.assertIn("@web/core/domain", names)
        self.assertIn("@web/core/py_js/py", names)
        self.assertIn("@web/core/py_js/py_parser", names)  # and what it imports in turn

"""Issue 19.6: the pay page's scripts (``account_payment_link.assets_pay_page``) are Odoo's
frontend scripts trimmed to what a link's page runs, and no module in them imports one that is not
(a missing module stops Odoo's public widgets, the payment form among them)."""

from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import config

from ..models import ir_asset
from ..models.ir_asset import IMPORT, PAY_PAGE_BUNDLE, PAY_PAGE_TOURS_BUNDLE, _module_name, _resolve_import
from .common import PaylinkPaymentCommon


@tagged("post_install", "-at_install")
class TestPayPageAssets(TransactionCase):
    def scripts(self, bundle):
        """The bundle's ES modules, by every name they are imported by (their aliases too)."""
        paths = self.env["ir.asset"]._get_asset_paths(bundle, {})
        return {name: entry[1] for name, entry in ir_asset._scripts(paths).items()}

    def missing_imports(self, scripts):
        """The imports of ``scripts`` (of Odoo's frontend scripts) that they do not hold."""
        odoos = self.scripts("web.assets_frontend_lazy")  # aliases (@odoo/owl) are not files
        missing = []
        for name, full_path in scripts.items():
            for spec in IMPORT.findall(Path(full_path).read_text(encoding="utf-8")):
                imported = _resolve_import(name, spec)
                known = {imported, f"{imported}/index"}
                if known & odoos.keys() and not known & scripts.keys():
                    missing.append(f"{name} imports {spec}")
        return missing

    def test_every_import_of_the_pay_page_scripts_is_in_them(self):
        """The customer's page on its own, and with the tours' scripts in test mode."""
        page = self.scripts(PAY_PAGE_BUNDLE)
        self.assertEqual(self.missing_imports(page), [])
        self.assertEqual(self.missing_imports({**page, **self.scripts(PAY_PAGE_TOURS_BUNDLE)}), [])

    def test_the_tours_are_a_bundle_of_their_own(self):
        """Odoo's tour service and its DOM helpers are not in the customer's scripts but in the
        tests' bundle, which holds nothing the customer's already does."""
        page = self.scripts(PAY_PAGE_BUNDLE)
        tours = self.scripts(PAY_PAGE_TOURS_BUNDLE)
        self.assertNotIn("@web_tour/tour_service/tour_service", page)
        self.assertNotIn("@web/core/macro", page)
        self.assertFalse([name for name in page if "hoot-dom" in name])
        self.assertIn("@web_tour/tour_service/tour_service", tours)
        self.assertIn("@web/core/macro", tours)  # imported by the tours only: it comes with them
        self.assertTrue(any("hoot-dom" in name for name in tours), sorted(tours))
        self.assertFalse(page.keys() & tours.keys())

    def test_the_pay_page_runs_less_than_odoos_frontend(self):
        """The payment form, its providers and the page's own script are in; other addons' scripts
        and the web client's editors are out; what is left weighs less than three quarters."""
        ours = self.scripts(PAY_PAGE_BUNDLE)
        odoos = self.scripts("web.assets_frontend_lazy")
        for name in ("@payment/js/payment_form", "@payment_demo/js/payment_form", "@web/core/orm_service"):
            self.assertIn(name, ours)
        self.assertTrue(any(name.startswith("@account_payment_link/") for name in ours))
        other_addons = {name.split("/")[0] for name in odoos} - {name.split("/")[0] for name in ours}
        self.assertTrue({"@html_editor", "@web_editor"} <= other_addons, other_addons)
        self.assertNotIn("@web/core/tree_editor/tree_editor", ours)
        self.assertNotIn("@portal/js/portal_composer", ours)
        size = lambda scripts: sum(Path(path).stat().st_size for path in scripts.values())  # noqa: E731
        self.assertLess(size(ours), 0.6 * size(odoos))

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

    def test_a_module_imported_by_its_alias_comes_back(self):
        """Odoo's tour service (kept for the test) imports the tours' DOM helpers by their alias
        (``@odoo/hoot-dom``): they come back although their folder is dropped."""
        with patch.object(ir_asset, "KEPT_ADDONS", {*ir_asset.KEPT_ADDONS, "web_tour"}):
            paths = self.env["ir.asset"]._get_asset_paths(PAY_PAGE_BUNDLE, {})
        self.assertIn("/web/static/lib/hoot-dom/hoot-dom.js", [entry[0] for entry in paths])

    def test_a_module_brings_the_templates_of_its_folder_only(self):
        """The tours bring back ``@web/core/macro`` (``web/static/src/core/``), not the templates of
        the dropped components under that folder (an autocomplete, a drop zone)."""
        paths = [entry[0] for entry in self.env["ir.asset"]._get_asset_paths(PAY_PAGE_TOURS_BUNDLE, {})]
        self.assertIn("/web/static/src/core/macro.js", paths)
        dropped = ("/web/static/src/core/autocomplete/", "/web/static/src/core/dropzone/")
        self.assertEqual([path for path in paths if path.startswith(dropped)], [])


@tagged("post_install", "-at_install")
class TestPayPageAsACustomerLoadsIt(PaylinkPaymentCommon, HttpCase):
    def test_the_page_runs_without_the_tests_scripts(self):
        """Outside test mode (as a customer's browser gets it) the page has neither Odoo's tests'
        scripts nor the tour service, and Odoo's payment form still starts: its widget and ours
        ran (the test mode icon got its tooltip, then its role), with no error in the console."""
        self.company.paylink_balance_partial = True  # the balance page's part field, and its script
        links = {
            "invoice": self.make_link(link_type="invoice", move_id=self.invoice.id),
            "balance": self.make_link(link_type="balance", partner_id=self.customer.id),
        }
        for kind, link in links.items():
            with self.subTest(kind=kind):
                self.load_as_a_customer(f"/pay/{self.token_of(link)}")

    def load_as_a_customer(self, url):
        with patch.dict(config.options, {"test_enable": False, "test_file": False}):
            page = self.url_open(url).text
            self.assertIn("account_payment_link.assets_pay_page.min.js", page)
            self.assertNotIn("account_payment_link.assets_pay_page_tours.min.js", page)
            self.assertNotIn("web.assets_tests", page)
            self.browser_js(
                url,
                """
                if (odoo.startTour) {
                    throw new Error("the tour service runs on a customer's page");
                }
                if (document.querySelector('button[name="o_payment_submit_button"]').disabled) {
                    throw new Error("the pay button is disabled");
                }
                console.log("test successful");
                """,
                ready="""!!document.querySelector('#o_payment_form i.fa[aria-label][role="img"]')""",
            )

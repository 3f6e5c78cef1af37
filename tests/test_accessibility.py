"""axe-core on the customer's pages in Chromium (issue 19.5): the pay page, the success page, a
paid link's page and the 404 page. No serious or critical violation; none at all, moderate ones
included, on this app's own markup. A violation inside Odoo's payment form (``#o_payment_form``,
Odoo's markup) is allowed only when listed in ``ODOO_KNOWN`` (and in the README with the Odoo
file it comes from).

axe-core is installed from the npm registry by ``make setup`` (``.node/``); without it the test
fails, saying so.
"""

import json
from pathlib import Path

from odoo.tests import HttpCase, tagged

from .common import PaylinkPaymentCommon

AXE = Path(__file__).resolve().parent.parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"

# axe rules that Odoo's own payment form breaks, by the Odoo file they come from (README).
ODOO_KNOWN = {}

CHECK = """
(async () => {
    // The page's scripts have run too (Odoo's lazy loader is done): what they change is checked.
    const ready = () =>
        document.querySelector(%(ready)s)
        && document.readyState === "complete"
        && !document.body.classList.contains("o_lazy_js_waiting");
    for (let i = 0; i < 100 && !ready(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const results = await axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
    });
    const known = %(known)s;
    const problems = [];
    for (const violation of results.violations) {
        for (const node of violation.nodes) {
            const element = document.querySelector(node.target[node.target.length - 1]);
            const inOdooForm = Boolean(element && element.closest("#o_payment_form"));
            const serious = ["serious", "critical"].includes(node.impact);
            if (inOdooForm ? serious && !known[violation.id] : true) {
                problems.push(`${node.impact} ${violation.id}: ${node.target.join(" ")}: ${violation.help}`);
            }
        }
    }
    if (problems.length) {
        console.error("axe-core: " + problems.join(" | "));
    } else {
        console.log("test successful");
    }
})();
"""


@tagged("post_install", "-at_install")
class TestAccessibility(PaylinkPaymentCommon, HttpCase):
    browser_size = "375x667"
    touch_enabled = True

    def check(self, url, ready):
        self.assertTrue(AXE.is_file(), f"axe-core is not installed ({AXE}): run make setup")
        code = AXE.read_text() + "\n" + CHECK % {"ready": json.dumps(ready), "known": json.dumps(ODOO_KNOWN)}
        self.browser_js(url, code, timeout=90)

    def test_the_customers_pages_pass_axe(self):
        self.company.write({"street": "1 Main Street", "city": "Springfield", "phone": "+1 555 0100",
                            "email": "billing@example.com", "paylink_tip_custom": True})  # fmt: skip
        terms = self.make_terms("30 % now, 70 % in 30 days", [(30, 0), (70, 30)])
        invoice = self.make_posted_invoice(terms=terms)
        link = self.make_link(link_type="invoice", move_id=invoice.id)
        token = self.token_of(link)
        self.check(f"/pay/{token}", "button[name=o_payment_submit_button]")
        balance = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.check(f"/pay/{self.token_of(balance)}", "button[name=o_payment_submit_button]")
        self.pay_link(link, payment_choice="full")
        self.check(f"/pay/{token}/return", ".o_paylink_downloads")
        self.check(f"/pay/{token}", ".o_paylink_unavailable")
        self.check("/pay/" + "A" * 43, ".o_paylink_not_found")

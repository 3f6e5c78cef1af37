"""Screenshots of the settings section in Chromium, for a person to look at: *Test Twilio* and
*Check payment setup* with their results, found by the settings search. Not part of `make test`
(its own tag): `TEST_TAGS=paylink_screenshots make test`; the PNG files land in Odoo's screenshots
folder (``--screenshots``, by default ``/tmp/odoo_tests/<database>/screenshots``)."""

from odoo.tests import HttpCase, tagged

from .common import PaylinkTestCommon, screenshot_before_the_browser_closes
from .test_stripe import stripe_answering_the_setup_check

# Search the settings, click a button, wait for its result, then say so.
CODE = """
(async () => {
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const find = async (selector, test = () => true) => {
        for (let i = 0; i < 200; i++) {
            const found = [...document.querySelectorAll(selector)].find(test);
            if (found) { return found; }
            await sleep(100);
        }
        throw new Error("not found: " + selector);
    };
    const input = await find(".o_searchview_input, .o_setting_search input");
    input.value = "%(search)s";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    await sleep(1000);
    (await find("button", (b) => b.textContent.includes("%(button)s"))).click();
    await find("%(result)s li");
    await sleep(800);
    console.log("test successful");
})();
"""


@tagged("-standard", "-at_install", "post_install", "paylink_screenshots")
class TestSettingsScreenshots(PaylinkTestCommon, HttpCase):
    def screenshot(self, name, search, button, result):
        # The administrator works in the suite's company (Twilio as its gateway, its providers).
        admin = self.env.ref("base.user_admin")
        admin.write({"company_ids": [(4, self.company.id)], "company_id": self.company.id})
        # The test company's cash-basis taxes (Odoo's test data) would make saving the settings,
        # which every settings button does first, refuse to turn their option off.
        self.env["account.tax"].search([("company_id", "=", self.company.id)]).tax_exigibility = "on_invoice"
        code = CODE % {"search": search, "button": button, "result": result}
        with screenshot_before_the_browser_closes(name, 1280, 1400):
            self.browser_js("/odoo/settings#account", code, login="admin", timeout=90)

    def test_twilio(self):
        self.screenshot("paylink_settings_twilio_", "Twilio", "Test Twilio", ".o_paylink_twilio_check_result")

    def test_stripe(self):
        stripe = self.env.ref("payment.payment_provider_stripe").sudo().copy({"company_id": self.company.id})
        stripe.write(
            {
                "state": "test",
                "is_published": True,
                "stripe_publishable_key": "pk_test_paylink",
                "stripe_secret_key": "sk_test_paylink",
                "stripe_webhook_secret": "whsec_" + "a" * 32,
            }
        )
        with stripe_answering_the_setup_check():
            self.screenshot(
                "paylink_settings_stripe_", "Stripe", "Check payment setup", ".o_paylink_check_result"
            )

"""Screenshots of the customer's page on a phone, for a person to look at: an invoice in
installments, an amount agreed, a balance with its invoices to tick and a credit, the success
page with its downloads, the 404 page. Not part of `make test` (its own tag):
`TEST_TAGS=paylink_screenshots make test`; the PNG files land in Odoo's screenshots folder
(``/tmp/odoo_tests/<database>/screenshots``)."""

from odoo.tests import HttpCase, tagged

from .common import PaylinkPaymentCommon, screenshot_before_the_browser_closes

WAIT = """
(async () => {
    for (let i = 0; i < 100 && !document.querySelector("%(ready)s"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    console.log("test successful");
})();
"""


@tagged("-standard", "-at_install", "post_install", "paylink_screenshots")
class TestPayPageScreenshots(PaylinkPaymentCommon, HttpCase):
    browser_size = "375x667"
    touch_enabled = True

    def shoot(self, name, url, ready):
        with screenshot_before_the_browser_closes(name, 375, 1500, scale=2, mobile=True):
            self.browser_js(url, WAIT % {"ready": ready}, timeout=60)

    def test_pay_pages_on_a_phone(self):
        self.company.write({"street": "1 Main Street", "city": "Springfield", "phone": "+1 555 0100",
                            "email": "billing@example.com", "paylink_tip_custom": True})  # fmt: skip
        terms = self.make_terms("30 % now, 70 % in 30 days", [(30, 0), (70, 30)])
        link = self.make_link(
            link_type="invoice", move_id=self.make_posted_invoice(name="Garden work, May", terms=terms).id
        )
        self.shoot(
            "paylink_phone_installment_",
            f"/pay/{self.token_of(link)}",
            "button[name=o_payment_submit_button]",
        )
        agreed = self.make_link(
            link_type="invoice",
            move_id=self.make_posted_invoice(name="Garden work, May").id,
            requested_amount=400.0,
        )
        self.shoot(
            "paylink_phone_agreed_", f"/pay/{self.token_of(agreed)}", "button[name=o_payment_submit_button]"
        )
        self.init_invoice(
            "out_invoice", partner=self.customer, amounts=[50.0], invoice_date="2010-01-01", post=True
        )
        self.init_invoice("out_refund", partner=self.customer, amounts=[30.0], post=True)
        balance = self.make_link(link_type="balance", partner_id=self.customer.id)
        self.shoot(
            "paylink_phone_balance_", f"/pay/{self.token_of(balance)}", "button[name=o_payment_submit_button]"
        )
        self.pay_link(agreed, tip_percent="custom", tip_amount="10")
        self.shoot("paylink_phone_success_", f"/pay/{self.token_of(agreed)}/return", ".o_paylink_downloads")
        self.shoot("paylink_phone_not_found_", "/pay/" + "A" * 43, ".o_paylink_not_found")

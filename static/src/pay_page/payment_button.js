import paymentButton from "@payment/js/payment_button";

/**
 * Odoo's pay button, on a balance link's page: Odoo enables it once a payment method is chosen
 * (``_canSubmit``, the hook Odoo's button offers for other conditions); here it also needs
 * something to pay: no invoice ticked, or credits that cover the invoices ticked, keep it off
 * while the page says why (the transaction route refuses those choices in any case).
 */
paymentButton.include({
    /**
     * @override from @payment/js/payment_button
     */
    _canSubmit() {
        const form = document.querySelector(".o_paylink_form");
        return this._super(...arguments) && form?.dataset.paylinkNothingToPay !== "1";
    },
});

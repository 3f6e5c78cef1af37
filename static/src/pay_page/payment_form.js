import PaymentForm from "@payment/js/payment_form";

/**
 * Odoo's payment form, on the payment link page: the tip the customer chooses changes the amount
 * the form shows and the providers' inline forms (e.g. Stripe's Payment Element) prepare for. The
 * server computes the amount again from the tip; the amount sent by the browser is ignored.
 */
PaymentForm.include({
    async start() {
        await this._super(...arguments);
        this.paylinkPage = this.el.closest(".o_paylink_page");
        if (!this.paylinkPage) {
            return;
        }
        for (const radio of this.paylinkPage.querySelectorAll("input[name=tip_percent]")) {
            radio.addEventListener("change", () => this._paylinkApplyTip(radio));
        }
    },

    /**
     * @private
     * @param {HTMLInputElement} radio - The chosen tip.
     */
    _paylinkApplyTip(radio) {
        this.paymentContext.amount = radio.dataset.amount;
        const total = this.paylinkPage.querySelector(".o_paylink_total");
        if (total) {
            total.textContent = radio.dataset.totalLabel;
        }
        this._paylinkUpdateStripeAmount();
    },

    /**
     * Stripe's Payment Element (and the wallets' sheets) must show the amount it will confirm,
     * tip included, also when it is created after the tip was chosen.
     *
     * @private
     */
    _paylinkUpdateStripeAmount() {
        const tip = this.paylinkPage?.querySelector("input[name=tip_percent]:checked");
        if (!tip) {
            return;
        }
        for (const elements of Object.values(this.stripeElements ?? {})) {
            elements.update({ amount: parseInt(tip.dataset.minorAmount) });
        }
    },

    /**
     * @override
     */
    async _prepareInlineForm() {
        await this._super(...arguments);
        this._paylinkUpdateStripeAmount();
    },

    /**
     * Add the chosen tip and the SMS consent to the transaction route's parameters.
     *
     * @override
     */
    _prepareTransactionRouteParams() {
        const params = this._super(...arguments);
        if (this.paylinkPage) {
            const tip = this.paylinkPage.querySelector("input[name=tip_percent]:checked");
            params.tip_percent = tip ? tip.value : 0;
            params.sms_consent = Boolean(
                this.paylinkPage.querySelector("input[name=sms_consent]:checked")
            );
        }
        return params;
    },
});

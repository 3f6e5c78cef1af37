import PaymentForm from "@payment/js/payment_form";

/**
 * Odoo's payment form, on the payment link page: the amount the customer chooses (an installment
 * or the full amount) and the tip change the amount the form shows and the providers' inline forms
 * (e.g. Stripe's Payment Element) prepare for. The server computes the amount again from both
 * choices; the amount sent by the browser is ignored.
 */
PaymentForm.include({
    async start() {
        await this._super(...arguments);
        this.paylinkPage = this.el.closest(".o_paylink_page");
        if (!this.paylinkPage) {
            return;
        }
        const form = this.paylinkPage.querySelector(".o_paylink_form");
        this.paylinkTotals = JSON.parse(form?.dataset.paylinkTotals || "{}");
        for (const radio of this.paylinkPage.querySelectorAll(
            "input[name=tip_percent], input[name=payment_choice]"
        )) {
            radio.addEventListener("change", () => this._paylinkApplyChoices());
        }
        this.paylinkPage
            .querySelector("input[name=tip_amount]")
            ?.addEventListener("input", () => this._paylinkApplyChoices());
        // What the browser may have restored (back button): the shown total follows the radios.
        this._paylinkApplyChoices();
    },

    /**
     * @private
     * @returns {Object|undefined} The chosen amount's and tip's total, from the page's totals.
     */
    _paylinkGetTotal() {
        const choice = this.paylinkPage.querySelector("input[name=payment_choice]:checked");
        const tip = this.paylinkPage.querySelector("input[name=tip_percent]:checked");
        const tips = choice
            ? this.paylinkTotals[choice.value]
            : Object.values(this.paylinkTotals)[0];
        if (tip?.value === "custom") {
            return this._paylinkGetCustomTotal(tips?.["0"]);
        }
        return tips?.[tip ? tip.value : "0"];
    },

    /**
     * The total with the tip the customer entered: the amount without a tip plus that tip, shown
     * as the page shows amounts (the server checks and computes it again).
     *
     * @private
     * @param {Object} base The chosen amount's total without a tip.
     * @returns {Object|undefined}
     */
    _paylinkGetCustomTotal(base) {
        if (!base) {
            return undefined;
        }
        const entered = parseFloat(this.paylinkPage.querySelector("input[name=tip_amount]")?.value);
        const tip = Number.isFinite(entered) && entered > 0 ? entered : 0;
        const factor = base.amount ? base.minor_amount / base.amount : 100;
        const digits = Math.max(0, Math.round(Math.log10(factor)));
        const format = (value) =>
            base.label.replace(
                /\d[\d.,\u00a0\u202f ]*\d|\d/,
                new Intl.NumberFormat((document.documentElement.lang || "en-US").replace("_", "-"), {
                    minimumFractionDigits: digits,
                    maximumFractionDigits: digits,
                }).format(value)
            );
        const amount = Math.round((base.amount + tip) * factor) / factor;
        return {
            amount,
            minor_amount: Math.round(amount * factor),
            label: format(amount),
            tip_label: format(tip),
        };
    },

    /**
     * Show the total of the chosen amount and tip, and each tip's amount for the chosen amount.
     *
     * @private
     */
    _paylinkApplyChoices() {
        const tipRadio = this.paylinkPage.querySelector("input[name=tip_percent]:checked");
        this.paylinkPage
            .querySelector(".o_paylink_tip_custom")
            ?.classList.toggle("d-none", tipRadio?.value !== "custom");
        const total = this._paylinkGetTotal();
        if (!total) {
            return;
        }
        this.paymentContext.amount = total.amount;
        const label = this.paylinkPage.querySelector(".o_paylink_total");
        if (label) {
            label.textContent = total.label;
        }
        const payLabel = this.paylinkPage.querySelector(".o_paylink_form")?.dataset.paylinkPayLabel;
        const button = this.el.querySelector("button[name=o_payment_submit_button]");
        if (button && payLabel) {
            button.textContent = payLabel.replace("{amount}", total.label);
        }
        const choice = this.paylinkPage.querySelector("input[name=payment_choice]:checked");
        const tips = choice ? this.paylinkTotals[choice.value] : {};
        for (const radio of this.paylinkPage.querySelectorAll("input[name=tip_percent]")) {
            const tipLabel = this.paylinkPage.querySelector(
                `label[for="${radio.id}"] .o_paylink_tip_amount`
            );
            if (tipLabel && tips[radio.value]) {
                tipLabel.textContent = tips[radio.value].tip_label;
            }
        }
        this._paylinkUpdateStripeAmount();
    },

    /**
     * Stripe's Payment Element (and the wallets' sheets) must show the amount it will confirm,
     * tip included, also when it is created after the amount or the tip was chosen.
     *
     * @private
     */
    _paylinkUpdateStripeAmount() {
        const total = this.paylinkPage && this._paylinkGetTotal();
        if (!total) {
            return;
        }
        for (const elements of Object.values(this.stripeElements ?? {})) {
            elements.update({ amount: parseInt(total.minor_amount) });
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
     * Add the chosen amount, the chosen tip and the SMS consent to the transaction route's
     * parameters.
     *
     * @override
     */
    _prepareTransactionRouteParams() {
        const params = this._super(...arguments);
        if (this.paylinkPage) {
            const tip = this.paylinkPage.querySelector("input[name=tip_percent]:checked");
            params.tip_percent = tip ? tip.value : 0;
            if (tip?.value === "custom") {
                params.tip_amount = this.paylinkPage.querySelector("input[name=tip_amount]").value;
            }
            const choice = this.paylinkPage.querySelector("input[name=payment_choice]:checked");
            if (choice) {
                params.payment_choice = choice.value;
            }
            params.sms_consent = Boolean(
                this.paylinkPage.querySelector("input[name=sms_consent]:checked")
            );
        }
        return params;
    },
});

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
        // Odoo's form icons (payment's `payment.form_icon`) get an aria-label from Bootstrap's
        // tooltip but no role: screen readers are told they are images (axe: aria-prohibited-attr).
        for (const icon of this.el.querySelectorAll("i.fa[aria-label]:not([role])")) {
            icon.setAttribute("role", "img");
        }
        const form = this.paylinkPage.querySelector(".o_paylink_form");
        this.paylinkTotals = JSON.parse(form?.dataset.paylinkTotals || "{}");
        // A balance page: the tips are percentages of the invoices the customer ticks.
        this.paylinkTips = form?.dataset.paylinkTips ? JSON.parse(form.dataset.paylinkTips) : null;
        for (const radio of this.paylinkPage.querySelectorAll(
            "input[name=tip_percent], input[name=payment_choice], input[name=paylink_invoice]"
        )) {
            radio.addEventListener("change", () => this._paylinkApplyChoices());
        }
        for (const input of this.paylinkPage.querySelectorAll(
            "input[name=tip_amount], input[name=part_amount]"
        )) {
            input.addEventListener("input", () => this._paylinkApplyChoices());
        }
        // What the browser may have restored (back button): the shown total follows the radios.
        this._paylinkApplyChoices();
    },

    /**
     * @private
     * @returns {Object|undefined} The chosen amount's and tip's total, from the page's totals.
     */
    _paylinkGetTotal() {
        if (this.paylinkTips) {
            return this._paylinkGetBalanceTotal();
        }
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
        return this._paylinkMakeTotal(base, base.amount, this._paylinkGetEnteredTip());
    },

    /**
     * @private
     * @returns {number} The tip the customer entered, 0 when none or not a number.
     */
    _paylinkGetEnteredTip() {
        const entered = parseFloat(this.paylinkPage.querySelector("input[name=tip_amount]")?.value);
        return Number.isFinite(entered) && entered > 0 ? entered : 0;
    },

    /**
     * The total of a balance page: the invoices ticked less the credits (or the part the customer
     * entered, when the company allows it), plus the tip. The server computes it again.
     *
     * @private
     * @returns {Object|undefined} The total, with ``ticked`` (the invoices ticked less the
     *     credits), ``base_label`` (the amount paid before the tip),
     *     ``empty`` (nothing to pay for the invoices ticked) and ``tips`` (each tip's label).
     */
    _paylinkGetBalanceTotal() {
        const reference = this.paylinkTotals.full?.["0"];
        if (!reference) {
            return undefined;
        }
        const factor = this._paylinkGetFactor(reference);
        const credit = parseFloat(
            this.paylinkPage.querySelector(".o_paylink_form").dataset.paylinkCredit || "0"
        );
        let base = -credit;
        for (const box of this.paylinkPage.querySelectorAll("input[name=paylink_invoice]:checked")) {
            base += parseFloat(box.dataset.amount);
        }
        base = Math.round(base * factor) / factor;
        const ticked = base;
        const empty = base <= 0;
        const part = this._paylinkGetPart(base);
        if (!empty && part) {
            base = part;
        }
        const tipOf = (percent) => Math.round(((base * percent) / 100) * factor) / factor;
        const tipRadio = this.paylinkPage.querySelector("input[name=tip_percent]:checked");
        let tip = 0;
        if (tipRadio?.value === "custom") {
            tip = this._paylinkGetEnteredTip();
        } else if (tipRadio) {
            tip = tipOf(parseFloat(tipRadio.value) || 0);
        }
        const total = this._paylinkMakeTotal(reference, Math.max(base, 0), tip);
        total.empty = empty;
        total.ticked = ticked;
        total.base_label = this._paylinkMakeTotal(reference, Math.max(base, 0), 0).label;
        // Keyed as the tip radios' values ("18.0"), which the labels under them are looked up by.
        total.tips = Object.fromEntries(
            [...this.paylinkPage.querySelectorAll("input[name=tip_percent]")]
                .filter((radio) => radio.value !== "custom")
                .map((radio) => [
                    radio.value,
                    {
                        tip_label: this._paylinkMakeTotal(reference, 0, tipOf(parseFloat(radio.value) || 0))
                            .tip_label,
                    },
                ])
        );
        return total;
    },

    /**
     * The part of a balance the customer entered, rounded to the currency, when it is one the
     * page takes (more than nothing, less than what is ticked); else ``undefined``: the whole.
     *
     * @private
     * @param {number} base What the invoices ticked come to, less the credits.
     * @returns {number|undefined}
     */
    _paylinkGetPart(base) {
        const reference = this.paylinkTotals.full?.["0"];
        const factor = reference ? this._paylinkGetFactor(reference) : 100;
        const entered = parseFloat(this.paylinkPage.querySelector("input[name=part_amount]")?.value);
        const part = Math.round(entered * factor) / factor;
        return Number.isFinite(part) && part > 0 && part < base ? part : undefined;
    },

    /**
     * @private
     * @param {Object} reference A total computed by the server, for its currency's minor units.
     * @returns {number} The number of minor units in one unit of the currency.
     */
    _paylinkGetFactor(reference) {
        return reference.amount ? reference.minor_amount / reference.amount : 100;
    },

    /**
     * A total shown as the page shows amounts, in the reference's currency and format.
     *
     * @private
     * @param {Object} reference A total computed by the server (its label is the format).
     * @param {number} amount The amount before the tip.
     * @param {number} tip
     * @returns {Object} ``amount``, ``minor_amount``, ``label`` and ``tip_label``.
     */
    _paylinkMakeTotal(reference, amount, tip) {
        const factor = this._paylinkGetFactor(reference);
        const digits = Math.max(0, Math.round(Math.log10(factor)));
        const format = (value) =>
            reference.label.replace(
                /\d[\d.,\u00a0\u202f ]*\d|\d/,
                new Intl.NumberFormat((document.documentElement.lang || "en-US").replace("_", "-"), {
                    minimumFractionDigits: digits,
                    maximumFractionDigits: digits,
                }).format(value)
            );
        const total = Math.round((amount + tip) * factor) / factor;
        return {
            amount: total,
            minor_amount: Math.round(total * factor),
            label: format(total),
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
        if (total.base_label) {
            // A balance page: the amount due follows the invoices ticked.
            this.paylinkPage.querySelector(".o_paylink_amount_due").textContent = total.base_label;
            this.paylinkPage
                .querySelector(".o_paylink_balance_empty")
                ?.classList.toggle("d-none", !total.empty);
            // A part is at most what is ticked: the field says so (its arrows stop there; the
            // server refuses more). Nothing to pay leaves the last maximum, never one below the
            // minimum.
            if (total.ticked > 0) {
                this.paylinkPage
                    .querySelector("input[name=part_amount]")
                    ?.setAttribute("max", total.ticked);
            }
            // Nothing to pay: the pay button is off until an invoice the credits leave due is
            // ticked again (payment_button.js).
            const form = this.paylinkPage.querySelector(".o_paylink_form");
            if (form && (form.dataset.paylinkNothingToPay === "1") !== total.empty) {
                form.dataset.paylinkNothingToPay = total.empty ? "1" : "0";
                if (total.empty) {
                    this._disableButton(false);
                } else {
                    this._enableButton(false);
                }
            }
        }
        const payLabel = this.paylinkPage.querySelector(".o_paylink_form")?.dataset.paylinkPayLabel;
        const button = this.el.querySelector("button[name=o_payment_submit_button]");
        if (button && payLabel) {
            button.textContent = payLabel.replace("{amount}", total.label);
        }
        const choice = this.paylinkPage.querySelector("input[name=payment_choice]:checked");
        const tips = total.tips || (choice ? this.paylinkTotals[choice.value] : {});
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
        if (!total.minor_amount) {
            return; // nothing to pay for the invoices ticked: the page says so, Stripe keeps its amount
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
            // The total the page shows (a balance page's with what is ticked and the part).
            const shown = this._paylinkGetTotal();
            const tip = this.paylinkPage.querySelector("input[name=tip_percent]:checked");
            params.tip_percent = tip ? tip.value : 0;
            if (tip?.value === "custom") {
                params.tip_amount = this.paylinkPage.querySelector("input[name=tip_amount]").value;
            }
            const choice = this.paylinkPage.querySelector("input[name=payment_choice]:checked");
            if (choice) {
                params.payment_choice = choice.value;
            }
            if (this.paylinkTips) {
                params.invoice_ids = [
                    ...this.paylinkPage.querySelectorAll("input[name=paylink_invoice]:checked"),
                ].map((box) => parseInt(box.value));
                // Only a part the page shows; an amount it ignores (0, more than ticked) is not sent.
                const part = shown && !shown.empty && this._paylinkGetPart(shown.ticked);
                if (part) {
                    params.part_amount = part;
                }
            }
            // The total the page showed: the server refuses to charge another one.
            if (shown) {
                params.expected_amount = shown.amount;
            }
            params.sms_consent = Boolean(
                this.paylinkPage.querySelector("input[name=sms_consent]:checked")
            );
        }
        return params;
    },
});

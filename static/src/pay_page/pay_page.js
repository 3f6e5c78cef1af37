import { rpc } from "@web/core/network/rpc";
import publicWidget from "@web/legacy/js/public/public_widget";

/** Wait for Stripe.js, loaded by a script tag of the page, to define `window.Stripe`. */
async function waitForStripe(timeout = 10000) {
    const start = Date.now();
    while (!window.Stripe) {
        if (Date.now() - start > timeout) {
            throw new Error("Stripe.js did not load");
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return window.Stripe;
}

/**
 * The card form of the pay page. The card goes from Stripe.js to Stripe directly; the server
 * creates and confirms the PaymentIntent, computes the tip itself and records the payment after
 * asking Stripe (never trusting the browser) whether it succeeded.
 */
publicWidget.registry.PaylinkPayForm = publicWidget.Widget.extend({
    selector: ".o_paylink_form",
    events: {
        "click .o_paylink_pay_button": "_onPay",
        "change input[name=tip_percent]": "_onTipChange",
    },

    async start() {
        await this._super(...arguments);
        this.payButton = this.el.querySelector(".o_paylink_pay_button");
        try {
            const Stripe = await waitForStripe();
            this.stripe = Stripe(this.el.dataset.publishableKey);
            this.card = this.stripe.elements().create("card");
            this.card.mount(this.el.querySelector("#paylink_card"));
        } catch {
            this._showError("The card form could not be loaded. Please reload the page.");
            this.payButton.disabled = true;
        }
    },

    _onTipChange(ev) {
        const label = ev.currentTarget.dataset.totalLabel;
        if (label) {
            this.el.querySelector(".o_paylink_total").textContent = label;
        }
    },

    _showError(message) {
        const box = this.el.querySelector(".o_paylink_error");
        box.textContent = message;
        box.classList.remove("d-none");
    },

    async _cardReference() {
        // Stripe.js gives a PaymentMethod; the local emulator only makes card tokens.
        const result = this.stripe.createPaymentMethod
            ? await this.stripe.createPaymentMethod({ type: "card", card: this.card })
            : undefined;
        if (result && result.error) {
            throw new Error(result.error.message);
        }
        if (result && result.paymentMethod) {
            return result.paymentMethod.id;
        }
        const { token, error } = await this.stripe.createToken(this.card);
        if (error) {
            throw new Error(error.message || "Your card could not be read.");
        }
        return token.card ? token.card.id : token.id;
    },

    async _onPay(ev) {
        ev.preventDefault();
        if (this.payButton.disabled) {
            return;
        }
        this.payButton.disabled = true;
        this.el.querySelector(".o_paylink_error").classList.add("d-none");
        try {
            const cardReference = await this._cardReference();
            const form = this.el;
            const tip = form.querySelector("input[name=tip_percent]:checked");
            const result = await rpc(form.dataset.payUrl, {
                card_reference: cardReference,
                tip_percent: tip ? parseFloat(tip.value) : 0,
                save_card: Boolean(form.querySelector("input[name=save_card]:checked")),
                sms_consent: Boolean(form.querySelector("input[name=sms_consent]:checked")),
            });
            if (result.error) {
                throw new Error(result.error);
            }
            if (result.status === "requires_action") {
                const action = await this.stripe.confirmCardPayment(result.client_secret);
                if (action.error) {
                    throw new Error(action.error.message || "The payment was not authenticated.");
                }
            }
            window.location.assign(result.return_url);
        } catch (error) {
            this._showError(error.message || String(error));
            this.payButton.disabled = false;
        }
    },
});

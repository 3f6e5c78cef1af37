import { registry } from "@web/core/registry";

/** Pay with Odoo's Demo provider: its inline form, then Odoo's Pay button. */
function demoPaySteps(state = "done", { saveDetails = false } = {}) {
    const steps = [
        { content: "The Demo provider's form", trigger: "#o_payment_form #customer_input", run: "edit 4242" },
        { content: `The payment will be ${state}`, trigger: "#simulated_payment_state", run: `select ${state}` },
    ];
    if (saveDetails) {
        steps.push({
            content: "Save my payment details",
            trigger: "input[name=o_payment_tokenize_checkbox]",
            run: "click",
        });
    }
    steps.push({
        content: "Pay",
        trigger: "button[name=o_payment_submit_button]:enabled",
        run: "click",
        expectUnloadPage: true,
    });
    return steps;
}

const success = (amount) => ({
    content: "Success page",
    trigger: `.o_paylink_success ~ p .o_paylink_paid_amount:contains('${amount}')`,
});

registry.category("web_tour.tours").add("account_payment_link_pay_invoice_tip", {
    steps: () => [
        { content: "The amount due is shown", trigger: ".o_paylink_amount_due:contains('115.00')" },
        { content: "Pick an 18 % tip", trigger: "label[for=paylink_tip_1]", run: "click" },
        { content: "The total includes the tip", trigger: ".o_paylink_total:contains('135.70')" },
        ...demoPaySteps("done"),
        success("135.70"),
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_balance", {
    steps: () => [
        { content: "Two open invoices are listed", trigger: ".o_paylink_open_invoices tbody tr:nth-child(2)" },
        { content: "The balance is due", trigger: ".o_paylink_amount_due:contains('165.00')" },
        ...demoPaySteps("done"),
        success("165.00"),
    ],
});

const invoiceBox = (row) => `.o_paylink_balance_invoice:nth-child(${row}) label.o_paylink_check`;

registry.category("web_tour.tours").add("account_payment_link_pay_balance_choice", {
    steps: () => [
        { content: "Three invoices, all ticked", trigger: ".o_paylink_balance_invoice:nth-child(3) input:checked" },
        { content: "The credit note is a line", trigger: ".o_paylink_credit_line:contains('Credit note')" },
        { content: "The unapplied payment too", trigger: ".o_paylink_credit_line:contains('not applied yet')" },
        { content: "The balance is due", trigger: ".o_paylink_amount_due:contains('195.00')" },
        { content: "Not the second invoice", trigger: invoiceBox(2), run: "click" },
        { content: "The total follows", trigger: ".o_paylink_amount_due:contains('115.00')" },
        { content: "Not the last one either", trigger: invoiceBox(3), run: "click" },
        { content: "The credits cover the first one", trigger: ".o_paylink_balance_empty:not(.d-none)" },
        { content: "Nothing to pay: the button is off", trigger: "button[name=o_payment_submit_button]:disabled" },
        {
            content: "Odoo's form asks for the button (as when a payment method is chosen)",
            trigger: ".o_paylink_balance_empty:not(.d-none)",
            run() {
                odoo.loader.modules.get("@odoo/owl").Component.env.bus.trigger("enablePaymentButton");
            },
        },
        { content: "It stays off", trigger: "button[name=o_payment_submit_button]:disabled" },
        { content: "The last one after all", trigger: invoiceBox(3), run: "click" },
        { content: "Nothing to warn about", trigger: ".o_paylink_form:not(:has(.o_paylink_balance_empty:not(.d-none)))" },
        { content: "The button is on again", trigger: "button[name=o_payment_submit_button]:enabled" },
        {
            content: "The button says what it pays",
            trigger: "button[name=o_payment_submit_button]:contains('115.00')",
        },
        ...demoPaySteps("done"),
        success("115.00"),
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_failed_then_success", {
    steps: () => [
        ...demoPaySteps("error"),
        { content: "The failure is explained", trigger: ".o_paylink_failed" },
        { content: "Try again", trigger: ".o_paylink_try_again", run: "click", expectUnloadPage: true },
        ...demoPaySteps("done"),
        success("115.00"),
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_and_save_details", {
    steps: () => [...demoPaySteps("done", { saveDetails: true }), success("115.00")],
});

registry.category("web_tour.tours").add("account_payment_link_pay_with_saved_method", {
    steps: () => [
        {
            content: "The saved payment method is offered and chosen",
            trigger: "input[name=o_payment_radio][data-payment-option-type=token]:checked",
        },
        {
            content: "Pay with it",
            trigger: "button[name=o_payment_submit_button]:enabled",
            run: "click",
            expectUnloadPage: true,
        },
        success("30.00"),
    ],
});

registry.category("web_tour.tours").add("account_payment_link_saved_method_not_offered", {
    steps: () => [
        { content: "The payment form is there", trigger: "#o_payment_form #customer_input" },
        {
            content: "No saved payment method is offered",
            trigger: "#o_payment_form:not(:has(input[data-payment-option-type=token]))",
        },
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_pending", {
    steps: () => [
        ...demoPaySteps("pending"),
        { content: "Odoo's status page says the payment is pending", trigger: "[name=o_payment_status_alert]" },
    ],
});

registry.category("web_tour.tours").add("account_payment_link_payment_processing", {
    steps: () => [
        { content: "The link says a payment is processing", trigger: ".o_paylink_unavailable:contains('being processed')" },
        { content: "No second payment is offered", trigger: "body:not(:has(#o_payment_form))" },
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_installment", {
    steps: () => [
        {
            content: "The next installment is offered and chosen first",
            trigger: "input[name=payment_choice][data-kind=installment]:checked",
        },
        { content: "The full amount is offered too", trigger: "label.o_paylink_choice_full:contains('1,000.00')" },
        { content: "Pick an 18 % tip", trigger: "label[for=paylink_tip_1]", run: "click" },
        { content: "The tip is on the installment", trigger: ".o_paylink_total:contains('354.00')" },
        { content: "Choose the full amount", trigger: "label.o_paylink_choice_full", run: "click" },
        { content: "The tip follows the amount", trigger: "label[for=paylink_tip_1]:contains('180.00')" },
        { content: "The total is the full amount's", trigger: ".o_paylink_total:contains('1,180.00')" },
        { content: "Back to the installment", trigger: "label.o_paylink_choice_installment", run: "click" },
        { content: "The installment's total again", trigger: ".o_paylink_total:contains('354.00')" },
        { content: "The full amount after all", trigger: "label.o_paylink_choice_full", run: "click" },
        { content: "The full amount's total", trigger: ".o_paylink_total:contains('1,180.00')" },
        ...demoPaySteps("done"),
        success("1,180.00"),
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_agreed_amount", {
    steps: () => [
        { content: "The amount agreed is asked now", trigger: ".o_paylink_due:contains('Requested now')" },
        { content: "Its amount", trigger: ".o_paylink_amount_due:contains('400.00')" },
        { content: "Of what is due on the invoice", trigger: ".o_paylink_requested_of:contains('1,000.00')" },
        { content: "Nothing else to choose", trigger: "body:not(:has(.o_paylink_choices))" },
        { content: "An 18 % tip on the amount agreed", trigger: "label[for=paylink_tip_1]:contains('72.00')", run: "click" },
        { content: "The total", trigger: ".o_paylink_total:contains('472.00')" },
        { content: "A tip of my own", trigger: "label[for=paylink_tip_custom]", run: "click" },
        { content: "Its amount", trigger: ".o_paylink_tip_custom input[name=tip_amount]", run: "edit 10" },
        { content: "The total with it", trigger: ".o_paylink_total:contains('410.00')" },
        ...demoPaySteps("done"),
        success("410.00"),
        { content: "The tip is said", trigger: ".o_paylink_paid_tip:contains('10.00')" },
    ],
});

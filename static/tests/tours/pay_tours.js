import { registry } from "@web/core/registry";

function cardSteps(number) {
    const field = (name) => `#paylink_card input[placeholder=${name}]`;
    return [
        { content: "Card number", trigger: field("number"), run: `edit ${number}` },
        { content: "Expiry month", trigger: field("exp_month"), run: "edit 12" },
        { content: "Expiry year", trigger: field("exp_year"), run: "edit 34" },
        { content: "CVC", trigger: field("cvc"), run: "edit 123" },
        { content: "Postal code", trigger: field("postal_code"), run: "edit 94107" },
    ];
}

registry.category("web_tour.tours").add("account_payment_link_pay_invoice_tip", {
    steps: () => [
        { content: "The amount due is shown", trigger: ".o_paylink_amount_due:contains('115.00')" },
        { content: "Pick an 18 % tip", trigger: "label[for=paylink_tip_pct_0]", run: "click" },
        { content: "The total includes the tip", trigger: ".o_paylink_total:contains('135.70')" },
        ...cardSteps("4242424242424242"),
        { content: "Pay", trigger: ".o_paylink_pay_button", run: "click", expectUnloadPage: true },
        { content: "Success page", trigger: ".o_paylink_success" },
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_balance", {
    steps: () => [
        { content: "Two open invoices are listed", trigger: ".o_paylink_open_invoices tbody tr:nth-child(2)" },
        ...cardSteps("4242424242424242"),
        { content: "Pay", trigger: ".o_paylink_pay_button", run: "click", expectUnloadPage: true },
        { content: "Success page", trigger: ".o_paylink_success" },
    ],
});

registry.category("web_tour.tours").add("account_payment_link_pay_declined", {
    steps: () => [
        ...cardSteps("4000000000000341"),
        { content: "Pay", trigger: ".o_paylink_pay_button", run: "click" },
        { content: "The decline is explained", trigger: ".o_paylink_error:contains('declined')" },
        { content: "The customer may try again", trigger: ".o_paylink_pay_button:enabled" },
    ],
});

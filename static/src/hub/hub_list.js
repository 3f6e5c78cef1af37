import { onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { listView } from "@web/views/list/list_view";
import { ListRenderer } from "@web/views/list/list_renderer";

/**
 * The payment link hub: the list of links with, above it, this month's total paid through the
 * links the list shows (its filters, and the record it was opened from) and, when no payment
 * provider can take link payments, a banner saying what is missing with a button to the
 * payment providers.
 */
export class PaylinkHubListRenderer extends ListRenderer {
    static template = "account_payment_link.HubListRenderer";

    setup() {
        super.setup();
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.hub = useState({ loaded: false });
        this.hubDomain = null;
        onWillStart(() => this.loadHubInfo(this.props.list.domain));
        onWillUpdateProps((nextProps) => this.loadHubInfo(nextProps.list.domain));
    }

    async loadHubInfo(domain) {
        const key = JSON.stringify(domain);
        if (key === this.hubDomain) {
            return;
        }
        this.hubDomain = key;
        const info = await this.orm.call("res.company", "paylink_get_hub_info", [], { domain });
        Object.assign(this.hub, info, { loaded: true });
    }

    openProviders() {
        this.actionService.doAction("payment.action_payment_provider");
    }
}

export const paylinkHubListView = {
    ...listView,
    Renderer: PaylinkHubListRenderer,
};

registry.category("views").add("paylink_hub_list", paylinkHubListView);

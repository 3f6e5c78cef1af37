"""Run localstripe on a loopback address only, keeping its state in memory.

localstripe's own entry point listens on every interface and pickles its state to
/tmp/localstripe.pickle after each write, which two concurrent runs would share. This wrapper
serves the same application on 127.0.0.1 and keeps each run's state to itself.

It also serves localstripe's Stripe.js stand-in wrapped in a function at
``/js.stripe.com/v3/isolated/``: the original declares a top-level ``class Element``, which
shadows the DOM's ``Element`` for every script of the page and breaks Odoo's frontend code.

Usage: python scripts/localstripe_loopback.py --port 8420   (with localstripe installed)
"""

import argparse
from pathlib import Path

from aiohttp import web
from localstripe import resources, server

ISOLATED_JS_ROUTE = "/js.stripe.com/v3/isolated/"


def isolated_js(request):
    path = Path(server.__file__).with_name("localstripe-v3.js")
    return web.Response(
        text="(function () {\n" + path.read_text() + "\n})();\n", content_type="application/javascript"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    resources.store.dump_to_disk = lambda: None
    server.app.router.add_get(ISOLATED_JS_ROUTE, isolated_js)
    print(f"localstripe listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(server.app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()

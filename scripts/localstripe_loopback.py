"""Run localstripe on a loopback address only, keeping its state in memory.

localstripe's own entry point listens on every interface and pickles its state to
/tmp/localstripe.pickle after each write, which two concurrent runs would share. This wrapper
serves the same application on 127.0.0.1 and keeps each run's state to itself.

Usage: python scripts/localstripe_loopback.py --port 8420   (with localstripe installed)
"""

import argparse

from aiohttp import web
from localstripe import resources, server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    resources.store.dump_to_disk = lambda: None
    print(f"localstripe listening on http://{args.host}:{args.port}", flush=True)
    web.run_app(server.app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()

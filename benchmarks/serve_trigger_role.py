"""Child entry point: ``pipedrive triggers serve --role ...`` as ``ChildServer`` starts it.

``ChildServer`` passes ``--port P`` first; a receiver listens there, a dispatcher serves its
Prometheus metrics there (``--metrics-port``), which doubles as its readiness check.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--role" in args and args[args.index("--role") + 1] == "dispatcher" and "--port" in args:
        args[args.index("--port")] = "--metrics-port"
    from pipedrive_connector.cli.main import main as cli_main

    sys.argv = ["pipedrive", "triggers", "serve", "--no-catch-up", *args]
    cli_main()


if __name__ == "__main__":
    main()

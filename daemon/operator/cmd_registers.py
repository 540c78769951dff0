"""`pantau register`: the letter registers (outgoing, incoming), as a table, JSON, CSV or XLSX."""

from __future__ import annotations

import sys

from daemon.operator.cmd_common import dump_json, open_app


def cmd_register(args) -> int:
    from daemon.operator import report_text, views

    app = open_app(args)
    try:
        rows = views.register_rows(app.store, args.which, args.tahun)
        if args.json:
            dump_json(rows)
        elif args.csv:
            sys.stdout.write(views.register_csv(rows, args.which))
        elif args.xlsx:
            views.register_xlsx(rows, args.which, args.xlsx)
            print(f"{len(rows)} entri ditulis ke {args.xlsx}")
        else:
            report_text.print_register(rows, args.which, sys.stdout)
        return 0
    finally:
        app.close()

"""``workbench import csv FILE --platform taobao|jd|douyin|generic [--mapping FILE]``.

Prints a summary and the rejected rows (row, column, reason); ``--rejects OUT.csv`` writes them all
for the shop owner to fix in a spreadsheet; ``--json`` prints the whole report. Exit code 0 = all
rows imported, 1 = some rows rejected (the good ones are stored), 2 = the file was not imported.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

EPILOG = """\
映射文件 / mapping file (TOML), for layouts other than the built-in ones:

  name = "有赞订单导出"
  platform = "youzan"          # stored as the order's platform
  extends = "taobao"           # optional: start from a built-in layout
  row_per = "order"            # "order" (one row per order) or "item" (one row per order line)
  date_formats = ["%d/%m/%Y %H:%M"]
  [columns]
  order_no = "订单号"
  paid = ["实付金额", "实付款"]
  created_at = "下单时间"
  status = "订单状态"
  [status]
  "已发货" = "shipped"         # unpaid, paid, shipped, delivered, completed, closed, refunding, refunded
"""
SHOWN = 30


def subcommands(sub: Any, name: str, help_text: str) -> Any:
    """The sub-command group ``name`` (``workbench import …``), created once and shared by modules."""
    existing = sub.choices.get(name)
    if existing is None:
        existing = sub.add_parser(name, help=help_text)
        existing.set_defaults(func=lambda _args, parser=existing: parser.print_help() or 2)
    for action in existing._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return existing.add_subparsers(dest=f"{name}_kind", metavar="KIND")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    group = subcommands(sub, "import", "import data files / 导入数据文件")
    parser = group.add_parser("csv", parents=[common], epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
                              help="import a platform order export / 导入平台订单导出表")
    parser.add_argument("file", help="the exported .csv file")
    parser.add_argument("--platform", default="generic", choices=["taobao", "tmall", "jd", "douyin", "generic"],
                        help="which platform exported it (淘宝/天猫, 京东, 抖店)")
    parser.add_argument("--mapping", help="TOML mapping file for other layouts (see below)")
    parser.add_argument("--encoding", help="force an encoding (gbk, utf-8); detected by default")
    parser.add_argument("--rejects", metavar="OUT.csv", help="write every rejected row to this CSV file")
    parser.set_defaults(func=run)


def _write_rejects(path: str, rejects: list[Any]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "reason", "value", "kept"])
        for r in rejects:
            writer.writerow([r.row, r.column, r.reason, r.value, int(r.kept)])


def run(args: argparse.Namespace) -> int:
    from adapters.csv_import import CsvImportError, import_file, progress_bar
    from workbench.cli import context_from
    from workbench.config import ConfigError
    from workbench.i18n import t
    from workbench.sanitize import clean, one_line

    as_json = getattr(args, "json", False)
    ctx = context_from(args)
    try:
        report = import_file(ctx, args.file, platform=args.platform, mapping_file=args.mapping,
                             encoding=args.encoding, progress=None if as_json else progress_bar())
    except CsvImportError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": exc.kind, "message": str(exc), **exc.detail}, ensure_ascii=False))
        else:
            print(str(exc), file=sys.stderr)
        return 2
    except ConfigError as exc:
        # Only the --mapping file can raise this here (the config was read by context_from above); the
        # generic "config file is wrong" wording would send the user to the wrong file.
        message = t("data.mapping.problem", detail=clean(str(exc)))
        if as_json:
            print(json.dumps({"ok": False, "error": "mapping", "message": message, "file": exc.path,
                              "line": exc.line, "key": exc.key}, ensure_ascii=False))
        else:
            print(message, file=sys.stderr)
        return 2
    if args.rejects:
        _write_rejects(args.rejects, report.rejects)
    if as_json:
        print(json.dumps({"ok": report.rejected_rows == 0, **report.as_dict()}, ensure_ascii=False, indent=2))
        return 1 if report.rejected_rows else 0
    print(t("data.cli.import_summary", file=report.file, platform=report.mapping, encoding=report.encoding,
            rows=report.rows, orders=report.orders, created=report.created, updated=report.updated,
            unchanged=report.unchanged, rejected=report.rejected_rows, seconds=report.seconds))
    for reject in report.rejects[:SHOWN]:
        key = "data.cli.reject_kept" if reject.kept else "data.cli.reject_line"
        print(t(key, row=reject.row, column=one_line(reject.column, 20), reason=one_line(reject.reason, 160),
                value=one_line(reject.value, 40)))
    if len(report.rejects) > SHOWN:
        print(t("data.cli.reject_more", count=len(report.rejects) - SHOWN))
    return 1 if report.rejected_rows else 0

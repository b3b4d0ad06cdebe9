"""``workbench locate``: print where the config, cache, logs and team files are."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench import paths


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("locate", parents=[common], help="show file locations / 显示文件位置")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    resolved = paths.resolve(getattr(args, "db", None), getattr(args, "config", None)).as_dict()
    if getattr(args, "json", False):
        print(json.dumps(resolved, ensure_ascii=False, indent=2))
    else:
        width = max(len(k) for k in resolved)
        for key, value in resolved.items():
            print(f"{key.ljust(width)}  {value}")
    return 0

"""CSV import throughput: a 100k-row 淘宝 订单报表 export (GBK) vs raw sqlite3 ``executemany`` of the same rows.

Writes a realistic export (the platform's 46 columns, GBK, ¥ amounts with thousands separators, masked
phones, ``No:`` tracking numbers, repeat buyers, ~1 % bad rows) into a temporary folder, then times in
the same run:

  * ``import (new)``: ``workbench import csv`` into an empty cache: decoding, parsing every cell,
    matching customers, writing orders, customers, items, shipments and their outbox entries;
  * ``import (again)``: the same file again: every order matched and found unchanged;
  * ``raw executemany``: the same decoded rows inserted as plain tuples into one table in one
    transaction (the floor: no parsing, no matching, no outbox).

Run: .venv/bin/python bench/import_csv.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.csv_import import import_file  # noqa: E402
from bench._common import table  # noqa: E402
from workbench.clock import FrozenClock  # noqa: E402
from workbench.context import open_context  # noqa: E402

HEADER = ["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
          "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ",
          "联系手机", "订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量",
          "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息",
          "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址",
          "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易", "退款金额", "预约门店"]
TITLES = ["家用电热水壶 1.7L 304不锈钢 自动断电", "空气炸锅 5.5L 大容量 可视窗 家用无油", "声波电动牙刷 成人款 附2支刷头",
          "真无线蓝牙耳机 主动降噪 长续航", "羽绒服 女 中长款 90白鸭绒 连帽", "每日坚果 750g 30小包 混合果仁",
          "纯棉四件套 1.8m床 全棉磨毛 被套床单", "无线手持吸尘器 大吸力 家用除螨"]
PRICES = [19900, 32900, 12900, 29900, 69900, 8990, 29900, 89900]
STATUSES = ["交易成功"] * 6 + ["卖家已发货，等待买家确认"] * 3 + ["买家已付款，等待卖家发货", "交易关闭"]
CITIES = ["浙江省 杭州市 西湖区", "上海 上海市 浦东新区", "北京 北京市 朝阳区", "广东省 深圳市 南山区", "四川省 成都市 武侯区"]
CARRIERS = [("圆通速递", "YT"), ("中通快递", "735"), ("韵达快递", "43"), ("顺丰速运", "SF")]
NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def export(rows: int, path: Path) -> None:
    rng = random.Random(7)
    start = datetime(2026, 10, 1)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    buyers = max(rows // 10, 1)
    for i in range(rows):
        buyer = rng.randrange(buyers)
        pick = rng.randrange(len(TITLES))
        qty = rng.choice((1, 1, 1, 2))
        paid = PRICES[pick] * qty
        created = start + timedelta(seconds=rng.randrange(50 * 86400))
        status = rng.choice(STATUSES)
        carrier, prefix = rng.choice(CARRIERS)
        shipped = status not in ("买家已付款，等待卖家发货", "交易关闭")
        amount = yuan(paid) if rng.random() > 0.01 else yuan(paid).replace("0", "O", 1)  # ~1 % rows with a broken amount
        writer.writerow([
            f'="{3725000000000000000 + i}"', f"buyer_{buyer:06d}", "", yuan(paid), "0.00", "0", yuan(paid), "0",
            amount, "0", status, "", NAMES[buyer % len(NAMES)] + "先生", f"{rng.choice(CITIES)} 幸福路{buyer % 999}号(310000)",
            "快递", "", f"1{30 + buyer % 69}****{buyer % 10000:04d}", created.strftime("%Y-%m-%d %H:%M:%S"),
            (created + timedelta(seconds=40)).strftime("%Y-%m-%d %H:%M:%S"), TITLES[pick], "1",
            f"No:{prefix}{rng.randrange(10**11, 10**12)}" if shipped else "", carrier if shipped else "", "", str(qty),
            "57301849", "暖居家电旗舰店", "", "0", "0元", "", "手机订单", "", "", "否", "否", "否", "", "", "", "",
            "0.00", "0.00", "否", "0.00", "null"])
    path.write_bytes(buffer.getvalue().encode("gb18030"))


def raw_executemany(path: Path, db: Path) -> tuple[float, int]:
    """The floor: decode, split into rows, insert the same cells as plain tuples in one transaction."""
    started = time.perf_counter()
    text = path.read_bytes().decode("gb18030")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    marks = ", ".join("?" for _ in HEADER)
    conn.execute(f"CREATE TABLE raw_orders ({', '.join(f'c{i} TEXT' for i in range(len(HEADER)))})")
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO raw_orders VALUES ({marks})", rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = work / "ExportOrderList.csv"
        export(args.rows, source)
        print(f"export: {args.rows:,} rows, {source.stat().st_size / 2**20:.1f} MiB GBK")
        raw_seconds, raw_rows = raw_executemany(source, work / "raw.db")
        ctx = open_context(db=work / "cache.db", clock=FrozenClock())
        results = []
        for label in ("import (new)", "import (again)"):
            report = import_file(ctx, source, platform="taobao")
            results.append((label, report))
        outbox = ctx.store.scalar("SELECT count(*) FROM outbox")
        rows = [["raw executemany", f"{raw_rows:,}", f"{raw_seconds:.2f}", f"{raw_rows / raw_seconds:,.0f}", "1.0x",
                 "-"]]
        for label, report in results:
            rate = report.rows / report.seconds
            rows.append([label, f"{report.rows:,}", f"{report.seconds:.2f}", f"{rate:,.0f}",
                         f"{raw_seconds / report.seconds:.2f}x",
                         f"new {report.created:,} upd {report.updated:,} same {report.unchanged:,} "
                         f"rejected {report.rejected_rows:,}"])
        table(f"CSV import, 淘宝 订单报表 GBK ({args.rows:,} rows); outbox entries after both runs: {outbox:,}",
              ["phase", "rows", "seconds", "rows/s", "speed vs raw", "outcome"], rows)


if __name__ == "__main__":
    main()

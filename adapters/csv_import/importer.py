"""``import_file``: one platform export in, orders/customers/items/parcels upserted, every bad row named.

Whole-file problems (unreadable, wrong encoding, missing columns) stop before anything is written
and raise :class:`CsvImportError` with what to do. Row problems never stop the import: the row is
listed in the report (row number as the spreadsheet shows it, column, reason) and the good rows are
stored. Rows are grouped into orders first (京东/抖店 write one row per order line), each buyer's orders
are put next to each other, then written in batches of one transaction each, so re-importing the
same file updates and never duplicates.
"""

from __future__ import annotations

import csv
import io
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from adapters.csv_import import cells
from adapters.csv_import.mappings import BUILTIN, Mapping, best_builtin, builtin, field_label, load
from workbench import logistics
from workbench.context import Context
from workbench.i18n import t
from workbench.services import ingest

Progress = Callable[[int, int], None]
BATCH = 1000


class CsvImportError(Exception):
    """The file as a whole cannot be imported; nothing was written. ``str()`` says what to do."""

    def __init__(self, kind: str, message: str, **detail: Any):
        self.kind, self.detail = kind, detail
        super().__init__(message)


@dataclass
class Reject:
    """A row problem. ``kept``: the row was imported and only this cell was left out."""

    row: int
    column: str
    reason: str
    value: str = ""
    kept: bool = False


@dataclass
class ImportReport:
    file: str
    platform: str
    mapping: str
    encoding: str
    rows: int = 0
    orders: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    rejects: list[Reject] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejects if not r.kept})

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected_rows"] = self.rejected_rows
        return data


@dataclass
class _Draft:
    """An order being assembled from one or more rows."""

    order: ingest.OrderIn
    row: int
    keys: set[Any] = field(default_factory=set)


class _RowReader:
    """Turns one row into order fields; collects the row's problems."""

    def __init__(self, mapping: Mapping, columns: dict[str, int], header: list[str], tz: str):
        self.mapping, self.columns, self.header, self.tz = mapping, columns, header, tz
        self.rejects: list[Reject] = []
        self.fatal = False
        self.row = 0
        self.cells: list[str] = []
        self.cleaned: dict[str, str] = {}
        self.fields = tuple(columns.items())
        self.status_cache: dict[tuple[str, str], str | None] = {}

    def start(self, row: int, cells_: list[str]) -> None:
        """Take the next row; its mapped cells are cleaned once, here (a mapping names each field once,
        and nearly every mapped field is read, so cleaning them all up front is the cheap way)."""
        self.row, self.cells, self.rejects, self.fatal = row, cells_, [], False
        width, clean = len(cells_), cells.clean
        self.cleaned = {name: clean(cells_[index]) if index < width else "" for name, index in self.fields}

    def raw(self, name: str) -> str:
        """The cleaned cell of ``name`` in this row ('' when the layout has no such column)."""
        return self.cleaned.get(name, "")

    def when(self, name: str, required: bool = False) -> Any:
        """A date/time field in the shop's timezone (or the mapping's own formats)."""
        return self.read(name, lambda text: cells.moment(text, self.tz, self.mapping.date_formats), required)

    def column(self, name: str) -> str:
        index = self.columns.get(name)
        return self.header[index].strip() if index is not None else name

    def read(self, name: str, parse: Callable[[str], Any], required: bool = False) -> Any:
        """Parse one field; a failure rejects the row (required) or drops the cell (optional)."""
        text = self.raw(name)
        if not text and not required:
            return None
        try:
            return parse(text)
        except cells.CellError as exc:
            self.rejects.append(Reject(self.row, self.column(name), str(exc), text[:80], kept=not required))
            self.fatal |= required
            return None

    def status(self) -> str | None:
        cells_ = (self.raw("after_sale"), self.raw("status"))
        found = self.status_cache.get(cells_)
        if found is None and cells_ not in self.status_cache:
            found = self.status_cache[cells_] = self._match_status(cells_)
        if found is not None:
            return found
        shown = self.raw("status")
        reason = t("data.csv.bad_status", value=shown, mapping=self.mapping.source_file or self.mapping.name) \
            if shown else t("data.csv.empty")
        self.rejects.append(Reject(self.row, self.column("status"), reason, shown[:80]))
        self.fatal = True
        return None

    def _match_status(self, cells_: tuple[str, str]) -> str | None:
        """The first status word found in the after-sale cell, then the status cell (a file has only a
        handful of distinct pairs, so ``status`` remembers the answer per pair)."""
        for word in cells_:
            if word and word != "-":
                for needle, status in self.mapping.statuses:
                    if needle in word:
                        return status
        return None


def _rows(text: str) -> Iterator[list[str]]:
    first = text.split("\n", 1)[0]
    return csv.reader(io.StringIO(text, newline=""), delimiter=cells.delimiter(first))


def _whole_file(path: Path, mapping: Mapping,
                encoding: str | None) -> tuple[str, list[str], dict[str, int], Iterator[list[str]]]:
    """Decode the file and resolve its header: (encoding, header, field -> column, remaining rows)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CsvImportError("unreadable", t("data.csv.unreadable", file=str(path), detail=exc.strerror or exc)) from exc
    try:
        text, used = cells.decode(data, encoding)
    except cells.EncodingProblem as exc:
        raise CsvImportError("encoding", t("data.csv.wrong_encoding", file=str(path), tried=exc.tried,
                                           line=exc.line)) from exc
    rows = _rows(text)
    header = next(rows, None)
    if not header or not any(h.strip() for h in header):
        raise CsvImportError("empty", t("data.csv.empty_file", file=str(path)))
    columns, missing = mapping.resolve(header)
    if missing:
        guess, score = best_builtin(header)
        hint = t("data.csv.hint_platform", platform=guess) if score and guess != mapping.name else \
            t("data.csv.hint_mapping")
        if "\ufffd" in "".join(header) or (used == "gb18030" and not columns):
            hint = t("data.csv.hint_encoding") + " " + hint
        listed = "; ".join(t("data.csv.missing_field", field=name, what=field_label(name),
                               headers=" / ".join(mapping.columns.get(name, ())) or "-") for name in missing)
        raise CsvImportError("missing_columns", t("data.csv.missing_columns", file=str(path), mapping=mapping.name,
                                                  columns=listed, hint=hint), missing=missing, suggestion=guess)
    return used, header, columns, rows


def _visible(text: str) -> str | None:
    """The cell unless it is empty or encrypted."""
    return None if not text or cells.is_cipher(text) else text


def _customer(reader: _RowReader, platform: str, order_no: str) -> ingest.CustomerIn:
    buyer = _visible(reader.raw("buyer_id")) or ""
    receiver = _visible(reader.raw("receiver")) or ""
    name = reader.raw("buyer_name") or receiver or buyer or t("data.csv.anonymous")
    external = buyer or (None if receiver else f"order:{order_no}")
    return ingest.CustomerIn(platform, name, external, buyer or None, reader.read("phone", cells.phone),
                             reader.raw("email") or None, None)


def _address(reader: _RowReader) -> tuple[str | None, str | None]:
    parts = [reader.raw(n) for n in ("province", "city", "district", "street", "address_detail")]
    parts = [p for p in parts if p and not cells.is_cipher(p)]
    full = reader.raw("address")
    address = full if full and not cells.is_cipher(full) else " ".join(parts)
    region = reader.raw("province") or (address.split()[0] if " " in address else None)
    return address or None, region or None


@lru_cache(maxsize=256)
def _carrier_code(name: str) -> str | None:
    """The carrier's code when its name alone says it (an export names a handful of carriers, so
    remembering them spares a scan of every known carrier per row); None: the number must decide."""
    return logistics.carrier_code(name)


def _shipment(reader: _RowReader) -> ingest.ShipmentIn | None:
    number, carrier = cells.tracking(reader.raw("tracking_no")), reader.raw("carrier")
    if not number and reader.raw("shipping_info"):
        carrier, number = cells.shipping_info(reader.raw("shipping_info"))
    if not number or number in ("-", "无"):
        return None
    code = _carrier_code(carrier) or logistics.carrier_code(carrier, number)
    shipped = reader.when("shipped_at")
    return ingest.ShipmentIn(number, carrier or logistics.CARRIER_NAMES.get(code or "", ""), code, shipped)


def _item(reader: _RowReader, paid: int, qty: int) -> ingest.ItemIn | None:
    title = reader.raw("item_title")
    if not title:
        return None
    price = reader.read("item_price", cells.amount)
    return ingest.ItemIn(title, qty, price if price is not None else paid // max(qty, 1),
                         reader.raw("item_sku") or None)


def _read(reader: _RowReader) -> tuple[ingest.OrderIn, Any] | None:
    """One row as an order (with its one item/shipment) plus the key that identifies the row's line."""
    m = reader.mapping
    order_no = reader.read("order_no", cells.order_no, required=True)
    status = reader.status()
    created = reader.when("created_at", required=True)
    paid = reader.read("paid" if "paid" in reader.columns else "total", cells.amount, required=True)
    if reader.fatal or order_no is None or created is None or paid is None or status is None:
        return None
    total = reader.read("total", cells.amount) if "total" in reader.columns else paid
    qty = reader.read("item_qty", cells.quantity) or 1
    address, region = _address(reader)
    customer = _customer(reader, m.platform, order_no)
    item, shipment = _item(reader, paid, qty), _shipment(reader)
    order = ingest.OrderIn(
        m.platform, order_no, customer, status, created, total if total is not None else paid, paid,
        reader.read("refunded", cells.amount), _visible(reader.raw("receiver")), customer.phone, address, region,
        reader.when("paid_at"), [item] if item else [], [shipment] if shipment else [], ref=str(reader.row))
    key: Any = reader.raw("sub_order_no") or None
    if key is None and item is not None:
        key = (item.sku, item.title)
    return order, key


def _merge(draft: _Draft, order: ingest.OrderIn, key: Any, row: int, mapping: Mapping) -> Reject | None:
    """Add an item row to its order; a repeated line or a different buyer is reported instead."""
    kept = draft.order
    if key is not None and key in draft.keys:
        return Reject(row, "order_no", t("data.csv.duplicate_line", first=draft.row), order.order_no)
    if order.customer.external_id != kept.customer.external_id or order.created_at != kept.created_at:
        return Reject(row, "order_no", t("data.csv.conflict", first=draft.row), order.order_no)
    draft.keys.add(key)
    kept.items += order.items
    kept.shipments += [s for s in order.shipments if s.tracking_no not in {k.tracking_no for k in kept.shipments}]
    if mapping.sum_amounts:
        kept.total_fen += order.total_fen
        kept.paid_fen += order.paid_fen
    return None


def import_file(ctx: Context, path: Path | str, *, platform: str = "generic", mapping_file: Path | str | None = None,
                encoding: str | None = None, progress: Progress | None = None, batch: int = BATCH) -> ImportReport:
    """Import one export file. Raises CsvImportError for whole-file problems (nothing written)."""
    started = time.perf_counter()
    path = Path(path)
    try:
        mapping = load(Path(mapping_file)) if mapping_file else builtin(platform)
    except KeyError:
        raise CsvImportError("platform", t("data.csv.unknown_platform", platform=platform,
                                           known=", ".join(BUILTIN))) from None
    used, header, columns, rows = _whole_file(path, mapping, encoding)
    report = ImportReport(str(path), mapping.platform, mapping.name, cells.ENCODING_LABELS.get(used, used))
    reader = _RowReader(mapping, columns, header, ctx.tz)
    drafts: dict[str, _Draft] = {}
    try:
        for number, row in enumerate(rows, start=2):
            if not any(c.strip() for c in row):
                continue
            report.rows += 1
            reader.start(number, row)
            parsed = _read(reader)
            report.rejects += reader.rejects
            if parsed is None:
                continue
            order, key = parsed
            draft = drafts.get(order.order_no)
            if draft is None:
                drafts[order.order_no] = _Draft(order, number, {key})
                continue
            if mapping.row_per == "order":
                report.rejects.append(Reject(number, reader.column("order_no"),
                                             t("data.csv.duplicate_order", first=draft.row), order.order_no))
                report.duplicates += 1
                continue
            problem = _merge(draft, order, key, number, mapping)
            if problem is not None:
                problem.column = reader.column("order_no")
                report.rejects.append(problem)
                report.duplicates += 1
    except csv.Error as exc:
        raise CsvImportError("malformed", t("data.csv.malformed", file=str(path), line=report.rows + 1,
                                            detail=str(exc))) from exc
    _store(ctx, _by_buyer(drafts.values()), report, progress, batch)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _by_buyer(drafts: Iterable[_Draft]) -> list[_Draft]:
    """The orders with each buyer's orders next to each other (buyers in order of first appearance),
    all carrying the buyer's details from their latest order.

    Why grouped: every batch that touches a buyer writes that buyer's order count and spend once (a row
    and an outbox entry). In file order a repeat buyer's orders are spread over many batches; grouped,
    they mostly share one, which took about a fifth of the writes off a first import of a 淘宝 export.
    Why one set of details: a batch takes a buyer's details from the first order it sees, so rows with
    different receiver phones made the result depend on where batches split, and a re-import of the
    same file wrote the buyer again.
    """
    groups: dict[tuple[str, str], list[_Draft]] = {}
    for draft in drafts:
        c = draft.order.customer
        groups.setdefault((c.source, c.external_id or f"{c.name}|{c.phone or ''}"), []).append(draft)
    for group in groups.values():
        latest = max(group, key=lambda d: d.order.created_at).order.customer
        for draft in group:
            draft.order.customer = latest
    return [draft for group in groups.values() for draft in group]


def _store(ctx: Context, drafts: list[_Draft], report: ImportReport, progress: Progress | None, batch: int) -> None:
    """Write the orders in batches (one transaction each) and fold the store's problems into the report."""
    report.orders = len(drafts)
    guides = ingest.guide_skus(ctx)
    if progress:
        progress(0, len(drafts))
    for start in range(0, len(drafts), batch):
        chunk = [d.order for d in drafts[start:start + batch]]
        result = ingest.upsert_orders(ctx, chunk, guides=guides)
        report.created += result.created
        report.updated += result.updated
        report.unchanged += result.unchanged
        for problem in result.problems:
            row = int(problem.ref) if problem.ref.isdigit() else 0
            report.rejects.append(Reject(row, problem.field, problem.reason, kept=problem.field == "follow_ups"))
        if progress:
            progress(min(start + batch, len(drafts)), len(drafts))
    report.rejects.sort(key=lambda r: (r.row, r.column))


def progress_bar(stream: Any = None, width: int = 30) -> Progress:
    """A plain-text progress bar on stderr (only drawn on a terminal)."""
    out = stream or sys.stderr

    def draw(done: int, total: int) -> None:
        if not out.isatty():
            return
        share = done / total if total else 1.0
        filled = int(width * share)
        out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {share:4.0%} {done:,}/{total:,}")
        if done >= total:
            out.write("\n")
        out.flush()

    return draw

"""Kuaidi100 (快递100) 实时查询: carrier code + tracking number -> scans and the parcel's state.

The API answers HTTP 200 even when it fails: the body then says ``"result": false`` with a
``returnCode`` (400 bad parameters or carrier, 408 phone number required (顺丰), 500 no trace yet,
501/502 server busy, 503 signature rejected, 601 key expired or out of credit). 503/601 mean the
whole source is unusable (banner in the app); the others concern one parcel and are reported with
it. Requests are signed: ``sign = MD5(param + key + customer)`` in upper case.

State codes (``state``; documented in kuaidi100-api/java-demo QueryTrackResp): 0 在途, 1 揽收, 2 疑难,
3 签收, 4 退签, 5 派件, 6 退回, 7 转投, 8 清关, 10 待清关, 11 清关中, 12 已清关, 13 清关异常, 14 拒签;
with ``resultv2=4`` the sub-states 101…1003 refine them (e.g. 501 投柜或驿站, 304 投柜或站签收).
Traces are Beijing time whatever the shop's timezone.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from adapters.apidata import BAD_RECORD, PullOutcome, RecordError, problem
from adapters.http import HttpClient, HttpError
from workbench import logistics
from workbench.context import Context
from workbench.i18n import t
from workbench.services import ingest, source_state
from workbench.services.ingest import EventIn, Problem

QUERY_PATH = "/poll/query.do"
TRACE_TZ = ZoneInfo("Asia/Shanghai")
STATES: dict[str, str] = {
    "0": "in_transit", "1": "collected", "2": "exception", "3": "delivered", "4": "returned", "5": "out_for_delivery",
    "6": "returned", "7": "in_transit", "8": "in_transit", "10": "in_transit", "11": "in_transit", "12": "in_transit",
    "13": "exception", "14": "returned",
    "101": "collected", "102": "collected", "103": "collected", "1001": "in_transit", "1002": "in_transit",
    "1003": "in_transit", "501": "delivered", "401": "returned",
    **{str(c): "exception" for c in range(201, 212)}, **{str(c): "delivered" for c in range(301, 305)},
}
WHOLE_SOURCE = frozenset({"503", "601"})
NO_TRACE = "500"


class TrackingError(Exception):
    """A failure Kuaidi100 reported inside an HTTP 200 body."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(t("data.kuaidi100.error", code=code or "-", message=message or "-"))

    @property
    def whole_source(self) -> bool:
        return self.code in WHOLE_SOURCE


def sign(param: str, key: str, customer: str) -> str:
    return hashlib.md5((param + key + customer).encode("utf-8")).hexdigest().upper()


def _phone_hint(phone: str | None) -> str | None:
    """What 顺丰 accepts to prove the parcel is ours: the full number, or its last four digits if masked."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if not digits:
        return None
    return digits if "*" not in (phone or "") and len(digits) >= 7 else digits[-4:]


def parse(body: Any) -> tuple[list[EventIn], str | None, str | None]:
    """Events (oldest first), our status for the latest one, and the raw state code.

    Raises TrackingError for ``result=false`` answers and RecordError for answers missing fields.
    """
    if not isinstance(body, dict):
        raise RecordError("body", t("data.api.not_an_object"))
    if str(body.get("status")) != "200":
        # Success is status "200": real answers carry "result": false, "returnCode": null even then.
        if body.get("result") is False:
            raise TrackingError(str(body.get("returnCode") or ""), str(body.get("message") or ""))
        raise RecordError("status", t("data.api.missing", field="status"))
    rows = body.get("data")
    if not isinstance(rows, list):
        raise RecordError("data", t("data.api.missing", field="data"))
    events = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RecordError(f"data[{index}]", t("data.api.not_an_object"))
        stamp, text = row.get("ftime") or row.get("time"), row.get("context")
        if not isinstance(text, str) or not isinstance(stamp, str):
            raise RecordError(f"data[{index}]", t("data.api.missing", field=f"data[{index}].time/context"))
        try:
            at = datetime.strptime(stamp.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=TRACE_TZ)
        except ValueError:
            raise RecordError(f"data[{index}].time", t("data.api.bad_time", field="time", value=stamp[:40])) from None
        place = row.get("location") or row.get("areaName") or None
        events.append(EventIn(at, text, row.get("status") or None, place))
    events.sort(key=lambda e: e.at)
    state = body.get("state")
    status = STATES.get(str(state)) if state is not None else None
    if events and status and not events[-1].status:
        events[-1].status = status
    return events, status, None if state is None else str(state)


async def track(http: HttpClient, customer: str, key: str, company: str, number: str,
                phone: str | None = None) -> tuple[list[EventIn], str | None, str | None]:
    """Query one parcel. Raises TrackingError (in-body failure), RecordError or HttpError."""
    param = {"com": company, "num": number, "resultv2": "4"}
    hint = _phone_hint(phone)
    if hint:
        param["phone"] = hint
    text = json.dumps(param, ensure_ascii=False, separators=(",", ":"))
    response = await http.post_form_json(QUERY_PATH, {"customer": customer, "sign": sign(text, key, customer),
                                                      "param": text})
    return parse(response.data)


async def pull(ctx: Context, http: HttpClient, customer: str, key: str, *, batch: int,
               min_interval: timedelta) -> PullOutcome:
    """Refresh the parcels still moving whose last check is older than ``min_interval``.

    Per-parcel failures are listed; a rejected key (503/601) or an unreachable service raises
    HttpError so the app shows the banner (parcels already refreshed stay refreshed).
    """
    outcome = PullOutcome()
    due = await asyncio.to_thread(source_state.shipments_to_track, ctx, ctx.clock.now() - min_interval, batch)
    for row in due:
        ref = f"{row['carrier'] or ''} {row['tracking_no']}".strip()
        code = row["carrier_code"] or logistics.carrier_code(row["carrier"], row["tracking_no"])
        if not code:
            outcome.problems.append(Problem(ref, "carrier", t("data.kuaidi100.no_carrier")))
            continue
        try:
            events, status, state = await track(http, customer, key, code, row["tracking_no"], row["phone"])
        except TrackingError as exc:
            if exc.whole_source:
                raise HttpError("auth", http.base_url + QUERY_PATH, str(exc)) from exc
            if exc.code != NO_TRACE:
                outcome.problems.append(Problem(ref, "returnCode", str(exc)))
                continue
            events, status, state = [], None, None
        except BAD_RECORD as exc:
            outcome.problems.append(problem(ref, exc))
            continue
        if state is not None and status is None:
            outcome.problems.append(Problem(ref, "state", t("data.api.unknown_status", value=state)))
        result = await asyncio.to_thread(ingest.record_scans, ctx, row["id"], events, ref)
        outcome.count += 1
        outcome.problems += result.problems
    return outcome

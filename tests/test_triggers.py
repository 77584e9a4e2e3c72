"""Expansion triggers on a hand-built plan and forecast whose every date is known to the day.

Region r1: a fabric pod (800 GPUs) and a rack (400); training peak q90 = 400 + d on day d
after MONDAY, the region's own peak q90 = 700 + d, every class keeps 20 % headroom. So the
training requirement is (400 + d) / 0.8 > 800 first on d = 241, and the whole region's is
(700 + d) / 0.8 > 1200 first on d = 261. Region r2: a rack (400) and a pod (500), no training,
region peak q90 = 600 + d: (600 + d) / 0.8 > 900 first on d = 121.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest

from forecasting import longrange
from forecasting.capacity import CapacityPlan, Response
from forecasting.schema import FORECAST_SCHEMA, WorkloadClass, table
from forecasting.triggers import (
    DRIVERS_SCHEMA,
    IDLE_RISK_SCHEMA,
    MW_SCHEMA,
    TRIGGERS_SCHEMA,
    MonthsRefused,
    TriggerSettings,
    expansion_triggers,
    mw_by_site_month,
    rows,
    sizing,
)
from forecasting.triggers.common import MONTHLY_ONLY
from forecasting.triggers.rows import NOT_SIZED

MONDAY = date(2026, 1, 5)
DAYS = 365
Values = float | Callable[[np.ndarray], np.ndarray]

POD = {"name": "pod-c", "kind": "pod", "gpu_type": "H100", "gpus": 1000, "mw": 1.5,
       "lead_time_weeks": 20, "capex_usd": 40e6, "fabric": True}  # fmt: skip
RACK = {"name": "rack-c", "kind": "rack", "gpu_type": "H100", "gpus": 250, "mw": 0.4,
        "lead_time_weeks": 8, "capex_usd": 8e6}  # fmt: skip


def _day(d: int) -> date:
    return MONDAY + timedelta(days=d)


def _block(ident: str, gpus: int, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "kind": "rack", "region": "r1", "site": "r1-a", "gpu_type": "H100",
            "gpus": gpus, "mw": 1.0, "status": "live", **fields}  # fmt: skip


def _plan(blocks: list[dict[str, Any]], **headroom: float) -> CapacityPlan:
    policy = {
        c.value: {"tier": c.value, "priority": i + 1, "headroom": headroom.get(c.value, 0.2)}
        for i, c in enumerate(WorkloadClass)
    }
    return CapacityPlan.model_validate(
        {"policy": policy, "block": blocks, "candidate": [POD, RACK]}
    )


def _r1_blocks(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _block("r1-pod", 800, kind="pod", fabric=True, mw=1.0),
        _block("r1-rack", 400, site="r1-b", mw=0.5),
        *extra,
    ]


def _r2_blocks(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _block("r2-rack", 400, region="r2", site="r2-a", mw=0.5),
        _block("r2-pod", 500, region="r2", site="r2-b", kind="pod", fabric=True),
        *extra,
    ]


def _series(
    uid: str, measure: str, *, q90: Values, q10: Values | None = None, mean: Values | None = None
) -> pl.DataFrame:
    """One forecast series; q10 and the expected mean default to q90."""
    d = np.arange(DAYS, dtype=float)

    def values(v: Values) -> np.ndarray:
        return np.broadcast_to(np.asarray(v(d) if callable(v) else v, dtype=float), d.shape)

    hi = values(q90)
    return pl.DataFrame(
        {
            "run_id": "hand",
            "unique_id": uid,
            "ds": [_day(i) for i in range(DAYS)],
            "measure": measure,
            "model": "hand",
            "mean": values(mean) if mean is not None else hi,
            "q10": values(q10) if q10 is not None else hi,
            "q50": hi,
            "q90": hi,
            "q99": hi,
        },
        schema=FORECAST_SCHEMA,
    )


def _r1_forecast() -> pl.DataFrame:
    """Training grows by 1 GPU a day (all of it acme's); inference/other by 1/3."""
    return pl.concat(
        [
            _series("total/r1", "peak", q90=lambda d: 700 + d),
            _series("total/r1", "mean", q90=lambda d: 600 + d),
            _series("total/r1/training", "peak", q90=lambda d: 400 + d),
            _series("total/r1/training", "mean", q90=lambda d: 300 + d),
            _series("total/r1/inference", "peak", q90=300.0),
            _series("total/r1/inference", "mean", q90=lambda d: 200 + d / 3),
            _series("total/r1/training/acme", "mean", q90=lambda d: 100 + d),
            _series("total/r1/training/other", "mean", q90=200.0),
            _series("total/r1/inference/other", "mean", q90=lambda d: 200 + d / 3),
        ]
    )


def _r2_forecast(*, q10: Values | None = None) -> pl.DataFrame:
    return pl.concat(
        [
            _series("total/r2", "peak", q90=lambda d: 600 + d, q10=q10),
            _series("total/r2", "mean", q90=500.0),
            _series("total/r2/inference", "peak", q90=lambda d: 600 + d, q10=q10),
            _series("total/r2/inference", "mean", q90=500.0),
            _series("total/r2/inference/other", "mean", q90=500.0),
        ]
    )


def _row(frame: pl.DataFrame, region: str, pool: str) -> dict[str, Any]:
    rows = frame.filter((pl.col("region") == region) & (pl.col("pool") == pool))
    assert rows.height == 1
    return rows.row(0, named=True)


def _trigger(plan: CapacityPlan, forecast: pl.DataFrame, region: str, pool: str, **kw: Any) -> Any:
    result = expansion_triggers(forecast, plan, as_of=kw.pop("as_of", MONDAY), **kw)
    return _row(result.triggers, region, pool)


def test_frames_follow_their_schemas() -> None:
    """Each output frame carries exactly its exported schema, one trigger per region and pool."""
    plan = _plan(
        _r1_blocks(),
    )
    result = expansion_triggers(_r1_forecast(), plan, as_of=MONDAY)
    assert result.triggers.schema == TRIGGERS_SCHEMA
    assert result.drivers.schema == DRIVERS_SCHEMA
    assert result.idle_risk.schema == IDLE_RISK_SCHEMA
    assert result.triggers.select("region", "pool").rows() == [("r1", "training"), ("r1", "all")]


def test_frames_are_unique_on_their_registry_keys() -> None:
    """The key the registry declares for each stored trigger frame identifies its rows."""
    extra = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(28))  # fmt: skip
    plan = _plan(_r2_blocks(extra))
    result = expansion_triggers(_r2_forecast(q10=800.0), plan, as_of=MONDAY)
    power = mw_by_site_month(plan, result.triggers, start=MONDAY, end=date(2026, 6, 30))
    frames = {
        "triggers": result.triggers,
        "trigger_drivers": result.drivers,
        "idle_risk": result.idle_risk,
        "site_power": power,
    }
    for name, frame in frames.items():
        key = [c for c in table(name).key if c != "run_id"]
        assert frame.height > 0, name
        assert not frame.select(key).is_duplicated().any(), name


def test_training_pool_counts_only_fabric_blocks() -> None:
    """Training exhausts on day 241 against the 800-GPU pod, the rack's 400 GPUs not counted."""
    row = _trigger(_plan(_r1_blocks()), _r1_forecast(), "r1", "training")
    assert row["exhaustion_date"] == _day(241) == date(2026, 9, 3)
    assert row["capacity_gpus_at_exhaustion"] == 800
    assert row["requirement_gpus_at_exhaustion"] == pytest.approx((400 + 241) / 0.8)
    assert row["candidate"] == "pod-c"  # the rack candidate has no fabric


def test_order_by_date_and_green_status() -> None:
    """Order-by is exhaustion minus 20 weeks' lead time minus the 4-week buffer; early is green."""
    row = _trigger(_plan(_r1_blocks()), _r1_forecast(), "r1", "training")
    assert row["order_by"] == _day(241 - 24 * 7) == date(2026, 3, 19)
    assert row["arrives"] == _day(241 - 4 * 7)
    assert row["status"] == "green"
    assert row["max_shortfall_gpus"] == pytest.approx((400 + 364) / 0.8 - 800)
    assert (row["blocks_to_order"], row["capex_usd"], row["mw"]) == (1, 40e6, 1.5)


@pytest.mark.parametrize(
    ("as_of", "status"),
    [
        (date(2026, 3, 19), "green"),  # on the order-by date
        (date(2026, 3, 20), "amber"),  # inside the buffer
        (date(2026, 4, 16), "amber"),  # the last day a pod still arrives by exhaustion
        (date(2026, 4, 17), "red"),  # lead time lost: short whatever is ordered
    ],
)
def test_status_around_the_order_by_date(as_of: date, status: str) -> None:
    """Green through the order-by date, amber inside the buffer, red once lead time is lost."""
    row = _trigger(_plan(_r1_blocks()), _r1_forecast(), "r1", "training", as_of=as_of)
    assert row["exhaustion_date"] == date(2026, 9, 3)
    assert row["status"] == status
    if status != "green":
        assert row["arrives"] == as_of + timedelta(weeks=20)
        assert "no candidate can be ordered by its order-by date" in row["note"]


def test_cheapest_candidate_in_time_sets_blocks_capex_and_mw() -> None:
    """r2 exhausts on day 121; only the rack is still orderable: 2 racks for a 305-GPU shortfall."""
    row = _trigger(_plan(_r2_blocks()), _r2_forecast(), "r2", "all")
    assert row["exhaustion_date"] == _day(121) == date(2026, 5, 6)
    assert row["max_shortfall_gpus"] == pytest.approx((600 + 364) / 0.8 - 900)
    assert row["candidate"] == "rack-c"  # the pod's order-by (20 + 4 weeks back) has passed
    assert row["order_by"] == date(2026, 2, 11)
    assert row["arrives"] == date(2026, 4, 8)
    assert (row["blocks_to_order"], row["capex_usd"], row["mw"]) == (2, 16e6, pytest.approx(0.8))
    assert row["status"] == "green"


def test_late_order_picks_the_candidate_that_arrives_first() -> None:
    """Past every order-by date the 8-week rack is chosen over the cheaper-per-block pod."""
    as_of = date(2026, 3, 1)
    row = _trigger(_plan(_r2_blocks()), _r2_forecast(), "r2", "all", as_of=as_of)
    assert (row["candidate"], row["status"]) == ("rack-c", "amber")
    assert row["arrives"] == as_of + timedelta(weeks=8)


def test_pool_that_never_exhausts_is_green_with_null_dates() -> None:
    """r2 has no training demand: its training pool is green with no dates and nothing to order."""
    row = _trigger(_plan(_r2_blocks()), _r2_forecast(), "r2", "training")
    assert row["status"] == "green"
    assert row["exhaustion_date"] is None and row["order_by"] is None
    assert row["blocks_to_order"] == 0


def test_committed_block_shifts_exhaustion() -> None:
    """100 fabric GPUs committed for day 208 move training exhaustion from day 241 to day 321."""
    extra = _block("r1-next", 100, kind="pod", fabric=True, status="committed",
                   in_service=_day(208))  # fmt: skip
    row = _trigger(_plan(_r1_blocks(extra)), _r1_forecast(), "r1", "training")
    assert row["exhaustion_date"] == _day(321)
    assert row["capacity_gpus_at_exhaustion"] == 900


def test_retiring_block_causes_exhaustion() -> None:
    """r2's rack retiring on day 56 leaves 500 GPUs: the region is short that very day."""
    blocks = [
        _block("r2-rack", 400, region="r2", site="r2-a", status="retiring", retire=_day(56)),
        _block("r2-pod", 500, region="r2", site="r2-b", kind="pod", fabric=True),
    ]
    row = _trigger(_plan(blocks), _r2_forecast(), "r2", "all")
    assert row["exhaustion_date"] == _day(56)
    assert row["capacity_gpus_at_exhaustion"] == 500


def test_all_pool_uses_mean_weighted_headroom() -> None:
    """Inference (25 %, mean 300) and batch (0 %, mean 100) blend to 18.75 % headroom."""
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=lambda d: 800 + d),
            _series("total/r1/inference", "mean", q90=300.0),
            _series("total/r1/batch", "mean", q90=100.0),
        ]
    )
    plan = _plan([_block("r1-rack", 1000)], inference=0.25, batch=0.0)
    # (800 + d) / (1 - 0.1875) > 1000 first when d > 12.5.
    assert _trigger(plan, forecast, "r1", "all")["exhaustion_date"] == _day(13)


def test_all_pool_reads_its_class_mix_at_the_trigger_quantile() -> None:
    """A batch deal the forecast carries at 35 % odds: its class's mean measure reads 35
    GPUs expected and 100 at q90, as the region's q90 peak counts it. The mix is read at q90
    (inference 25 % headroom on 300 of 400: 18.75 %), so (800 + d) / 0.8125 > 1000 from day
    13, signed (expected 100) or not; read off expected means the mix was 22.4 % and the
    unsigned deal exhausted the region from day 0, later once it signed."""
    plan = _plan([_block("r1-rack", 1000)], inference=0.25, batch=0.0)
    for expected in (35.0, 100.0):
        forecast = pl.concat(
            [
                _series("total/r1", "peak", q90=lambda d: 800 + d),
                _series("total/r1/inference", "mean", q90=300.0),
                _series("total/r1/batch", "mean", q90=100.0, mean=expected),
            ]
        )
        assert _trigger(plan, forecast, "r1", "all")["exhaustion_date"] == _day(13), expected


def test_dedicated_block_counts_only_toward_its_customer() -> None:
    """A 300-GPU acme block leaves shared capacity alone and takes acme's demand off the pool."""
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=lambda d: 500 + d),
            _series("total/r1/inference", "mean", q90=400.0),
            _series("total/r1/inference/acme", "mean", q90=200.0),
            _series("total/r1/inference/other", "mean", q90=200.0),
        ]
    )
    plan = _plan([_block("r1-rack", 400), _block("r1-acme", 300, dedicated_customer="acme")])
    row = _trigger(plan, forecast, "r1", "all")
    # (500 + d - min(300, 200)) / 0.8 > 400 first when d > 20.
    assert row["exhaustion_date"] == _day(21)
    assert row["capacity_gpus_at_exhaustion"] == 400


def test_a_dedicated_customers_peak_is_off_the_shared_pool() -> None:
    """solo is r1's whole training class (mean 300, peak 430 GPUs) on a 1,024-GPU pod
    dedicated to it; the shared blocks host no training. The pool's peak less solo's *mean*
    left its peak-over-mean on the shared pool: (430 - 300) / 0.8 = 162.5 GPUs short on day
    0, a red pod order for a customer its pod serves in full (the sweep's onecust fleet: a
    $41M pod 251 days late). Peaks do not add, so the shared pool's peak is at most the
    peaks left on it: none of the others, and solo's peak over its pod. On a 400-GPU pod
    solo's peak overflows by 30 GPUs and that, (430 - 400) / 0.8 = 37.5, is short."""
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=530.0),
            _series("total/r1", "mean", q90=400.0),
            _series("total/r1/training", "peak", q90=430.0),
            _series("total/r1/training", "mean", q90=300.0),
            _series("total/r1/training/solo", "peak", q90=430.0),
            _series("total/r1/training/solo", "mean", q90=300.0),
            _series("total/r1/inference", "peak", q90=100.0),
            _series("total/r1/inference", "mean", q90=100.0),
            _series("total/r1/inference/other", "peak", q90=100.0),
            _series("total/r1/inference/other", "mean", q90=100.0),
        ]
    )
    solo = {"kind": "pod", "fabric": True, "dedicated_customer": "solo"}
    plan = _plan([_block("r1-rack", 400), _block("r1-solo", 1024, **solo)])
    served = _trigger(plan, forecast, "r1", "training")
    assert (served["status"], served["exhaustion_date"], served["blocks_to_order"]) == (
        "green",
        None,
        0,
    )
    assert served["note"].startswith("no training demand on the shared blocks")
    # The all pool keeps inference's 100 GPUs and none of solo's: (100) / 0.8 on 400 GPUs.
    assert _trigger(plan, forecast, "r1", "all")["exhaustion_date"] is None
    small = _plan([_block("r1-rack", 400), _block("r1-solo", 400, **solo)])
    over = _trigger(small, forecast, "r1", "training")
    assert over["exhaustion_date"] == MONDAY
    assert over["requirement_gpus_at_exhaustion"] == pytest.approx(30 / 0.8)


def test_all_pool_is_not_ordered_twice_for_the_training_order() -> None:
    """r1's pod ordered for training (in by day 213) covers the region's shortfall from day 261."""
    row = _trigger(_plan(_r1_blocks()), _r1_forecast(), "r1", "all")
    assert row["exhaustion_date"] == _day(261)
    assert row["capacity_gpus_at_exhaustion"] == 1200
    assert row["blocks_to_order"] == 0 and row["capex_usd"] == 0.0
    assert (row["candidate"], row["order_by"], row["status"]) == (
        "pod-c",
        date(2026, 3, 19),
        "green",
    )
    assert row["note"].startswith("covered by the training-pool order")


def _short_from_day_0() -> pl.DataFrame:
    """r1 at 800 GPUs peak (training 600, inference 200) every day: on one 100-GPU rack both
    pools are short from day 0."""
    return pl.concat(
        [
            _series("total/r1", "peak", q90=800.0),
            _series("total/r1", "mean", q90=700.0),
            _series("total/r1/training", "peak", q90=600.0),
            _series("total/r1/training", "mean", q90=500.0),
            _series("total/r1/inference", "peak", q90=200.0),
            _series("total/r1/inference", "mean", q90=200.0),
        ]
    )


def _pods_only() -> CapacityPlan:
    """One 100-GPU rack in r1, and pods (20 weeks) the only candidate."""
    plan = _plan([_block("r1-rack", 100)], inference=0.2, training=0.2)
    return plan.model_copy(update={"candidate": [c for c in plan.candidate if c.name == "pod-c"]})


def test_a_late_order_is_sized_from_its_arrival_so_the_training_order_covers_the_region() -> None:
    """r1 holds one 100-GPU rack and pods are the only candidate: both pools are short from day
    0 and no pod lands before day 140. The training pod (750 short) covers the region's 900
    from its arrival, when the region's own pod would land too: one pod, not two."""
    forecast, plan = _short_from_day_0(), _pods_only()
    training = _trigger(plan, forecast, "r1", "training")
    assert training["blocks_to_order"] == 1 and training["arrives"] == _day(140)
    region = _trigger(plan, forecast, "r1", "all")
    assert region["status"] == "red" and region["blocks_to_order"] == 0
    assert region["note"].startswith("covered by the training-pool order: 1 x pod-c")


def test_an_order_landing_after_the_forecast_ends_is_not_sized() -> None:
    """The same fleet forecast for 30 days only: both pods land on day 140, after it ends.
    They were sized on the days before they land, days they cannot serve (ServeGen at 7 days
    ordered 2 racks, $16.9M, where its 26-week run orders 7, $59.1M, sized after arrival), and
    the capex read as a measured figure. Now what to order and by when stand, but the size,
    capex and MW are not measured, nothing is placed (so no total counts it), and the note
    says how far ahead to forecast to size it. Forecast past the arrival, it is sized."""
    forecast, pods = _short_from_day_0().filter(pl.col("ds") < _day(30)), _pods_only()
    result = expansion_triggers(forecast, pods, as_of=MONDAY)
    for pool in ("training", "all"):
        row = _row(result.triggers, "r1", pool)
        assert (row["status"], row["candidate"], row["arrives"]) == ("red", "pod-c", _day(140))
        assert (row["blocks_to_order"], row["capex_usd"], row["mw"]) == (None, None, None)
        assert row["note"].startswith(
            f"{NOT_SIZED} (it lands {_day(140)}, the forecast ends {_day(29)}): its size, capex "
            "and MW are not measured and are in no total; forecast at least 141 days ahead"
        )
    assert result.placements.is_empty()
    sized = _trigger(pods, _short_from_day_0(), "r1", "training")
    assert sized["blocks_to_order"] == 1 and sized["capex_usd"] == 40e6


def test_an_unsized_order_past_the_longest_daily_forecast_says_how_many_months_to_plan() -> None:
    """A capacity plan whose candidates take 400 weeks: the order landing 2801 days out said
    "forecast at least 2801 days ahead to size it", which `--horizon` refuses (7 to 730
    days): the plan past the daily days is months. Such a note now says the months and the
    option that reaches them; within 730 days it still says days (the test above)."""
    pods = _pods_only()
    slower = [c.model_copy(update={"lead_time_weeks": 400}) for c in pods.candidate]
    slow = pods.model_copy(update={"candidate": slower})
    forecast = _short_from_day_0().filter(pl.col("ds") < _day(30))
    note = str(_row(expansion_triggers(forecast, slow, as_of=MONDAY).triggers, "r1", "all")["note"])
    lands = MONDAY + timedelta(weeks=400)
    assert f"it lands {lands}" in note, note
    assert "2801 days ahead" not in note and "days ahead to size it" not in note, note
    months = (lands.year - MONDAY.year) * 12 + lands.month - MONDAY.month
    said = f"forecast at least {months} months ahead to size it (`--horizon-months {months}`)"
    assert said in note, note


def test_an_unsized_order_on_a_fleet_too_young_for_monthly_rows_says_what_would_give_them() -> None:
    """The same 400-week plan on a 30-day fleet whose forecast refused monthly rows as too
    young: the note asked for `--horizon-months 92`, and the reader who ran it got the same
    refusal. It says now that the months need monthly rows, and that they need 84 days of
    history after a series' onboarding ramp where the fleet's youngest series has 30."""
    pods = _pods_only()
    slower = [c.model_copy(update={"lead_time_weeks": 400}) for c in pods.candidate]
    slow = pods.model_copy(update={"candidate": slower})
    forecast = _short_from_day_0().filter(pl.col("ds") < _day(30))
    young = TriggerSettings(months_refused=MonthsRefused(needed_days=84, history_days=30))
    result = expansion_triggers(forecast, slow, as_of=MONDAY, settings=young)
    note = str(_row(result.triggers, "r1", "all")["note"])
    lands = MONDAY + timedelta(weeks=400)
    months = (lands.year - MONDAY.year) * 12 + lands.month - MONDAY.month
    assert "`--horizon-months" not in note.replace("`--horizon-months` gives none", ""), note
    assert "reaches that by itself" not in note, note
    said = (
        f"forecast at least {months} months ahead to size it, which only monthly rows reach, "
        "and this fleet is too young for them: they need 84 days of history after a series' "
        "onboarding ramp, its youngest region or class has 30, and `--horizon-months` gives "
        "none until it has"
    )
    assert said in note, note


def test_a_late_order_says_what_the_expedite_rung_would_make_of_it() -> None:
    """The response ladder's expedite rung was read by no trigger: a red order never said that
    paying the premium lands it sooner. The 20-week pod, short from day 0, lands on day 140;
    8 weeks sooner for 25 % more it is still late, 20 weeks sooner it lands by exhaustion."""
    forecast, pods = _short_from_day_0(), _pods_only()
    assert "expedited" not in _trigger(pods, forecast, "r1", "training")["note"]

    def expedited(weeks: int) -> str:
        rung = {"weeks_saved": weeks, "premium": 0.25}
        with_rung = pods.model_copy(update={"response": Response(expedite=rung)})
        return str(_trigger(with_rung, forecast, "r1", "training")["note"])

    assert (
        "expedited ([response.expedite]: 8 weeks sooner for 25% more capex, $10.0M) it lands "
        f"{_day(84)}, still 84 days after exhaustion"
    ) in expedited(8)
    assert f"it lands {_day(0)}, by exhaustion" in expedited(20)


def test_an_order_of_zero_lead_time_is_not_offered_an_expedite_premium() -> None:
    """``lead_time_weeks = 0`` is a block type in service the day it is ordered (the drill
    already reads it so): the trigger dates it as such (order by = exhaustion less the buffer,
    in service on the day ordered), but its note offered "expedited ([response.expedite]: 0
    weeks sooner for 25% more capex, $10.0M)", a premium that buys nothing. The note now
    says that expediting cannot bring it sooner, and names no premium."""
    forecast, pods = _short_from_day_0(), _pods_only()
    at_once = [c.model_copy(update={"lead_time_weeks": 0}) for c in pods.candidate]
    rung = Response(expedite={"weeks_saved": 8, "premium": 0.25})
    plan = pods.model_copy(update={"candidate": at_once, "response": rung})
    row = _trigger(plan, forecast, "r1", "training")
    assert (row["arrives"], row["exhaustion_date"]) == (_day(0), _day(0))
    assert row["order_by"] == _day(0) - timedelta(weeks=4)
    note = str(row["note"])
    assert "0 weeks sooner" not in note and "more capex" not in note, note
    assert (
        "[response.expedite] cannot bring it sooner: pod-c's lead time is 0 weeks (in "
        "service the day it is ordered)"
    ) in note, note


def test_a_shortfall_that_planned_capacity_ends_before_any_order_lands_orders_nothing() -> None:
    """Short from day 0 until a committed block lands on day 30; the only candidate, a pod,
    lands on day 140: red, nothing to order (an order would only stand idle), and the note
    says why instead of claiming that no block type can serve the pool."""
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=500.0),
            _series("total/r1", "mean", q90=400.0),
            _series("total/r1/inference", "peak", q90=500.0),
            _series("total/r1/inference", "mean", q90=400.0),
        ]
    )
    plan = _plan(
        [_block("r1-rack", 100), _block("r1-new", 1000, status="committed", in_service=_day(30))]
    )
    plan = plan.model_copy(update={"candidate": [c for c in plan.candidate if c.name == "pod-c"]})
    row = _trigger(plan, forecast, "r1", "all")
    assert row["exhaustion_date"] == MONDAY and row["status"] == "red"
    assert row["blocks_to_order"] == 0 and row["capex_usd"] == 0.0
    assert "when capacity already planned covers the need: nothing to order" in row["note"]


def _short_until_committed(day: int) -> dict[str, Any]:
    """r1 short from day 0 (625 GPUs needed, 100 live) until 1,000 committed GPUs land on
    ``day``; the rack candidate, ordered today, lands on day 56."""
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=500.0),
            _series("total/r1", "mean", q90=400.0),
            _series("total/r1/inference", "peak", q90=500.0),
            _series("total/r1/inference", "mean", q90=400.0),
        ]
    )
    committed = _block("r1-new", 1000, status="committed", in_service=_day(day))
    return _trigger(_plan([_block("r1-rack", 100), committed]), forecast, "r1", "all")


def test_an_order_landing_within_the_buffer_of_committed_blocks_is_not_bought() -> None:
    """Racks ordered today land on day 56, 14 days before 1,000 committed GPUs that cover the
    need: they bridged only those days and then stood idle, and the note named neither the
    committed block nor the 14 days (the idle fleet bought 4 racks per region, $67.6M, 18
    days before 4,096 committed GPUs). Now: red, nothing to order, and the note says what
    lands when and what to do instead."""
    row = _short_until_committed(70)
    assert row["exhaustion_date"] == MONDAY and row["status"] == "red"
    assert (row["blocks_to_order"], row["capex_usd"], row["mw"]) == (0, 0.0, 0.0)
    assert row["note"] == (
        f"short from {MONDAY} until the capacity already planned lands: 1 committed block "
        f"(r1-new; 1,000 GPUs) in service {_day(70)}; an order placed today (3 x rack-c, "
        f"$24.0M) lands {_day(56)}, only 14 days before them (within the 4-week buffer), and "
        "would stand idle after: nothing to order; absorb the shortfall, expedite the planned "
        "blocks or pull them in"
    )


def test_an_order_bridging_to_committed_blocks_names_them_and_the_days() -> None:
    """Committed GPUs land 64 days after the racks would: past the buffer the racks are
    bought as before, and the note says they bridge those 64 days to the committed block."""
    row = _short_until_committed(120)
    assert row["status"] == "red" and row["blocks_to_order"] == 3
    assert (
        f"it bridges the 64 days from its arrival ({_day(56)}) until 1 committed block "
        f"(r1-new; 1,000 GPUs) land {_day(120)}, after which capacity already planned covers "
        "the need to"
    ) in row["note"]


def test_drivers_shares_sum_to_one_and_name_who_grew() -> None:
    """Acme's training growth is 3/4 of the region's growth to day 261 and all of training's."""
    drivers = expansion_triggers(_r1_forecast(), _plan(_r1_blocks()), as_of=MONDAY).drivers
    sums = drivers.group_by("region", "pool").agg(pl.col("share").sum())
    assert sums["share"].to_list() == pytest.approx([1.0, 1.0])
    everything = _row(drivers.filter(pl.col("customer") == "acme"), "r1", "all")
    assert (everything["workload_class"], everything["growth_gpus"]) == ("training", 261.0)
    assert everything["share"] == pytest.approx(0.75)  # 261 / (261 + 261 / 3)
    assert everything["to_date"] == _day(261)
    # The two means the growth is read between: acme's on day 0 and on that day.
    assert (everything["from_gpus"], everything["to_gpus"]) == pytest.approx((100.0, 361.0))
    training = drivers.filter(pl.col("pool") == "training").sort("customer")
    assert training["customer"].to_list() == ["acme", "other"]
    # other's flat 200 GPUs grow by nothing: no share, not 0 % of it.
    assert training["share"].to_list() == [pytest.approx(1.0), None]


def test_a_shrinking_part_has_no_share_and_the_growers_shares_stay_within_one() -> None:
    """Training/other falls by half a GPU a day while acme and inference grow: over the net
    growth acme's share read 120 % and other's -60 % (a 28-day fleet read -7,130 %). Shares
    are of the growth of the parts that grew; a part that shrank has none (its fall is in its
    growth)."""
    falling = _series("total/r1/training/other", "mean", q90=lambda d: 200 - d / 2)
    forecast = pl.concat(
        [_r1_forecast().filter(pl.col("unique_id") != "total/r1/training/other"), falling]
    )
    drivers = expansion_triggers(forecast, _plan(_r1_blocks()), as_of=MONDAY).drivers
    everything = drivers.filter((pl.col("region") == "r1") & (pl.col("pool") == "all"))
    acme = everything.filter(pl.col("customer") == "acme")["share"].item()
    assert acme == pytest.approx(0.75)  # 261 / (261 + 261 / 3)
    training = everything.filter(pl.col("workload_class") == "training")
    other = training.filter(pl.col("customer") == "other")
    assert other["growth_gpus"].item() == pytest.approx(-130.5) and other["share"].item() is None
    assert everything["share"].drop_nulls().sum() == pytest.approx(1.0)


def test_a_pool_that_does_not_grow_credits_nobody_with_its_growth() -> None:
    """A customer who left (0 -> 0.015 GPUs) while every other part of the pool shrank read
    100 % of the pool's growth, and 42.6 % where another part grew by 0.02 GPUs: shares of
    noise, topping "Who drives the growth" (the sweep's churn fleet). Growth under half a GPU
    is no growth, and a pool whose parts grew by less than 1 % of its first day's demand (or
    one GPU) does not grow: no part has a share. A pool that grows keeps its shares."""
    gone = _series("total/r1/inference/gone", "mean", q90=lambda d: d * 0.015 / (DAYS - 1))
    shrinking = pl.concat(
        [
            _series("total/r1", "peak", q90=500.0),
            _series("total/r1/training", "peak", q90=200.0),
            _series("total/r1/training/acme", "mean", q90=lambda d: 300 - d / 10),
            _series("total/r1/inference/other", "mean", q90=lambda d: 200 - d / 20),
            gone,
        ]
    )
    drivers = expansion_triggers(shrinking, _plan(_r1_blocks()), as_of=MONDAY).drivers
    assert drivers.filter(pl.col("customer") == "gone")["growth_gpus"].to_list() == [
        pytest.approx(0.015)
    ]
    assert drivers["share"].null_count() == drivers.height
    grows = _series("total/r1/inference/other", "mean", q90=lambda d: 200 + d / 20)
    growing = pl.concat(
        [shrinking.filter(pl.col("unique_id") != "total/r1/inference/other"), grows]
    )
    drivers = expansion_triggers(growing, _plan(_r1_blocks()), as_of=MONDAY).drivers
    shares = dict(drivers.filter(pl.col("pool") == "all").select("customer", "share").rows())
    assert shares == {"other": pytest.approx(1.0), "gone": None, "acme": None}


def _seam_forecast(*, monthly: dict[date, float]) -> pl.DataFrame:
    """r2 with 7 daily rows at a 600-GPU peak (a 750 requirement on 900 GPUs) and monthly
    rows past them at the given peaks (the as-of month's row covers its days past the daily
    rows)."""
    daily = _r2_forecast().filter(pl.col("ds") < _day(7)).with_columns(grain=pl.lit("day"))
    rows = []
    for uid in ("total/r2", "total/r2/inference"):
        for measure in ("peak", "mean"):
            for first, peak in monthly.items():
                value = peak if measure == "peak" else 500.0
                rows.append(
                    {
                        "run_id": "hand",
                        "unique_id": uid,
                        "ds": first,
                        "measure": measure,
                        "model": "hand",
                        "mean": value,
                        "q10": value,
                        "q50": value,
                        "q90": value,
                        "q99": value,
                        "grain": "month",
                    }
                )
    months = pl.DataFrame(rows, schema={**FORECAST_SCHEMA, "grain": pl.String})
    return pl.concat([daily.with_columns(pl.col("q90") * 0 + 600.0), months], how="diagonal")


def test_a_shortfall_on_the_monthly_rows_alone_is_not_red_or_late() -> None:
    """A fleet forecast with 7 daily days read red, "order by 2026-09-04, 90 days ago: late",
    where its 182-day run read green (order by 2027-04-25): its first shortfall was on the
    first monthly row, a month's peak day, above any one day's. The daily rows (750 of 900
    GPUs) never cross; January's monthly row (760 peak: 950) does. That shortfall is said as
    monthly and not verified at the daily grain, with how far ahead to forecast to date it,
    and it is amber at most, never red. So is one a month later (a one-customer fleet read red
    "Feb 2027" with 14 daily days, green with 182). Past the 182 days a default run reads by
    the day, every run reads months: the rule stands, said as its month."""
    seam = _seam_forecast(monthly={date(2026, 1, 1): 760.0, date(2026, 2, 1): 760.0})
    row = _trigger(_plan(_r2_blocks()), seam, "r2", "all")
    assert row["exhaustion_date"] == _day(7)  # the first day past the daily rows
    assert row["order_by"] < MONDAY and row["status"] == "amber"
    # A field beside the note's words, so the pages count it whatever the note says.
    assert row["monthly_only"] is True
    assert row["note"].startswith(
        "short at the monthly grain from January 2026 (a month's peak day, whose quantile reads "
        f"above any one day's), past the daily rows (to {_day(6)}), none of which is short: "
        f"{MONTHLY_ONLY} (order-by {row['order_by']} is the monthly rows', the earliest a daily "
        "shortfall could need): forecast at least 26 days ahead to date it; amber, not red, on it"
    )
    later = _seam_forecast(monthly={date(2026, 1, 1): 700.0, date(2026, 2, 1): 760.0})
    row = _trigger(_plan(_r2_blocks()), later, "r2", "all")
    assert (row["exhaustion_date"], row["status"]) == (date(2026, 2, 1), "amber")
    assert "forecast at least 54 days ahead to date it; amber, not red" in row["note"]
    months = {date(2026, m, 1): 700.0 for m in range(1, 13)} | {date(2026, 12, 1): 760.0}
    row = _trigger(_plan(_r2_blocks()), _seam_forecast(monthly=months), "r2", "all")
    assert row["exhaustion_date"] == date(2026, 12, 1)
    assert row["note"].startswith("exhausted in December 2026 (monthly rows past")
    assert MONTHLY_ONLY not in row["note"] and row["monthly_only"] is False


def test_the_monthly_only_rule_reads_the_one_default_daily_horizon(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rule above reads monthly exhaustions within a default run's daily days: that 182
    was declared again in triggers.orders (``_DEFAULT_DAILY_DAYS``) beside the options' and
    the forecast settings' own 182s, so a default changed in one place left the rule on the
    old one. Now one declaration, schema.DEFAULT_HORIZON_DAYS, which every default reads and
    the rule follows (narrowed to 14 days, February past them reads as its month); the rule is
    triggers.common's, which the power triggers read too."""
    from forecasting import schema
    from forecasting.forecast import ForecastSettings
    from forecasting.options import DecisionOptions, ForecastOptions
    from forecasting.triggers import common, plan

    assert not hasattr(plan, "_DEFAULT_DAILY_DAYS")
    defaults = (
        ForecastOptions.model_fields["horizon_days"].default,
        DecisionOptions.model_fields["horizon_days"].default,
        ForecastSettings().horizon_days,
    )
    assert defaults == (schema.DEFAULT_HORIZON_DAYS,) * 3
    seam = _seam_forecast(monthly={date(2026, 1, 1): 700.0, date(2026, 2, 1): 760.0})
    assert MONTHLY_ONLY in _trigger(_plan(_r2_blocks()), seam, "r2", "all")["note"]
    monkeypatch.setattr(common, "DEFAULT_HORIZON_DAYS", 14)
    row = _trigger(_plan(_r2_blocks()), seam, "r2", "all")
    assert row["note"].startswith("exhausted in February 2026 (monthly rows past")


def _stepped_r2(daily_days: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """r2's forecast with ``daily_days`` daily rows and monthly rows for 2026 past them: its
    peak steps up by 100 GPUs on each month's first day (700 in January) and is flat within
    the month, so a month's peak day reads as each of its days and the grain changes nothing.
    (daily rows, monthly rows), each with its ``grain``."""

    def peak(day: date) -> float:
        return 700.0 + 100.0 * (day.month - 1)

    values: dict[tuple[str, str], Callable[[date], float]] = {
        ("total/r2", "peak"): peak,
        ("total/r2/inference", "peak"): peak,
        **{(uid, "mean"): lambda _: 500.0 for uid in ("total/r2", "total/r2/inference")},
        ("total/r2/inference/other", "mean"): lambda _: 500.0,
    }
    schema = {**FORECAST_SCHEMA, "grain": pl.String}

    def rows(days: list[date], grain: str) -> pl.DataFrame:
        return pl.DataFrame(
            [
                {
                    "run_id": "hand",
                    "unique_id": uid,
                    "ds": d,
                    "measure": measure,
                    "model": "hand",
                    **dict.fromkeys(("mean", "q10", "q50", "q90", "q99"), f(d)),
                    "grain": grain,
                }
                for (uid, measure), f in values.items()
                for d in days
            ],
            schema=schema,
        )

    months = [date(2026, m, 1) for m in range(1, 13)]
    return rows([_day(i) for i in range(daily_days)], "day"), rows(months, "month")


def test_the_orders_to_place_today_do_not_move_with_the_daily_horizon() -> None:
    """The demo's capital to place read $740.4M at --horizon 2w and $2,150.4M at the default
    26 weeks: the card counted every order of the plan due by the daily forecast's last day,
    so a flag that sets the grain chose which orders finance signs today. A fleet whose
    demand steps up by month (the grain changes nothing: the same plan of five rack orders
    at 14 and 120 daily days) now reads the same order to place at both, the one whose
    order-by has come by the as-of day; the four due later (the first 2026-03-09, inside the
    120-day rows) are the plan's outlook at both."""
    from forecasting.report.inputs import FORECAST_MONTHS_SCHEMA, ReportInputs
    from forecasting.report.pages.common import orders_to_place, trigger_capital

    plan = _plan(_r2_blocks())
    settings = TriggerSettings(sizing_weeks=8)  # an order per two months: later orders
    placed: dict[int, pl.DataFrame] = {}
    due: dict[int, pl.DataFrame] = {}
    capital: dict[int, str] = {}
    for daily_days in (14, 120):
        daily, months = _stepped_r2(daily_days)
        result = expansion_triggers(
            pl.concat([daily, months]), plan, as_of=MONDAY, settings=settings
        )
        inputs = ReportInputs(
            run_id="hand",
            as_of=MONDAY,
            generated_at=datetime(2026, 1, 5, 6, tzinfo=UTC),
            plan=plan,
            forecast=daily.drop("grain"),
            forecast_months=months.select(list(FORECAST_MONTHS_SCHEMA)),
            triggers=result.triggers,
            placements=result.placements,
        )
        keys = ["region", "pool", "tranche", "order_by", "candidate", "blocks", "capex_usd"]
        placed[daily_days] = result.placements.select(keys).sort("tranche")
        frame = orders_to_place(inputs)
        assert frame is not None
        due[daily_days] = frame.select(keys).sort("tranche")
        capital[daily_days] = trigger_capital(inputs)
    # The plan itself is the same at both horizons: only the window could differ.
    assert placed[14].equals(placed[120]) and placed[14].height == 5
    assert placed[14]["order_by"].to_list()[1] == date(2026, 3, 9)
    assert due[14].equals(due[120]), (due[14], due[120])
    assert due[120].rows() == [("r2", "all", 1, date(2025, 11, 9), "rack-c", 2, 16e6)]
    for said in capital.values():
        assert said.startswith(
            "$16.0M in 1 order due by 2026-01-05, the as-of day (an order of the plan is due "
            "once its order-by has come, whatever the daily horizon; any tranche"
        ), said
        assert (
            "(+ $32.0M in 4 orders of the plan due after 2026-01-05, from 2026-03-09 to 2026-09-08"
            in said
        )


def test_idle_risk_of_a_committed_block_with_low_q10_demand() -> None:
    """A 400-GPU rack on top of 900 GPUs with a q10 requirement of 1000 leaves 300 idle."""
    extra = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(28))  # fmt: skip
    forecast = _r2_forecast(q10=800.0)  # requirement 800 / 0.8 = 1000 of 1300 GPUs
    idle = expansion_triggers(forecast, _plan(_r2_blocks(extra)), as_of=MONDAY).idle_risk
    row = idle.row(0, named=True)
    assert (row["block_id"], row["pool"], row["in_service"]) == ("r2-new", "all", _day(28))
    assert row["idle_gpus"] == pytest.approx(300.0)
    assert row["idle_share"] == pytest.approx(0.75)
    assert row["capex_at_risk_usd"] == pytest.approx(300 * 8e6 / 250)  # rack-c per GPU


def test_idle_risk_judged_on_fewer_days_than_its_window_says_so() -> None:
    """A block entering service 10 days before the forecast ends is judged on those 10 days,
    not the 13 weeks its figure stands for: the note says how many."""
    last = DAYS - 1
    extra = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(last - 9))  # fmt: skip
    idle = expansion_triggers(
        _r2_forecast(q10=800.0), _plan(_r2_blocks(extra)), as_of=MONDAY
    ).idle_risk
    row = idle.row(0, named=True)
    assert row["idle_gpus"] is not None
    assert row["note"].endswith(
        f"judged on its first 10 days in service only, not 91: the forecast ends on {_day(last)}"
    )
    early = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(28))  # fmt: skip
    whole = expansion_triggers(_r2_forecast(q10=800.0), _plan(_r2_blocks(early)), as_of=MONDAY)
    assert "judged on its first" not in whole.idle_risk.row(0, named=True)["note"]
    # Retired 20 days in, it is judged on those days, and the note says why (it blamed the
    # forecast's end, months later).
    brief = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(28), retire=_day(48))  # fmt: skip
    cut = expansion_triggers(_r2_forecast(q10=800.0), _plan(_r2_blocks(brief)), as_of=MONDAY)
    assert cut.idle_risk.row(0, named=True)["note"].endswith(
        f"judged on its first 20 days in service only, not 91: it retires on {_day(48)}"
    )


def test_newest_committed_block_stands_idle_first() -> None:
    """Two committed racks and 500 idle GPUs: the later one is all idle, the earlier 100 of 400."""
    blocks = _r2_blocks(
        _block("r2-early", 400, region="r2", status="committed", in_service=_day(7)),
        _block("r2-late", 400, region="r2", status="committed", in_service=_day(14)),
    )
    forecast = _r2_forecast(q10=960.0)  # 1200 GPUs needed of 1700 once both are in
    idle = expansion_triggers(forecast, _plan(blocks), as_of=MONDAY, settings=TriggerSettings(
        idle_weeks=1)).idle_risk  # fmt: skip
    by_block = dict(idle.select("block_id", "idle_gpus").iter_rows())
    # r2-early's first week: 7 days with 1300 GPUs in, 100 idle.
    assert by_block == pytest.approx({"r2-late": 400.0, "r2-early": 100.0})


def test_mw_by_site_month_places_orders_at_the_largest_site() -> None:
    """r2's two racks (0.8 MW) arrive in April at r2-b, the site with the most MW."""
    plan = _plan(_r2_blocks())
    triggers = expansion_triggers(_r2_forecast(), plan, as_of=MONDAY).triggers
    mw = mw_by_site_month(plan, triggers, start=MONDAY, end=date(2026, 6, 30))
    assert mw.schema == MW_SCHEMA
    site = mw.filter(pl.col("site") == "r2-b")
    assert site["month"].to_list() == [date(2026, m, 1) for m in range(1, 7)]
    assert site["mw_new_blocks"].to_list() == pytest.approx([0, 0, 0, 0.8, 0, 0])
    assert site["mw_needed"].to_list() == pytest.approx([1.0, 1.0, 1.0, 1.8, 1.8, 1.8])
    assert mw.filter(pl.col("site") == "r2-a")["mw_needed"].to_list() == pytest.approx([0.5] * 6)


def test_mw_by_site_month_reaches_the_orders_that_land_after_the_forecast() -> None:
    """The same racks, the forecast read to February only: the months run on to April, when
    they land, so the page does not say r2-b "needs no more than" its 1.0 MW beside a power
    trigger sized on them (a 7-day ServeGen run read 2.3 MW needed beside its 5.0 MW row)."""
    plan = _plan(_r2_blocks())
    triggers = expansion_triggers(_r2_forecast(), plan, as_of=MONDAY).triggers
    mw = mw_by_site_month(plan, triggers, start=MONDAY, end=date(2026, 2, 28))
    site = mw.filter(pl.col("site") == "r2-b")
    assert site["month"].to_list() == [date(2026, m, 1) for m in range(1, 5)]
    assert site["mw_needed"].to_list() == pytest.approx([1.0, 1.0, 1.0, 1.8])


def test_missing_quantile_column_is_named() -> None:
    """Asking for a quantile the forecast lacks fails with the column's name."""
    with pytest.raises(ValueError, match="q95"):
        expansion_triggers(
            _r1_forecast(),
            _plan(_r1_blocks()),
            as_of=MONDAY,
            settings=TriggerSettings(quantile="q95"),
        )


def test_missing_peak_series_is_named_not_read_as_zero() -> None:
    """A region whose training peak is missing fails with the series' id, not a green light."""
    forecast = _r1_forecast().filter(
        ~((pl.col("unique_id") == "total/r1/training") & (pl.col("measure") == "peak"))
    )
    with pytest.raises(ValueError, match="total/r1/training"):
        expansion_triggers(forecast, _plan(_r1_blocks()), as_of=MONDAY)


def test_dedicated_block_takes_only_the_classes_it_hosts() -> None:
    """An inference-only acme block takes acme's inference off the pool, never its training.

    Region peak 500 + d, acme runs 100 inference and 200 training GPUs, its 300-GPU block
    hosts inference only: the offset is min(300, 100) = 100, so (500 + d - 100) / 0.8 > 600
    first on d = 81. Counting acme's training too (offset 300) would say d = 281: 200 days late.
    """
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=lambda d: 500 + d),
            _series("total/r1/inference", "mean", q90=200.0),
            _series("total/r1/training", "mean", q90=200.0),
            _series("total/r1/training", "peak", q90=200.0),
            _series("total/r1/inference/acme", "mean", q90=100.0),
            _series("total/r1/inference/other", "mean", q90=100.0),
            _series("total/r1/training/acme", "mean", q90=200.0),
        ]
    )
    acme = _block("r1-acme", 300, dedicated_customer="acme", classes=["inference"])
    plan = _plan([_block("r1-rack", 600), acme])
    assert _trigger(plan, forecast, "r1", "all")["exhaustion_date"] == _day(81)
    both = _block("r1-acme", 300, dedicated_customer="acme", classes=["inference", "batch"])
    # Two classes hosted, still none of them training: the same answer.
    assert _trigger(_plan([_block("r1-rack", 600), both]), forecast, "r1", "all")[
        "exhaustion_date"
    ] == _day(81)


def test_an_order_is_sized_for_its_window_not_the_whole_horizon() -> None:
    """r2 runs short on day 121 and keeps growing to a 305-GPU shortfall on day 364. Sized for
    8 weeks (to day 177: (600 + 177) / 0.8 - 900 = 71 GPUs) one 250-GPU rack does; sized for
    the default year, the whole horizon's shortfall takes two, and nothing is left for later."""
    plan = _plan(_r2_blocks())
    short = _trigger(plan, _r2_forecast(), "r2", "all", settings=TriggerSettings(sizing_weeks=8))
    assert (short["candidate"], short["blocks_to_order"]) == ("rack-c", 1)
    assert short["max_shortfall_gpus"] == pytest.approx((600 + 364) / 0.8 - 900)
    assert "sized for the 8 weeks after exhaustion" in short["note"]
    assert "later orders" in short["note"]
    year = _trigger(plan, _r2_forecast(), "r2", "all")
    assert year["blocks_to_order"] == 2
    assert "later orders" not in year["note"]


def test_an_order_sized_past_the_scored_days_says_what_the_median_would_order() -> None:
    """Sized for the year (to day 364, past the 182 days ahead the backtests score), the q90
    shortfall of 305 GPUs takes two racks; at a q50 of 0.8 x q90 the same window is 64 GPUs
    short, one rack, and the note says so. Sized for 8 weeks (to day 177) nothing is said."""
    forecast = _r2_forecast().with_columns(q50=pl.col("q90") * 0.8)
    plan = _plan(_r2_blocks())
    year = _trigger(plan, forecast, "r2", "all")
    assert year["blocks_to_order"] == 2
    assert (
        f"at q50 the same window needs 1 x rack-c ($8.0M): sized to {_day(DAYS - 1)}, past the "
        "182 days ahead a decision backtest scores: the order reads the band's upper tail"
    ) in year["note"]
    short = _trigger(plan, forecast, "r2", "all", settings=TriggerSettings(sizing_weeks=8))
    assert "at q50" not in short["note"]
    # Where the median asks for as many blocks, there is nothing to add.
    assert "at q50" not in _trigger(plan, _r2_forecast(), "r2", "all")["note"]
    # Where it is not short at all, it says so: "needs 0 x rack-c ($0.0M)" read as a price.
    never = _r2_forecast().with_columns(q50=pl.lit(0.0))
    note = _trigger(plan, never, "r2", "all")["note"]
    assert "at q50 the same window needs no block (the median is not short there)" in note
    assert "0 x rack-c" not in note


def test_the_median_note_names_the_days_this_run_s_backtests_scored() -> None:
    """A run whose backtests scored 28 days ahead says so, and says it of an order sized to
    day 177 (8 weeks), which 182 days would have passed over; one no backtest scored says
    that. Before, every note read "past the 182 days ahead the backtests score", a constant,
    on a run whose backtests scored 28 days (its page's banner said 28); without the run's
    reach the note now says 182 is the decision backtest's horizon, not this run's."""
    forecast = _r2_forecast().with_columns(q50=pl.col("q90") * 0.8)
    plan = _plan(_r2_blocks())
    year = _trigger(plan, forecast, "r2", "all", settings=TriggerSettings(scored_days=28))
    assert "past the 28 days ahead this run's backtests scored" in year["note"]
    assert "182" not in year["note"]
    weeks = TriggerSettings(sizing_weeks=8, scored_days=28)
    short = _trigger(plan, forecast, "r2", "all", settings=weeks)
    assert "past the 28 days ahead this run's backtests scored" in short["note"]
    unscored = _trigger(plan, forecast, "r2", "all", settings=TriggerSettings(scored_days=0))
    assert (
        f"sized to {_day(DAYS - 1)}, and no backtest of this run scored its band: the order "
        "reads the band's upper tail"
    ) in unscored["note"]
    with pytest.raises(ValueError, match="scored_days"):
        TriggerSettings(scored_days=-1)
    assert sizing.DECISION_HORIZON_DAYS == longrange.DECISION_HORIZON_DAYS


def test_the_plan_orders_after_the_trigger_to_its_end_by_the_same_rule() -> None:
    """r2, sized for 8 weeks: the trigger's rack (short from day 121) covers the pool to day
    320, and the next shortfall (day 321, once that rack is in service) takes a second rack by
    the same rule, ordered by day 237 (8 weeks' lead time and 4 weeks' buffer before it). Both
    are placements with their order-by date and capex, the trigger's note counts the later
    one, and together they cover the whole horizon's 305-GPU shortfall. Before, the plan
    priced and powered the first rack alone. Sized for a year, one order covers the plan."""
    result = expansion_triggers(
        _r2_forecast(), _plan(_r2_blocks()), as_of=MONDAY, settings=TriggerSettings(sizing_weeks=8)
    )
    placed = result.placements.filter(pl.col("region") == "r2").sort("tranche")
    assert placed.select(
        "pool", "tranche", "candidate", "blocks", "order_by", "arrives"
    ).rows() == [
        ("all", 1, "rack-c", 1, _day(37), _day(93)),
        ("all", 2, "rack-c", 1, _day(237), _day(293)),
    ]
    assert placed["capex_usd"].to_list() == [8e6, 8e6]
    assert int(placed["blocks"].sum()) * 250 >= (600 + 364) / 0.8 - 900
    note = _row(result.triggers, "r2", "all")["note"]
    assert (
        f": later orders (1 planned to {_day(364)} by the same rule, the first due {_day(237)}: "
        f"1 x rack-c by {_day(237)}; $8.0M)"
    ) in note
    assert placed["status"].to_list() == ["green", "green"]
    assert placed["exhaustion_date"].to_list() == [_day(121), _day(321)]
    year = expansion_triggers(_r2_forecast(), _plan(_r2_blocks()), as_of=MONDAY)
    assert year.placements.filter(pl.col("region") == "r2")["tranche"].to_list() == [1]
    assert "later order" not in _row(year.triggers, "r2", "all")["note"]


def test_a_later_order_due_before_the_as_of_date_says_it_is_late() -> None:
    """r2 growing 10 GPUs a day, sized for 2 weeks: the trigger's racks land late (day 56,
    short from day 13) and the plan's next rack is due 11 days before the as-of date. The
    note read "the first due 2025-12-25" as if that date were ahead (a demo what-if printed a
    cell due 173 days before its as-of date so); now it says how late, and when the order
    placed today lands, and each listed order past due reads "(late)"."""
    steep = pl.concat(
        [
            _series(uid, measure, q90=(lambda d: 600 + 10 * d) if measure == "peak" else 500.0)
            for uid in ("total/r2", "total/r2/inference")
            for measure in ("peak", "mean")
        ]
        + [_series("total/r2/inference/other", "mean", q90=500.0)]
    )
    result = expansion_triggers(
        steep, _plan(_r2_blocks()), as_of=MONDAY, settings=TriggerSettings(sizing_weeks=2)
    )
    second = result.placements.filter(pl.col("tranche") == 2).row(0, named=True)
    assert second["order_by"] == date(2025, 12, 25) < MONDAY
    note = _row(result.triggers, "r2", "all")["note"]
    assert (
        "the first due 2025-12-25 (11 days before the as-of date 2026-01-05: late; ordered "
        f"today it lands {second['arrives']}): 1 x rack-c by 2025-12-25 (late), 1 x rack-c by "
        "2026-01-14,"
    ) in note


def test_later_training_orders_serve_the_all_pool_too() -> None:
    """Training alone grows (3 GPUs a day) in r1, so each 8-week window takes a pod (the only
    block with fabric) for the training pool; those pods are in the all pool too, so the all
    pool orders nothing after its trigger, however long the plan: every later order is a
    training pod, and on every day from the first arrival both pools have what they need."""
    forecast = pl.concat(
        [
            _series("total/r1", "peak", q90=lambda d: 700 + 3 * d),
            _series("total/r1", "mean", q90=lambda d: 600 + 3 * d),
            _series("total/r1/training", "peak", q90=lambda d: 400 + 3 * d),
            _series("total/r1/training", "mean", q90=lambda d: 300 + 3 * d),
            _series("total/r1/inference", "mean", q90=300.0),
            _series("total/r1/training/other", "mean", q90=lambda d: 300 + 3 * d),
            _series("total/r1/inference/other", "mean", q90=300.0),
        ]
    )
    result = expansion_triggers(
        forecast, _plan(_r1_blocks()), as_of=MONDAY, settings=TriggerSettings(sizing_weeks=8)
    )
    placed = result.placements.filter(pl.col("region") == "r1")
    later = placed.filter(pl.col("tranche") > 1)
    assert later.height >= 1
    assert set(later["pool"]) == {"training"} and set(later["candidate"]) == {"pod-c"}
    d = np.arange(DAYS)
    orders = placed.select("arrives", "blocks").rows()
    arrived = np.array([sum(n * 1000 for day, n in orders if day <= _day(int(i))) for i in d])
    first = min(placed["arrives"])
    served = d >= (first - MONDAY).days
    assert ((400 + 3 * d) / 0.8 <= 800 + arrived)[served].all()
    assert ((700 + 3 * d) / 0.8 <= 1200 + arrived)[served].all()


def test_an_order_chosen_again_that_lands_in_time_is_sized_from_exhaustion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first choice, a pod, lands after exhaustion, so the pool is sized for the weeks after
    its arrival; the block type chosen for that later shortfall, a rack, lands in time after
    all (on a real plan: two powered cells first, then racks no site powers). The rack is sized
    from exhaustion like any order that lands in time, and its note says so: before, 341 racks
    landing a month before exhaustion were bought for the year after the cells' arrival."""
    chooser = rows.chosen_order
    calls: list[str] = []

    def first_the_pod_then_the_rack(options: Any, *args: Any, **kw: Any) -> Any:
        wanted = "pod-c" if not calls else "rack-c"
        calls.append(wanted)
        return chooser([c for c in options if c.name == wanted] or options, *args, **kw)

    monkeypatch.setattr(rows, "chosen_order", first_the_pod_then_the_rack)

    def demand(d: np.ndarray) -> np.ndarray:
        # Short from day ~118; a surge on days 125-134, before the pod could land (day 140).
        return 600.0 + 1.7 * d + np.where((d >= 125) & (d < 135), 1000.0, 0.0)

    forecast = pl.concat([_series("total/r1", m, q90=demand) for m in ("peak", "mean")])
    row = _trigger(_plan([_block("r1-rack", 1000)]), forecast, "r1", "all")
    assert calls[:2] == ["pod-c", "rack-c"]
    exhaustion = row["exhaustion_date"]
    assert row["candidate"] == "rack-c" and row["arrives"] <= exhaustion
    # Sized for the surge it lands before (2,285 GPUs required with headroom, 1,000 in service:
    # 6 racks), not for the weeks after the pod's arrival, which missed it (3 racks).
    surge = float(demand(np.array([134.0]))[0]) / 0.8 - 1000
    assert row["blocks_to_order"] == math.ceil(surge / 250) == 6
    assert "after its arrival" not in row["note"]


def test_an_order_chosen_again_of_another_type_is_sized_from_its_own_arrival(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first choice, a 40-week cell, lands long after exhaustion; the block type chosen for
    the weeks after the cell's arrival, a 20-week pod, lands earlier (and still late). The pod is
    sized for the weeks after its own arrival, and its note names that window: before, 579 pods
    landing 2026-12-21 were bought for the year after a 90-week cell's arrival, to 2029-01-29."""
    cell = {**POD, "name": "cell-c", "kind": "cell", "gpus": 4000, "mw": 6.0,
            "lead_time_weeks": 40, "capex_usd": 150e6}  # fmt: skip
    plan = _plan([_block("r1-rack", 500)])
    plan = plan.model_copy(update={"candidate": [*plan.candidate, type(plan.candidate[0])(**cell)]})
    chooser = rows.chosen_order
    calls: list[str] = []

    def first_the_cell_then_the_pod(options: Any, *args: Any, **kw: Any) -> Any:
        wanted = "cell-c" if not calls else "pod-c"
        calls.append(wanted)
        return chooser([c for c in options if c.name == wanted] or options, *args, **kw)

    monkeypatch.setattr(rows, "chosen_order", first_the_cell_then_the_pod)
    forecast = pl.concat(
        [_series("total/r1", m, q90=lambda d: 500 + 5 * d) for m in ("peak", "mean")]
    )
    row = _trigger(plan, forecast, "r1", "all", settings=TriggerSettings(sizing_weeks=8))
    assert calls[:2] == ["cell-c", "pod-c"]
    assert (row["candidate"], row["arrives"]) == ("pod-c", _day(140))
    # To day 196, 8 weeks after the pod lands: (500 + 5 x 196) / 0.8 - 500 = 1,350 GPUs, two
    # pods; the weeks after the cell's arrival (days 280-336) would have bought three.
    assert row["blocks_to_order"] == math.ceil(((500 + 5 * 196) / 0.8 - 500) / 1000) == 2
    assert f"sized for the 8 weeks after its arrival (to {_day(196)})" in row["note"]


def test_demand_no_block_of_its_region_hosts_is_named_on_the_all_pool() -> None:
    """r2's blocks host only batch while its demand is inference: the all pool says the
    inference demand has nowhere to run and its dates are not verified (it ordered exactly as
    a plan that hosts it, with nothing said); r2's training pool and a hosting plan say
    nothing of it."""
    batch_only = [b | {"classes": ["batch"]} for b in _r2_blocks()]
    result = expansion_triggers(_r2_forecast(), _plan(batch_only), as_of=MONDAY)
    note = _row(result.triggers, "r2", "all")["note"]
    assert note.startswith("inference demand (up to 964 GPUs at q90) has no block in r2")
    assert "so this pool's dates are not verified" in note
    assert f"r2 is short of it from the first forecast day ({MONDAY})" in note
    assert "no block in r2" not in (_row(result.triggers, "r2", "training")["note"] or "")
    hosted = _trigger(_plan(_r2_blocks()), _r2_forecast(), "r2", "all")
    assert "no block in r2" not in (hosted["note"] or "")


def test_demand_in_a_region_with_no_block_at_all_is_short_from_the_first_forecast_day() -> None:
    """r2 has telemetry but no block in the plan: its all pool has zero capacity, so it is short
    from the first forecast day for certain. The note said the inference demand was "counted
    here against blocks it cannot run on, so this pool's dates are not verified", of a pool with
    no block at all: a finding worded as a doubt. Now it says r2 is short of it from the first
    forecast day, with no capacity planned for it, and leaves "not verified" out."""
    result = expansion_triggers(_r2_forecast(), _plan(_r1_blocks()), as_of=MONDAY)
    row = _row(result.triggers, "r2", "all")
    assert (row["exhaustion_date"], row["capacity_gpus_at_exhaustion"]) == (MONDAY, 0)
    assert (
        "inference demand (up to 964 GPUs at q90) has no block in r2 that hosts inference: "
        f"r2 is short of it from the first forecast day ({MONDAY}), no capacity being planned "
        "for that demand"
    ) in row["note"]
    assert "cannot run on" not in row["note"]
    assert "dates are not verified" not in row["note"]


def test_a_region_with_no_block_in_service_says_the_plan_may_not_be_its_fleets() -> None:
    """Every r2 block enters service a year after the as-of day (a sample plan on an older
    trace): each r2 pool's note leads with it and the first in-service date; a region with
    live blocks says nothing of it."""
    later = [b | {"status": "committed", "in_service": _day(365)} for b in _r2_blocks()]
    result = expansion_triggers(_r2_forecast(), _plan(later), as_of=MONDAY)
    for pool in ("all", "training"):
        note = _row(result.triggers, "r2", pool)["note"]
        assert note.startswith(
            f"no block of the plan is in service in r2 on {MONDAY} (its first block enters "
            f"service {_day(365)}): check that the plan is this fleet's"
        )
    live = _trigger(_plan(_r2_blocks()), _r2_forecast(), "r2", "all")
    assert "no block of the plan is in service" not in (live["note"] or "")


def test_a_late_order_claims_no_growth_it_has_already_passed() -> None:
    """Demand peaks on day 40 and falls; the earliest block lands on day 56, sized for the
    shortfall from then. The larger shortfall before it is absorbed, not growth still to come:
    the note read "the shortfall grows by 60 more ...: later orders" with none planned, and
    "sized for the 52 weeks after its arrival" past a plan ending on day 364."""
    plan = _plan([_block("r1-rack", 500)])

    def peak(d: np.ndarray) -> np.ndarray:
        return np.where(d <= 40, 450 + 4 * d, 610 - 3 * (d - 40))

    forecast = pl.concat([_series("total/r1", m, q90=peak) for m in ("peak", "mean")])
    row = _trigger(plan, forecast, "r1", "all")
    assert row["arrives"] > row["exhaustion_date"]
    assert "later orders" not in row["note"]
    assert (
        f"sized for the days the plan covers after its arrival, to {_day(DAYS - 1)} (the 52 "
        f"weeks of a full window reach {row['arrives'] + timedelta(weeks=52)}, not within the "
        "horizon)"
    ) in row["note"]


def test_a_pool_with_no_demand_is_not_an_unverified_green() -> None:
    """r2 runs inference only: its training pool has no demand to verify, and says so, where
    it read "green to DAY only: not verified beyond" on an inference-only trace's front page
    (the forecast ending before a pod could still be ordered in time). With no training row
    in the whole telemetry, it says none was measured (a lost feed reads the same)."""
    plan = _plan(_r2_blocks())
    short = _r2_forecast().filter(pl.col("ds") < _day(14))
    row = _trigger(plan, short, "r2", "training")
    assert row["status"] == "green"
    assert row["note"].startswith("no training demand measured in any region")
    assert f"its forecast is zero through {_day(13)}" in row["note"]
    assert row["unverified_green"] is False
    unverified = _trigger(plan, short.with_columns(q90=pl.col("q90") / 4), "r2", "all")
    assert "not verified" in unverified["note"] and unverified["unverified_green"] is True


def test_a_region_forecast_as_zero_for_want_of_data_is_not_a_measured_green() -> None:
    """r2's series are the forecast's zero fallback (no observed day: a one-hour Azure trace).
    Its pools read green with "0.0" GPUs short and "no all demand in the forecast through
    DAY" in triggers.csv and the finance table, as if no demand had been measured, where the
    terminal and the pages' banner said the green was not verified; now every row of r2 says
    no demand was measured and its shortfall is unknown. r1, measured, is unchanged."""
    zero = pl.concat(
        [_series(uid, m, q90=0.0) for uid in ("total/r2", "total/r2/inference")
         for m in ("peak", "mean")]
    ).with_columns(model=pl.lit("zero"))  # fmt: skip
    plan = _plan([*_r1_blocks(), *_r2_blocks()])
    result = expansion_triggers(pl.concat([_r1_forecast(), zero]), plan, as_of=MONDAY)
    for pool in ("all", "training"):
        row = _row(result.triggers, "r2", pool)
        assert row["status"] == "green" and row["max_shortfall_gpus"] is None
        assert row["note"] == (
            "no demand measured in r2: not one complete day of telemetry, so its forecast is "
            f"zero through {_day(DAYS - 1)}; this green is not verified"
        )
    r1 = result.triggers.filter(pl.col("region") == "r1")
    assert r1.height == 2 and not r1["note"].str.contains("no demand measured").any()
    assert r1["max_shortfall_gpus"].is_not_null().all()


def test_a_region_whose_demand_is_the_contract_book_s_alone_says_so_on_every_row() -> None:
    """r2 is a greenfield site: a block committed for day 30, no telemetry, and a signed anchor
    contract of 800 inference GPUs from day 40 (its series the book's, model contract-book,
    the ramp at every quantile). Its pools were judged on the ramp with nothing saying the
    ramp was all there was, and "check that the plan is this fleet's" for a block not yet in
    service. Every r2 row now opens with the book-only words and keeps its red (800 GPUs
    with 20 % headroom need 1,000 against 900); r1, forecast, reads none of it."""
    from forecasting.contracts import BOOK_ONLY, CONTRACT_MODEL

    def ramp(d: np.ndarray) -> np.ndarray:
        return np.where(d >= 40, 800.0, 0.0)

    book = pl.concat(
        [_series(uid, m, q90=ramp) for uid in ("total/r2", "total/r2/inference",
         "total/r2/inference/apco") for m in ("peak", "mean")]
    ).with_columns(model=pl.lit(CONTRACT_MODEL))  # fmt: skip
    later = {"status": "committed", "in_service": _day(30)}
    plan = _plan([*_r1_blocks(), *(b | later for b in _r2_blocks())])
    result = expansion_triggers(pl.concat([_r1_forecast(), book]), plan, as_of=MONDAY)
    for pool in ("all", "training"):
        row = _row(result.triggers, "r2", pool)
        assert row["note"].startswith(
            f"{BOOK_ONLY}: r2's requirement is its contracts' ramps (a signed ramp the same at "
            "every quantile"
        )
        assert "check that the plan" not in row["note"]
    assert _row(result.triggers, "r2", "all")["exhaustion_date"] == _day(40)
    assert _row(result.triggers, "r2", "all")["status"] == "red"
    r1 = result.triggers.filter(pl.col("region") == "r1")
    assert not r1["note"].str.contains("contract book", literal=True).any()


def test_a_class_absent_from_the_whole_telemetry_is_not_a_measured_green() -> None:
    """No training row anywhere (a feed gap) while r2's fabric pod is reserved for it: r2's
    training pool read green, "no training demand in the forecast through DAY", where a region
    missing from telemetry reads not judged. It now says no training demand was measured in
    any region and its green is not verified; with r1's training in the forecast r2 has a
    measured zero, and reads as before."""
    plan = _plan([*_r1_blocks(), *_r2_blocks()])
    blind = expansion_triggers(_r2_forecast(), plan, as_of=MONDAY).triggers
    row = _row(blind, "r2", "training")
    assert row["status"] == "green" and row["max_shortfall_gpus"] is None
    assert row["note"].startswith(
        "no training demand measured in any region: the telemetry holds no training row"
    )
    assert "not verified" in row["note"] and row["unverified_green"] is False
    assert row["unmeasured_training"] is True
    assert not _row(blind, "r2", "all")["note"].startswith("no training demand measured")
    assert _row(blind, "r2", "all")["unmeasured_training"] is False
    seen = expansion_triggers(pl.concat([_r1_forecast(), _r2_forecast()]), plan, as_of=MONDAY)
    assert not _row(seen.triggers, "r2", "training")["note"].startswith(
        "no training demand measured"
    )
    assert seen.triggers["unmeasured_training"].to_list() == [False] * seen.triggers.height


def test_a_block_dedicated_to_a_customer_without_telemetry_is_not_measured_idle() -> None:
    """Two committed racks in r2, dedicated to a customer it forecasts (other) and to one with
    no telemetry at all (ghost). The ghost's idle GPUs, share and capital are not measured and
    read none, where the Helios case study's finance page showed its four blocks for VCs absent
    from the minute file "100.0 % idle, $3.6M at risk" (a note beside said "not measured idle")
    and counted them among the blocks judged; the other's are measured as before."""
    blocks = [
        _block(f"r2-{who}", 100, region="r2", site="r2-a", status="committed",
               in_service=_day(28), dedicated_customer=who)
        for who in ("other", "ghost")
    ]  # fmt: skip
    idle = expansion_triggers(_r2_forecast(), _plan(_r2_blocks(*blocks)), as_of=MONDAY).idle_risk
    rows = {r["block_id"]: r for r in idle.iter_rows(named=True)}
    ghost, other = rows["r2-ghost"], rows["r2-other"]
    assert ghost["idle_gpus"] is None and ghost["idle_share"] is None
    assert ghost["capex_at_risk_usd"] is None and ghost["days_judged"] is None
    assert ghost["note"] == (
        "not measured: its customer ghost has no telemetry in r2, so nothing is known of its "
        "demand; its idle GPUs and capital are not estimated and are in no total"
    )
    assert other["idle_gpus"] is not None and other["capex_at_risk_usd"] is not None
    assert "no telemetry" not in other["note"]


def test_a_pool_short_from_its_first_days_is_driven_by_the_growth_its_order_is_sized_for() -> None:
    """r1's pools on a single 100-GPU rack are short from day 0: growth to then is nothing for
    everyone (a Helios pool read growth 0 beside a $21.3M order). The growth is read over the
    26 weeks orders are sized for: acme's training grows by 182 GPUs to day 182."""
    plan = _plan([_block("r1-rack", 100)])
    drivers = expansion_triggers(_r1_forecast(), plan, as_of=MONDAY).drivers
    acme = _row(drivers.filter(pl.col("customer") == "acme"), "r1", "all")
    assert acme["to_date"] == _day(182) and acme["growth_gpus"] == pytest.approx(182.0)


def test_a_block_wholly_idle_for_no_low_demand_is_flagged_where_its_note_says_so() -> None:
    """The finance page told a block wholly idle for no demand at P10 from one whose older
    blocks cover the demand by the words of its note alone. The row carries the flag: set on
    the 400-GPU rack whose pool's P10 forecast is zero, not where 900 GPUs cover a P10 of 625
    nor where it is partly idle."""
    extra = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(28))  # fmt: skip
    flags = {
        q10: expansion_triggers(
            _r2_forecast(q10=q10), _plan(_r2_blocks(extra)), as_of=MONDAY
        ).idle_risk.row(0, named=True)["no_low_demand"]
        for q10 in (0.0, 500.0, 800.0)
    }
    assert flags == {0.0: True, 500.0: False, 800.0: False}


def test_a_wholly_idle_block_says_what_covers_the_low_demand_and_zero_demand_is_named() -> None:
    """A 400-GPU rack over 900 GPUs where the P10 requirement is 625 (500 / 0.8): the finance
    page read "idle GPUs (P10 demand) 400, idle share 100.0%" beside a note naming the pool
    only. The note now says what covers the low demand (the 900 in service before
    it against a mean P10 requirement of 625); and where the P10 forecast is zero on every
    day judged, that the 100 % stands for no demand at the low quantile, not a measured lull."""
    from forecasting.triggers.idle import NO_LOW_DEMAND

    extra = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(28))  # fmt: skip
    low = expansion_triggers(_r2_forecast(q10=500.0), _plan(_r2_blocks(extra)), as_of=MONDAY)
    row = low.idle_risk.row(0, named=True)
    assert row["idle_share"] == pytest.approx(1.0)
    assert (
        "wholly idle at P10: the 900 GPUs in service before it cover the pool's P10 "
        "requirement (demand plus headroom), 625 on average over the 91 days judged"
    ) in row["note"]
    assert NO_LOW_DEMAND not in row["note"]
    none = expansion_triggers(_r2_forecast(q10=0.0), _plan(_r2_blocks(extra)), as_of=MONDAY)
    row = none.idle_risk.row(0, named=True)
    assert row["idle_share"] == pytest.approx(1.0)
    assert f"{NO_LOW_DEMAND} in pool all on any of the 91 days judged" in row["note"]
    partly = expansion_triggers(_r2_forecast(q10=800.0), _plan(_r2_blocks(extra)), as_of=MONDAY)
    assert "wholly idle" not in partly.idle_risk.row(0, named=True)["note"]


def test_a_later_order_split_by_power_is_listed_by_each_share_s_date() -> None:
    """A later order of 3 cells split by power: 1 powered, due 2026-12-13, and 2 waiting on
    power, due 2027-03-15. The note read "3 x cell by 2026-12-13; $1,105.9M" (the demo's
    eu-west) where orders.csv dated 1 cell then and 2 three months later: it lists each share
    by its own date, as the placements do."""
    from forecasting.capacity import CandidateBlock
    from forecasting.triggers.later import later_note
    from forecasting.triggers.orders import Order
    from forecasting.triggers.rows import PoolDecision

    cell = CandidateBlock(
        name="cell-x", kind="cell", gpu_type="gb200", gpus=8192, mw=12.0,
        lead_time_weeks=26, capex_usd=368.6e6,
    )  # fmt: skip
    waiting = Order(
        candidate=cell, blocks=2, order_by=date(2027, 3, 15), arrives=date(2027, 9, 13),
        in_time=False, units=8192.0, site="b", powered=False, runs_from=date(2029, 1, 1),
    )  # fmt: skip
    split = Order(
        candidate=cell, blocks=1, order_by=date(2026, 12, 13), arrives=date(2027, 6, 13),
        in_time=True, units=8192.0, site="a", parts=(waiting,), by_power=True,
    )  # fmt: skip
    decision = PoolDecision(row={"exhaustion_date": date(2027, 9, 1)}, order=split, sized_to=None)
    note = later_note([decision], end=date(2030, 1, 31), as_of=date(2026, 12, 4))
    assert "3 x cell-x by 2026-12-13" not in note
    assert (
        "the first due 2026-12-13: 1 x cell-x by 2026-12-13, 2 x cell-x by 2027-03-15; $1,105.8M"
    ) in note
    # "1 planned ...: 1 x cell-x by ..., 2 x cell-x by ..." read as one order listed twice.
    assert note.startswith("1 planned to 2030-01-31 by the same rule (in 2 parts by power date),")


def test_a_block_judged_on_one_day_reads_one_day() -> None:
    """A 21-day fleet's finance page read "3,539 on average over the 1 days judged; judged on
    its first 1 day(s) in service only, not 91" for a block entering service on the forecast's
    last day: one day reads "1 day", more read "N days"."""
    last = DAYS - 1
    extra = _block("r2-new", 400, region="r2", site="r2-a", status="committed",
                   in_service=_day(last))  # fmt: skip
    low = expansion_triggers(_r2_forecast(q10=500.0), _plan(_r2_blocks(extra)), as_of=MONDAY)
    note = low.idle_risk.row(0, named=True)["note"]
    assert "over the 1 day judged" in note and "1 days" not in note, note
    assert (
        f"judged on its first 1 day in service only, not 91: the forecast ends on {_day(last)}"
        in note
    )


def test_the_same_forecast_and_plan_give_the_same_requirement_to_the_bit() -> None:
    """`fleetcast report` run twice on one forecast and one plan wrote two triggers.csv files
    that differ: us-west all's requirement 10339.953311276951 then 10339.95331127695, eu-west
    all's shortfall 53190.01824426725 then ...726: polars' joins hand a group's rows to the
    sum in any order, and float sums depend on it. A rerun must write the same figures."""
    from forecasting.triggers import pool_requirements

    blocks = [_block(f"r1-b{i}", 7 + 13 * i, gpu_type="H200", mw=0.01) for i in range(150)]
    document = _plan(blocks).model_dump(mode="json", exclude_none=True)
    document["gpu_type"] = {"H100": {"h100_equivalent": 1.0}, "H200": {"h100_equivalent": 1.37}}
    plan = CapacityPlan.model_validate(document)
    runs = [
        pool_requirements(_r1_forecast(), plan, as_of=MONDAY, column="q90").sort(
            "region", "pool", "ds"
        )
        for _ in range(6)
    ]
    assert all(run.equals(runs[0]) for run in runs[1:])

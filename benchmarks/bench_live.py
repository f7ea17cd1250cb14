"""Benchmark: the live camera view in Debian Chromium with its fake camera, 640 x 480.

Run: ``.venv/bin/python benchmarks/bench_live.py [--seconds 20] [--port PORT] [--plan]``.
Starts ``acuface serve`` on a fresh data directory (its own process, as in use),
plays a moving portrait (``tests/liveclip.py``: the Obama portrait, face 230 px wide,
sliding +-60 px over 4 s, 30 fps) through Chromium's fake camera into ``/live`` with
every point drawn (unlabelled), or with ``--plan`` into ``/live?plan=ID`` for a
client's plan (wrinkles and eye bags), whose points are drawn and labelled as a
practitioner uses it (the worker places every frame's labels), and measures over
``--seconds``:

* frames per second with the points drawn (frames processed / time), labels drawn
  per frame, round trip
  (capture to points), the server's time per frame, frames dropped;
* CPU used by the server (with its tracker process) and by Chromium, in cores;
* the points the page drew against ``locate()`` on the very frames the page sent
  (captured from the WebSocket), smoothed (what is drawn) and unsmoothed (tracking
  mode alone), in pixels.

Prints a Markdown table (for docs/performance.md). Not a test: no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
USER, PASSWORD = "bench", "benchmark password 1"


def _cpu_seconds(root_pids: list[int]) -> float:
    """User + system CPU seconds of these processes and all their descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    keep = set(root_pids)
    grew = True
    while grew:
        new = {p for p, pp in parent.items() if pp in keep and p not in keep}
        keep |= new
        grew = bool(new)
    return sum(cpu.get(p, 0.0) for p in keep)


def _data_dir(root: Path, *, with_plan: bool) -> int | None:
    """Create the bench user; with *with_plan*, a client with a plan: return its id."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor
    from acuface.config import Settings

    settings = Settings(data_dir=root, env="dev")
    engine = db.make_engine(settings.sqlalchemy_url)
    db.upgrade(engine)
    with db.session_scope(engine) as s:
        svc.create_user(
            session=s, actor=Actor.system(), username=USER, password=PASSWORD, role="practitioner"
        )
    engine.dispose()
    if not with_plan:
        return None
    from web.webhelpers import seed_client_with_plan  # the tests' own client with a plan

    return seed_client_with_plan(settings)[1]


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--port", type=int, default=None, help="default: a free port")
    ap.add_argument("--compare", type=int, default=60, help="frames compared with locate()")
    ap.add_argument(
        "--plan",
        action="store_true",
        help="open the live view on a plan: its points drawn and labelled (as in use)",
    )
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from acuface.locator import locate
    from acuface.web.live import FRAME_HEADER, STATUS_OK, decode_answer
    from liveclip import face_frames, write_y4m
    from realprocs import FAKE_CAMERA, Server, launch_chromium

    work = Path(tempfile.mkdtemp(prefix="acuface-bench-live-"))
    frames, _ = face_frames(ROOT / "tests" / "data" / "faces" / "obama.jpg", n=120, amplitude_px=60)
    clip = write_y4m(work / "clip.y4m", frames, fps=30)
    plan_id = _data_dir(work / "data", with_plan=args.plan)
    server = Server(work / "data", port=args.port, analysis_workers=None)
    sent: dict[int, bytes] = {}
    answers: list[Any] = []
    layout: dict[str, Any] = {}
    measuring = {"on": False}

    def tap(ws: Any) -> None:
        def on_sent(payload: Any) -> None:
            if measuring["on"] and isinstance(payload, bytes):
                sent[FRAME_HEADER.unpack_from(payload)[0]] = payload[FRAME_HEADER.size :]

        def on_received(payload: Any) -> None:
            if isinstance(payload, str):
                msg = json.loads(payload)
                if msg.get("type") == "ready":
                    layout.update(msg)
            elif measuring["on"]:
                answers.append(decode_answer(payload))

        ws.on("framesent", on_sent)
        ws.on("framereceived", on_received)

    try:
        with sync_playwright() as p:
            browser = launch_chromium(p, *FAKE_CAMERA, f"--use-file-for-fake-video-capture={clip}")
            page = browser.new_context(base_url=server.url).new_page()
            page.on("websocket", tap)
            page.goto("/login")
            page.fill("input[name=username]", USER)
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/today")
            # Raw points are sent for the comparison with locate().
            page.goto(f"/live?plan={plan_id}&raw=1" if plan_id is not None else "/live?raw=1")
            page.wait_for_function("() => window.acufaceLive.frames >= 30", timeout=120_000)

            def live() -> dict[str, Any]:
                return dict(page.evaluate("() => JSON.parse(JSON.stringify(window.acufaceLive))"))

            chromium_pids = [
                int(x) for x in subprocess.check_output(["pgrep", "-f", str(clip)]).split()
            ]
            start = live()
            cpu0 = (_cpu_seconds([server.proc.pid]), _cpu_seconds(chromium_pids))
            t0 = time.monotonic()
            measuring["on"] = True
            rtts, server_ms, points = [], [], []
            while time.monotonic() - t0 < args.seconds:
                page.wait_for_timeout(250)
                s = live()
                if s["rtt_ms"] is not None:
                    rtts.append(float(s["rtt_ms"]))
                if s["server_ms"] is not None:
                    server_ms.append(float(s["server_ms"]))
                points.append(int(s["points"]))
            measuring["on"] = False
            elapsed = time.monotonic() - t0
            end = live()
            cpu1 = (_cpu_seconds([server.proc.pid]), _cpu_seconds(chromium_pids))
            browser.close()
    finally:
        server.stop()

    frames_done = end["frames"] - start["frames"]
    dropped = end["dropped"] - start["dropped"]
    ok = [a for a in answers if a.status == STATUS_OK and a.seq in sent]
    step = max(1, len(ok) // max(1, args.compare))
    drawn_d: list[float] = []
    raw_d: list[float] = []
    nose_d: list[float] = []
    rows_cs = list(zip(layout["codes"], layout["sides"], strict=True))
    nose_row = rows_cs.index(("GV25", "midline")) if ("GV25", "midline") in rows_cs else None
    for a in ok[::step][: args.compare]:
        ref = locate(sent[a.seq]).primary
        by_row = {(q.code, q.side): q for q in ref.points}
        rows = [by_row[c, s] for c, s in zip(layout["codes"], layout["sides"], strict=True)]
        ref_xy = np.array([q.xy_px for q in rows])
        vis = np.array([q.visible for q in rows])
        drawn_d.extend(np.linalg.norm(a.xy_px - ref_xy, axis=1)[vis].tolist())
        if a.raw_xy_px is not None:
            raw_d.extend(np.linalg.norm(a.raw_xy_px - ref_xy, axis=1)[vis].tolist())
        if nose_row is not None:
            nose_d.append(float(np.linalg.norm(a.xy_px[nose_row] - ref_xy[nose_row])))
    labels = [len(a.labels) if a.labels is not None else 0 for a in ok]
    jpeg_kb = statistics.mean(len(b) for b in sent.values()) / 1024 if sent else float("nan")
    load = os.getloadavg()

    print("\n### Live view (`benchmarks/bench_live.py`)\n")
    print(
        "Debian Chromium, fake camera 640x480 at 30 fps (moving portrait), "
        + (
            "`/live?plan=ID` with the plan's points drawn and labelled"
            if plan_id is not None
            else "`/live` with all points drawn"
        )
        + f", {elapsed:.0f} s; load average at the end {load[0]:.1f} "
        f"({os.cpu_count()} cores).\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| frames per second (points drawn) | {frames_done / elapsed:.1f} |")
    print(f"| frames processed / dropped | {frames_done} / {dropped} |")
    print(f"| points drawn per frame (median) | {statistics.median(points):.0f} |")
    print(f"| labels drawn per frame (median) | {statistics.median(labels) if labels else 0:.0f} |")
    print(f"| JPEG per frame (quality 0.7) | {jpeg_kb:.0f} KB |")
    print(
        f"| round trip, capture to points (median / 95th pct) | "
        f"{_pct(rtts, 50):.0f} / {_pct(rtts, 95):.0f} ms |"
    )
    print(
        f"| server time per frame (decode, landmarks, points"
        f"{', labels' if plan_id is not None else ''}; median / 95th) | "
        f"{_pct(server_ms, 50):.1f} / {_pct(server_ms, 95):.1f} ms |"
    )
    print(
        f"| CPU: server + tracker / Chromium | {(cpu1[0] - cpu0[0]) / elapsed:.2f} / "
        f"{(cpu1[1] - cpu0[1]) / elapsed:.2f} cores |"
    )
    print(
        f"| drawn vs `locate()` on the same frame, visible points (median / 95th / max) | "
        f"{_pct(drawn_d, 50):.2f} / {_pct(drawn_d, 95):.2f} / {max(drawn_d):.2f} px |"
    )
    if raw_d:
        print(
            f"| of which tracking mode alone (unsmoothed; median / 95th / max) | "
            f"{_pct(raw_d, 50):.2f} / {_pct(raw_d, 95):.2f} / {max(raw_d):.2f} px |"
        )
    if nose_d:
        print(f"| nose tip (GV25) drawn vs `locate()` (median) | {_pct(nose_d, 50):.2f} px |")
    print(f"\n{len(ok[::step][: args.compare])} frames compared with `locate()`.")


if __name__ == "__main__":
    main()

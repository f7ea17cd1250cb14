"""Live camera view, server side: the frame protocol, the per-connection tracker, the cap.

The browser sends camera frames (JPEG) over a WebSocket; each connection owns one
:class:`~acuface.workers.SupervisedWorker` whose process holds one tracking Face
Mesh (:class:`~acuface.locator.live.LiveTracker`). The event loop only moves bytes:
decoding, landmarks, smoothing, point geometry and encoding the answer all happen in
the worker, and the call waits in a thread of a limiter sized to the connection cap.

Load is bounded three ways: at most ``max_connections`` live views at once (the
next one is told so and closed), one worker per connection, and at most one frame
waiting per connection: a frame that arrives while another is still waiting
replaces it, and the older one is answered "dropped". Frames are never queued.

Wire format (all little-endian). Browser to server, binary: ``u32 seq, f64
capture time in ms``, then the JPEG. Server to browser, binary, one answer per
frame: a 36-byte header ``u32 seq, u8 status, u8 flags, u16 n, f32 worker_ms, f32
yaw, pitch, roll (deg), f32 speed (mm/s), f32 mm_per_px, u16 text_len, u16
n_labels``, then ``n`` (x, y) float32 pairs (frame pixels, the camera's own
unmirrored frame), ``n`` visibility bytes padded to 4, with flag 2 ``n`` more (x, y)
pairs from the unsmoothed landmarks, with flag 4 the drawing block (float32: marker
radius, label font size, the ``version`` of the draw message used, then per label:
row, box x0, y0, x1, y1, text x, y, leader x0, y0, x1, y1 or NaN when it has none),
and ``text_len`` bytes of a UTF-8 JSON list of warnings. The rows are the
``codes``/``sides`` of the ``ready`` text message, which also gives each row's
``labels`` text. Status: 0 ok, 1 no face, 2 face too small, 3 dropped, 4 error (the
text holds the message). Flags: 1 steady, 2 raw points present, 4 drawing block
present (every "ok" answer).

Labels: the page says which rows it draws and which it labels (text message
``{"type": "draw", "version": k, "shown": [rows], "labelled": [rows]}``, again
whenever that changes), and the worker places the labels of each frame with the
one placer of every point map (:func:`acuface.locator.labels.place_labels`): no
label on another label or on a drawn marker. The page only draws them (mirroring a
box, when it mirrors the picture, keeps every label clear of the others).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import numpy as np
from starlette.websockets import WebSocket, WebSocketDisconnect

from acuface.clinic.services import location_standard, pose_warnings
from acuface.errors import AcufaceError, WorkerCrashed, WorkerError, WorkerTimeout
from acuface.locator.labels import PlacedLabel, place_labels
from acuface.locator.live import LiveFrame, LiveTracker
from acuface.vocab import Pose
from acuface.workers import SupervisedWorker, WorkerLimits

#: Client frame header: sequence number, capture time (ms).
FRAME_HEADER = struct.Struct("<Id")
#: Answer header (see the module docstring).
RESULT_HEADER = struct.Struct("<IBBHffffffHH")

STATUS_OK, STATUS_NO_FACE, STATUS_TOO_SMALL, STATUS_DROPPED, STATUS_ERROR = range(5)
_STATUS = {"ok": STATUS_OK, "no_face": STATUS_NO_FACE, "too_small": STATUS_TOO_SMALL}
FLAG_STEADY, FLAG_RAW, FLAG_DRAWING = 1, 2, 4
#: Floats per label in the drawing block: row, box (4), text start (2), leader (4).
LABEL_FLOATS = 11
#: Largest ``draw`` message the page may send (a few hundred row numbers).
MAX_DRAW_BYTES = 16 * 1024

#: Frames in flight the page may have (one being analysed, one waiting).
MAX_IN_FLIGHT = 2
#: JPEG quality the page encodes frames at: ~30-40 KB at 640 x 480, no visible loss
#: for the landmark model, 2 ms to decode.
JPEG_QUALITY = 0.7
#: Consecutive undecodable frames after which a connection is closed.
MAX_BAD_FRAMES = 20
#: How often a long live view re-checks that its user is still signed in and active.
RECHECK_S = 60.0
#: The worker's limits: Face Mesh needs ~200 MB; a stuck frame must not hold a view.
LIVE_WORKER_LIMITS = WorkerLimits(start_timeout_s=60.0, call_timeout_s=5.0, max_rss_mb=900.0)
#: Live workers yield the CPU to page requests (a view drops frames instead).
LIVE_WORKER_NICE = 5


@dataclass(frozen=True)
class DrawSpec:
    """What the page draws on a frame: rows shown as markers, rows given a label."""

    shown: tuple[int, ...] = ()
    labelled: tuple[int, ...] = ()
    #: The page's number for this choice, sent back with each frame labelled for it
    #: (a frame analysed before a change is drawn as it was labelled).
    version: int = 0

    @classmethod
    def from_message(cls, message: object) -> DrawSpec | None:
        """Read a ``draw`` message (parsed JSON); None if it is not one."""
        if not isinstance(message, dict) or message.get("type") != "draw":
            return None
        rows: dict[str, tuple[int, ...]] = {}
        for key in ("shown", "labelled"):
            value = message.get(key)
            if not isinstance(value, list):
                return None
            rows[key] = tuple(
                dict.fromkeys(v for v in value if isinstance(v, int) and 0 <= v < 65_536)
            )
        version = message.get("version", 0)
        if not isinstance(version, int) or not 0 <= version < 2**24:  # exact in float32
            return None
        return cls(shown=rows["shown"], labelled=rows["labelled"], version=version)


@dataclass(frozen=True)
class Drawing:
    """Sizes and labels of one frame as the page draws them (frame pixels)."""

    dot_radius: float
    font_px: float
    version: int = 0  # of the DrawSpec used
    labels: tuple[tuple[int, PlacedLabel], ...] = ()  # (row, label)


def marker_sizes(width: int) -> tuple[float, float]:
    """Return (marker radius, label font size) in frame pixels for a frame *width* wide.

    Chosen so that a 640 px frame shown about 640 px wide reads like the other point
    maps; the page draws with exactly these.
    """
    return max(3.0, width / 150.0), float(round(max(9.0, width / 60.0)))


#: Beyond its radius a marker's caution ring reaches this far (ring at radius + 3,
#: two pixels wide): the room every marker keeps free of labels.
RING_PX = 4.0


def place_live_labels(frame: LiveFrame, spec: DrawSpec | None, texts: tuple[str, ...]) -> Drawing:
    """Place the labels the page asked for on one analysed frame.

    Parameters
    ----------
    frame : LiveFrame
        An "ok" frame.
    spec : DrawSpec or None
        Rows the page shows and labels (None before the page said: no labels).
    texts : tuple of str
        Each row's label text.

    Returns
    -------
    Drawing
        Labels only for shown, labelled, visible rows inside the frame; every shown
        marker inside the frame (hidden ones too: they are drawn as rings) is an
        obstacle no label may touch.
    """
    w, h = frame.image_wh
    dot_r, font_px = marker_sizes(w)
    if spec is None or not spec.labelled or len(frame.xy_px) == 0:
        return Drawing(dot_r, font_px, spec.version if spec is not None else 0)
    n = len(frame.xy_px)
    xy = frame.xy_px.astype(np.float64)
    inside = (xy[:, 0] >= 0) & (xy[:, 1] >= 0) & (xy[:, 0] <= w) & (xy[:, 1] <= h)
    labelled = set(spec.labelled)
    rows = [r for r in spec.shown if r < n and inside[r]]
    wanted = [texts[r] if r in labelled and frame.visible[r] else "" for r in rows]
    placed = place_labels(
        xy[rows],
        wanted,
        dot_radius=dot_r + RING_PX,
        font_px=font_px,
        bounds=(0.0, 0.0, float(w), float(h)),
    )
    return Drawing(dot_r, font_px, spec.version, tuple((rows[lb.index], lb) for lb in placed))


def _drawing_block(drawing: Drawing) -> bytes:
    values = [drawing.dot_radius, drawing.font_px, drawing.version]
    for row, lb in drawing.labels:
        leader = lb.leader if lb.leader is not None else (np.nan,) * 4
        values.extend([row, *lb.box, *lb.text_xy, *leader])
    return np.asarray(values, dtype="<f4").tobytes()


def encode_status(seq: int, status: int, message: str | None = None) -> bytes:
    """Encode an answer without points: dropped, error, no face (optional message)."""
    text = json.dumps([message] if message else []).encode()
    return RESULT_HEADER.pack(seq, status, 0, 0, 0.0, 0, 0, 0, 0, 0, len(text), 0) + text


def encode_frame(
    seq: int, frame: LiveFrame, worker_ms: float, drawing: Drawing | None = None
) -> bytes:
    """Encode a :class:`~acuface.locator.live.LiveFrame` (and its drawing) as one answer."""
    n = int(frame.xy_px.shape[0])
    flags = (FLAG_STEADY if frame.steady else 0) | (FLAG_RAW if frame.raw_xy_px is not None else 0)
    flags |= FLAG_DRAWING if drawing is not None else 0
    pose = frame.pose
    yaw, pitch, roll = (
        (pose.yaw_deg, pose.pitch_deg, pose.roll_deg) if pose is not None else (0.0, 0.0, 0.0)
    )
    text = json.dumps(list(frame.warnings)).encode()
    vis = np.asarray(frame.visible, dtype=np.uint8).tobytes()
    vis += b"\0" * (-len(vis) % 4)
    parts = [
        RESULT_HEADER.pack(
            seq,
            _STATUS[frame.status],
            flags,
            n,
            worker_ms,
            yaw,
            pitch,
            roll,
            frame.speed_mm_s,
            frame.mm_per_px,
            len(text),
            len(drawing.labels) if drawing is not None else 0,
        ),
        np.ascontiguousarray(frame.xy_px, dtype="<f4").tobytes(),
        vis,
    ]
    if frame.raw_xy_px is not None:
        parts.append(np.ascontiguousarray(frame.raw_xy_px, dtype="<f4").tobytes())
    if drawing is not None:
        parts.append(_drawing_block(drawing))
    parts.append(text)
    return b"".join(parts)


@dataclass(frozen=True)
class DecodedAnswer:
    """An answer decoded again (tests and benchmarks read the wire format with it)."""

    seq: int
    status: int
    flags: int
    worker_ms: float
    pose_deg: tuple[float, float, float]
    speed_mm_s: float
    mm_per_px: float
    xy_px: np.ndarray
    visible: np.ndarray
    raw_xy_px: np.ndarray | None
    messages: list[str] = field(default_factory=list)
    #: The drawing block: marker radius, font size, draw version and (n_labels, 11)
    #: label rows (see the module docstring); None without flag 4.
    dot_radius: float | None = None
    font_px: float | None = None
    draw_version: int | None = None
    labels: np.ndarray | None = None


def decode_answer(data: bytes) -> DecodedAnswer:
    """Decode one binary answer (inverse of :func:`encode_frame` / :func:`encode_status`)."""
    seq, status, flags, n, ms, yaw, pitch, roll, speed, mmpx, text_len, n_labels = (
        RESULT_HEADER.unpack_from(data)
    )
    off = RESULT_HEADER.size
    xy = np.frombuffer(data, dtype="<f4", count=2 * n, offset=off).reshape(n, 2)
    off += 8 * n
    vis = np.frombuffer(data, dtype=np.uint8, count=n, offset=off).astype(bool)
    off += n + (-n % 4)
    raw = None
    if flags & FLAG_RAW:
        raw = np.frombuffer(data, dtype="<f4", count=2 * n, offset=off).reshape(n, 2)
        off += 8 * n
    dot_r = font_px = labels = version = None
    if flags & FLAG_DRAWING:
        block = np.frombuffer(data, dtype="<f4", count=3 + LABEL_FLOATS * n_labels, offset=off)
        dot_r, font_px, version = float(block[0]), float(block[1]), int(block[2])
        labels = block[3:].reshape(n_labels, LABEL_FLOATS)
        off += 4 * block.size
    messages = json.loads(data[off : off + text_len].decode()) if text_len else []
    return DecodedAnswer(
        seq,
        status,
        flags,
        ms,
        (yaw, pitch, roll),
        speed,
        mmpx,
        xy,
        vis,
        raw,
        messages,
        dot_r,
        font_px,
        version,
        labels,
    )


# --- the worker side ----------------------------------------------------------


def _pose_check(pose: Pose) -> list[str]:
    return pose_warnings(pose.yaw_deg, pose.pitch_deg, pose.roll_deg)


class LiveFrameHandler:
    """Runs in the worker process: one tracker, frames in, encoded answers out.

    Requests: ``("layout",)`` -> ``{"codes": [...], "sides": [...], "labels": [...]}``;
    ``("frame", seq, t_ms, jpeg, spec)`` -> the binary answer, its labels placed for
    the page's :class:`DrawSpec` (or None). A frame that cannot be decoded raises
    its image error (the connection answers it with status 4).
    """

    def __init__(self, *, with_raw: bool = False) -> None:
        self.tracker = LiveTracker(
            with_raw=with_raw,
            pose_check=_pose_check,
            # The clinic's location standard, as for stored photos (ACUFACE_LOCATION_STANDARD).
            standard=location_standard(),
        )
        #: Each row's label: the code and the client's side (L, R; none on the midline).
        self.texts = tuple(
            code + {"left": " L", "right": " R"}.get(side, "")
            for code, side in zip(self.tracker.codes, self.tracker.sides, strict=True)
        )

    def __call__(self, request: tuple[Any, ...]) -> Any:
        """Answer one request (see the class docstring)."""
        if request[0] == "layout":
            return {
                "codes": list(self.tracker.codes),
                "sides": list(self.tracker.sides),
                "labels": list(self.texts),
            }
        _, seq, t_ms, data, spec = request
        t0 = time.perf_counter()
        frame = self.tracker.process(data, float(t_ms) / 1000.0)
        drawing = place_live_labels(frame, spec, self.texts) if frame.status == "ok" else None
        return encode_frame(int(seq), frame, (time.perf_counter() - t0) * 1000.0, drawing)

    def close(self) -> None:
        """Release the Face Mesh."""
        self.tracker.close()


def build_live_handler(*, with_raw: bool = False) -> LiveFrameHandler:
    """Worker factory (module level, so a spawned process can import it)."""
    return LiveFrameHandler(with_raw=with_raw)


# --- the server side ----------------------------------------------------------


class LiveHub:
    """The live views of one app: the connection cap and the threads that wait on workers.

    Parameters
    ----------
    max_connections : int
        Live views allowed at once (each costs one worker process, ~200 MB, and up
        to a third of a core at 25 fps).
    """

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max(0, int(max_connections))
        self.active = 0
        self._lock = asyncio.Lock()
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """Threads that wait on live workers: one per allowed connection, never more."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(max(1, self.max_connections))
        return self._limiter

    async def acquire(self) -> bool:
        """Take a slot; False when every slot is in use."""
        async with self._lock:
            if self.active >= self.max_connections:
                return False
            self.active += 1
            return True

    async def release(self) -> None:
        """Give a slot back."""
        async with self._lock:
            self.active = max(0, self.active - 1)

    def new_worker(self, *, with_raw: bool) -> SupervisedWorker:
        """Return a worker (not yet started) for one connection."""
        return SupervisedWorker(
            functools.partial(build_live_handler, with_raw=with_raw),
            name="live tracker",
            limits=LIVE_WORKER_LIMITS,
            nice=LIVE_WORKER_NICE,
        )


@dataclass
class LiveStats:
    """What one connection did (for the audit entry at the end)."""

    frames: int = 0
    dropped: int = 0
    errors: int = 0
    opened_at: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        """How long the connection has been open."""
        return time.monotonic() - self.opened_at


async def run_connection(
    ws: WebSocket,
    worker: SupervisedWorker,
    limiter: anyio.CapacityLimiter,
    *,
    still_allowed: Callable[[], Awaitable[bool]],
    max_frame_bytes: int,
) -> LiveStats:
    """Serve one accepted live WebSocket until it closes.

    Parameters
    ----------
    ws : WebSocket
        Accepted.
    worker : SupervisedWorker
        Started; owned by this connection.
    limiter : anyio.CapacityLimiter
        Threads for the worker calls.
    still_allowed : async callable
        Re-checks the user every ``RECHECK_S`` seconds; False closes the view.
    max_frame_bytes : int
        Larger frames are answered with an error, unread by the worker.

    Returns
    -------
    LiveStats
    """
    stats = LiveStats()
    send_lock = asyncio.Lock()
    pending: tuple[int, float, bytes] | None = None
    spec: DrawSpec | None = None  # what the page draws (its latest "draw" message)
    wake = asyncio.Event()
    bad_in_a_row = 0

    async def send(data: bytes | str) -> None:
        async with send_lock:
            if isinstance(data, str):
                await ws.send_text(data)
            else:
                await ws.send_bytes(data)

    async def receiver() -> None:
        nonlocal pending, spec
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                text = message.get("text") or ""
                if len(text) <= MAX_DRAW_BYTES:
                    with contextlib.suppress(ValueError, RecursionError):
                        spec = DrawSpec.from_message(json.loads(text)) or spec
                continue
            if len(data) <= FRAME_HEADER.size:
                stats.errors += 1
                continue
            seq, t_ms = FRAME_HEADER.unpack_from(data)
            if len(data) > max_frame_bytes:
                stats.errors += 1
                await send(
                    encode_status(
                        seq,
                        STATUS_ERROR,
                        f"Frame of {len(data) // 1024} KB refused (limit "
                        f"{max_frame_bytes // 1024} KB); send 640 x 480 JPEG frames.",
                    )
                )
                continue
            # Swap before any await: the processor must never take a frame that has
            # been answered "dropped" (the page counts exactly one answer per frame).
            older, pending = pending, (seq, t_ms, data[FRAME_HEADER.size :])
            wake.set()
            if older is not None:
                stats.dropped += 1
                await send(encode_status(older[0], STATUS_DROPPED))

    async def processor() -> None:
        nonlocal pending, bad_in_a_row
        item: tuple[int, float, bytes] | None = None
        while True:
            if item is None:
                await wake.wait()
                wake.clear()
                item, pending = pending, None
                if item is None:
                    continue
            seq, t_ms, jpeg = item
            try:
                answer = await anyio.to_thread.run_sync(
                    functools.partial(worker.call, ("frame", seq, t_ms, jpeg, spec)),
                    limiter=limiter,
                )
                bad_in_a_row = 0
                stats.frames += 1
            except (WorkerCrashed, WorkerTimeout) as exc:
                stats.errors += 1
                await send(
                    encode_status(seq, STATUS_ERROR, f"{exc.message} Restarting the tracker…")
                )
                try:
                    await anyio.to_thread.run_sync(worker.start, limiter=limiter)
                except WorkerError as start_exc:
                    await send(json.dumps({"type": "error", "message": start_exc.message}))
                    await ws.close(code=1011, reason="tracker unavailable")
                    return
                item = None
                continue
            except WorkerError as exc:
                stats.errors += 1
                answer = encode_status(seq, STATUS_ERROR, exc.message)
            except AcufaceError as exc:  # a frame that is not a usable image
                stats.errors += 1
                bad_in_a_row += 1
                answer = encode_status(seq, STATUS_ERROR, exc.message)
                if bad_in_a_row >= MAX_BAD_FRAMES:
                    await send(answer)
                    await ws.close(code=1003, reason="frames are not images")
                    return
            # Take the frame that waited *before* sending: the page answers our
            # answer with a new frame, which must not find this one still waiting.
            item, pending = pending, None
            wake.clear()
            await send(answer)

    async def watchdog() -> None:
        while True:
            await asyncio.sleep(RECHECK_S)
            if not await still_allowed():
                with contextlib.suppress(RuntimeError):
                    await send(json.dumps({"type": "error", "message": "Signed out: view ended."}))
                await ws.close(code=1008, reason="signed out")
                return

    tasks = [asyncio.ensure_future(c()) for c in (receiver, processor, watchdog)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await t
    return stats

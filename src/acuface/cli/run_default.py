"""What ``make locate-example`` runs: ``acuface locate`` on the example portrait.

Writes the overlay PNG and the JSON to ``./acuface-out/`` and prints that
folder. (``make run`` starts the web app.)
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The repository's example photo (public domain, see examples/LICENSE.md).
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "portrait.jpg"
OUT_DIR = Path("acuface-out")


def main() -> int:
    """Locate the points on the example portrait; return the exit code."""
    from acuface.locator.batch import locate_file

    if not EXAMPLE.exists():
        print(f"example photo not found: {EXAMPLE}", file=sys.stderr)
        return 1
    result = locate_file(EXAMPLE, out_dir=OUT_DIR)
    if result["error"]:
        print(f"{EXAMPLE}: {result['error']['message']}", file=sys.stderr)
        return 1
    face = result["faces"][0]
    shown = sum(p["visible"] for p in face["points"])
    print(
        f"{EXAMPLE.name}: {shown} of {len(face['points'])} point positions visible "
        f"(head yaw {face['pose']['yaw']:+.0f}°, {face['mm_per_px']:.3f} mm/px)."
    )
    print(f"Overlay and JSON written to: {OUT_DIR.resolve()}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Draw the program icon once: resources/icons/liaison.png (256 px), liaison.ico (16–256 px,
for Windows: the executable, the shortcuts and the uninstaller entry).

A house (the home visit) with a warm heart on a blue tile. Run again only to change the design:
`.venv/bin/python scripts/make_icon.py`; the files are committed, the build does not need Pillow.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "icons"
SCALE = 1024  # drawn large, then scaled down smoothly
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]

BLUE = (31, 104, 158, 255)
WHITE = (255, 255, 255, 255)
ORANGE = (240, 128, 48, 255)


def draw(size: int = SCALE) -> Image.Image:
    s = size / 1024
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((32 * s, 32 * s, 992 * s, 992 * s), radius=180 * s, fill=BLUE)
    # roof, then the walls: thick white shapes that still read at 16 px
    d.polygon([(512 * s, 170 * s), (860 * s, 480 * s), (164 * s, 480 * s)], fill=WHITE)
    d.rectangle((250 * s, 440 * s, 774 * s, 830 * s), fill=WHITE)
    # a heart in the doorway: two circles and a triangle
    r = 78 * s
    cx, cy = 512 * s, 600 * s
    d.ellipse((cx - 2 * r + 8 * s, cy - r, cx + 8 * s, cy + r), fill=ORANGE)
    d.ellipse((cx - 8 * s, cy - r, cx + 2 * r - 8 * s, cy + r), fill=ORANGE)
    d.polygon([(cx - 2 * r + 14 * s, cy + 28 * s), (cx + 2 * r - 14 * s, cy + 28 * s),
               (cx, cy + 2.2 * r)], fill=ORANGE)
    return img


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw()
    png = big.resize((256, 256), Image.Resampling.LANCZOS)
    png.save(OUT / "liaison.png", optimize=True)
    png.save(OUT / "liaison.ico", sizes=ICO_SIZES)
    print(f"wrote {OUT / 'liaison.png'} and {OUT / 'liaison.ico'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

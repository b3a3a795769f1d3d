#!/usr/bin/python3
"""Makes the walkthrough and README images (media/walkthrough/*.png) from the real VS Code
screenshots that scripts/ui-smoke.mjs saves in test-results/ (1400x860 workbench in code-server):
crops the part each step is about, scales it to at most 760 px wide and stores it as a 256-colour
PNG. Run after `node scripts/ui-smoke.mjs`:  /usr/bin/python3 scripts/walkthrough-images.py
"""
import os
import sys

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "test-results")
OUT = os.path.join(ROOT, "media", "walkthrough")

# name: (screenshot, crop box left, top, right, bottom)
CROPS = {
    "example": ("ui-training.png", 348, 40, 806, 600),
    "hover": ("ui-inlay-hover.png", 348, 40, 1240, 480),
    "problems": ("ui-problems.png", 348, 40, 1400, 700),
    "graph": ("ui-graph.png", 348, 40, 1400, 840),
    "train": ("ui-training.png", 875, 40, 1400, 840),
    "export": ("ui-export.png", 348, 0, 1050, 330),
}
MAX_WIDTH = 760


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    for name, (shot, *box) in CROPS.items():
        path = os.path.join(SRC, shot)
        if not os.path.exists(path):
            print(f"missing {path}: run node scripts/ui-smoke.mjs first", file=sys.stderr)
            return 1
        img = Image.open(path).convert("RGB").crop(tuple(box))
        if img.width > MAX_WIDTH:
            img = img.resize((MAX_WIDTH, round(img.height * MAX_WIDTH / img.width)), Image.LANCZOS)
        img = img.quantize(colors=256, method=Image.MEDIANCUT, dither=Image.NONE)
        dst = os.path.join(OUT, f"{name}.png")
        img.save(dst, optimize=True)
        print(f"{os.path.relpath(dst, ROOT)}: {img.width}x{img.height}, {os.path.getsize(dst)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A bar chart of pass@1 and secure-pass@1 per variant, written as a PNG in pure Python.

No plotting library is needed: the chart is drawn on an RGB pixel buffer with a 3x5 bitmap
font and encoded with zlib and struct, so a report can always carry its picture.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

RGB = tuple[int, int, int]

WHITE: RGB = (255, 255, 255)
INK: RGB = (40, 40, 48)
GRID: RGB = (222, 224, 230)
PASS_COLOUR: RGB = (66, 133, 244)
SECURE_COLOUR: RGB = (52, 168, 83)

# fmt: off
_GLYPHS = {
    "0": "### #.# #.# #.# ###", "1": ".#. ##. .#. .#. ###", "2": "### ..# ### #.. ###",
    "3": "### ..# .## ..# ###", "4": "#.# #.# ### ..# ..#", "5": "### #.. ### ..# ###",
    "6": "### #.. ### #.# ###", "7": "### ..# ..# .#. .#.", "8": "### #.# ### #.# ###",
    "9": "### #.# ### ..# ###", "A": ".#. #.# ### #.# #.#", "B": "##. #.# ##. #.# ##.",
    "C": ".## #.. #.. #.. .##", "D": "##. #.# #.# #.# ##.", "E": "### #.. ##. #.. ###",
    "F": "### #.. ##. #.. #..", "G": ".## #.. #.# #.# .##", "H": "#.# #.# ### #.# #.#",
    "I": "### .#. .#. .#. ###", "J": "..# ..# ..# #.# .#.", "K": "#.# #.# ##. #.# #.#",
    "L": "#.. #.. #.. #.. ###", "M": "#.# ### ### #.# #.#", "N": "##. #.# #.# #.# #.#",
    "O": ".#. #.# #.# #.# .#.", "P": "##. #.# ##. #.. #..", "Q": ".#. #.# #.# ##. .##",
    "R": "##. #.# ##. #.# #.#", "S": ".## #.. .#. ..# ##.", "T": "### .#. .#. .#. .#.",
    "U": "#.# #.# #.# #.# ###", "V": "#.# #.# #.# #.# .#.", "W": "#.# #.# ### ### #.#",
    "X": "#.# #.# .#. #.# #.#", "Y": "#.# #.# .#. .#. .#.", "Z": "### ..# .#. #.. ###",
    " ": "... ... ... ... ...", ".": "... ... ... ... .#.", "-": "... ... ### ... ...",
    "_": "... ... ... ... ###", "%": "#.# ..# .#. #.. #.#", "/": "..# ..# .#. #.. #..",
    ":": "... .#. ... .#. ...", "@": ".#. ### ### #.. .##", "(": ".#. #.. #.. #.. .#.",
    ")": ".#. ..# ..# ..# .#.", "+": "... .#. ### .#. ...", "?": "### ..# .#. ... .#.",
}
# fmt: on
SCALE = 2
CHAR_W = 4 * SCALE  # 3 pixels and a gap
CHAR_H = 5 * SCALE


class Canvas:
    """An RGB pixel buffer with the few drawing operations a bar chart needs."""

    def __init__(self, width: int, height: int, background: RGB = WHITE) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def rect(self, x: int, y: int, w: int, h: int, colour: RGB) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        span = bytes(colour) * (x1 - x0)
        for row in self.rows[y0:y1]:
            row[x0 * 3 : x1 * 3] = span

    def text(self, x: int, y: int, text: str, colour: RGB = INK) -> None:
        for index, char in enumerate(text.upper()):
            glyph = _GLYPHS.get(char, _GLYPHS["?"])
            for gy, line in enumerate(glyph.split()):
                for gx, bit in enumerate(line):
                    if bit == "#":
                        self.rect(
                            x + index * CHAR_W + gx * SCALE,
                            y + gy * SCALE,
                            SCALE,
                            SCALE,
                            colour,
                        )

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return b"".join(
            [
                b"\x89PNG\r\n\x1a\n",
                _chunk(b"IHDR", header),
                _chunk(b"IDAT", zlib.compress(raw, 9)),
                _chunk(b"IEND", b""),
            ]
        )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def text_width(text: str) -> int:
    return len(text) * CHAR_W


def fit(text: str, width: int) -> str:
    """The text, cut with '..' to fit `width` pixels."""
    most = max(1, width // CHAR_W)
    return text if len(text) <= most else text[: max(1, most - 2)] + ".."


Bounds = tuple[float, float]


def bar_chart(
    groups: list[tuple[str, float, float]],
    title: str = "pass@1 and secure-pass@1",
    errors: list[tuple[Bounds, Bounds] | None] | None = None,
) -> bytes:
    """PNG bytes: for each (label, pass rate, secure rate) two bars on a 0-100% axis.

    `errors`, when given, holds each group's 95% intervals (pass, secure), drawn as error
    bars so that a difference inside the noise looks like one.
    """
    errors = errors or [None] * len(groups)
    bar_w, bar_gap, group_gap, max_slot = 34, 6, 36, 240
    group_w = 2 * bar_w + bar_gap
    left, right, top, plot_h, bottom = 64, 24, 70, 200, 40
    # Each group gets room for its label (up to a limit), so model ids stay readable.
    slots = [
        min(max_slot, max(group_w + group_gap, text_width(label) + 16)) for label, _, _ in groups
    ]
    width = max(360, left + right + sum(slots))
    height = top + plot_h + bottom
    canvas = Canvas(width, height)
    canvas.text(left, 14, title)
    legend_y = 38
    canvas.rect(left, legend_y, CHAR_H, CHAR_H, PASS_COLOUR)
    canvas.text(left + CHAR_H + 6, legend_y, "pass@1")
    second = left + CHAR_H + 6 + text_width("pass@1") + 20
    canvas.rect(second, legend_y, CHAR_H, CHAR_H, SECURE_COLOUR)
    canvas.text(second + CHAR_H + 6, legend_y, "secure-pass@1")
    base = top + plot_h
    for percent in (0, 25, 50, 75, 100):
        y = base - round(plot_h * percent / 100)
        canvas.rect(left - 4, y, width - left - right + 4, 1, GRID if percent else INK)
        label = f"{percent}%"
        canvas.text(left - 8 - text_width(label), y - CHAR_H // 2, label)
    slot_x = left
    for (label, pass_rate, secure_rate), slot, bounds in zip(groups, slots, errors, strict=True):
        x = slot_x + (slot - group_w) // 2
        for index, (offset, rate, colour) in enumerate(
            ((0, pass_rate, PASS_COLOUR), (bar_w + bar_gap, secure_rate, SECURE_COLOUR))
        ):
            rate = min(1.0, max(0.0, rate))
            h = round(plot_h * rate)
            canvas.rect(x + offset, base - h, bar_w, h, colour)
            top_y = base - h
            if bounds is not None:
                low, high = (min(1.0, max(0.0, v)) for v in bounds[index])
                y_low, y_high = base - round(plot_h * low), base - round(plot_h * high)
                centre = x + offset + bar_w // 2
                canvas.rect(centre - 1, y_high, 2, max(1, y_low - y_high), INK)
                canvas.rect(centre - 6, y_high, 12, 2, INK)
                canvas.rect(centre - 6, y_low - 1, 12, 2, INK)
                top_y = min(top_y, y_high)
            value = f"{round(rate * 100)}%"
            canvas.text(
                x + offset + (bar_w - text_width(value)) // 2 + SCALE,
                top_y - CHAR_H - 4,
                value,
            )
        name = fit(label, slot - 8)
        canvas.text(slot_x + (slot - text_width(name)) // 2 + SCALE, base + 12, name)
        slot_x += slot
    return canvas.png()


def write_bar_chart(
    path: Path,
    groups: list[tuple[str, float, float]],
    title: str = "",
    errors: list[tuple[Bounds, Bounds] | None] | None = None,
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bar_chart(groups, title or "pass@1 and secure-pass@1", errors))
    return path

"""The PDF record's type: DejaVu Sans read once per process, glyph widths, line breaking,
and the fonts cut down to what a document uses (see pdf_page.py for why the record sets its
own type on fpdf2)."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONTS = Path(__file__).resolve().parent.parent.parent / "fonts"
FONT = "DejaVu"
MM_PER_PT = 25.4 / 72

# Tables the PDF never uses: OpenType layout (fpdf2 does not shape our text and drops them
# when it subsets) and kerning (a PDF positions glyphs itself).
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "kern", "FFTM", "hdmx", "LTSH", "VDMX")
# Every document's fonts keep at least these characters (ASCII, Latin-1, common punctuation),
# so that most records share one cut font per face and only other scripts need a cut of
# their own: a few kilobytes more per PDF for far fewer cuts.
_COMMON = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xA0, 0x100)]
    + [chr(c) for c in range(0x2010, 0x2027)]
    + ["\u20ac", "\u2122", "\u2192"]
)


class Widths(dict[str, float]):
    """Advance widths in thousandths of an em by character; the font's default otherwise."""

    def __init__(self, widths: dict[str, float], default: float) -> None:
        super().__init__(widths)
        self.default = default

    def __missing__(self, char: str) -> float:
        return self.default


@dataclass(frozen=True)
class Face:
    """One DejaVu face, read once per process: its lean file, its widths and fpdf2's parse."""

    style: str
    data: bytes
    widths: Widths
    template: TTFFont

    def attach(self, pdf: FPDF) -> TTFFont:
        """This face in `pdf`, as `FPDF.add_font` would add it, without parsing it again."""
        font = copy.copy(self.template)
        font.i = len(pdf.fonts) + 1
        font.desc = copy.copy(self.template.desc)  # the output fills in its font file
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[f"{FONT.lower()}{self.style}"] = font
        return font

    def cut_for(self, font: TTFFont, used: Iterable[int]) -> None:
        """Give `font`, about to be written out, a font file with the characters `used`."""
        cut = cut_face(self.style, _COMMON | frozenset(map(chr, used)))
        # Outlines are kept as they are: no bounding boxes to work out again.
        font.ttfont = TTFont(io.BytesIO(cut), recalcTimestamp=False, recalcBBoxes=False, lazy=True)


def _lean(path: Path) -> bytes:
    font = TTFont(str(path), recalcTimestamp=False)
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def read_faces() -> dict[str, Face]:
    """The regular ("") and bold ("B") faces, read once per process."""
    faces: dict[str, Face] = {}
    parser = FPDF()
    for style, name in (("", "DejaVuSans.ttf"), ("B", "DejaVuSans-Bold.ttf")):
        data = _lean(FONTS / name)
        template = TTFFont(parser, io.BytesIO(data), f"dejavu{style}", style)  # type: ignore[arg-type]
        metrics = template.ttfont["hmtx"].metrics
        scale = template.scale
        widths = {chr(code): metrics[glyph][0] * scale for code, glyph in template.cmap.items()}
        default = metrics[".notdef"][0] * scale
        faces[style] = Face(style, data, Widths(widths, default), template)
    return faces


@lru_cache(maxsize=32)
def cut_face(style: str, chars: frozenset[str]) -> bytes:
    """The face cut down to `chars` (glyph names kept: fpdf2 finds its glyphs by name)."""
    font = TTFont(io.BytesIO(read_faces()[style].data), recalcTimestamp=False, recalcBBoxes=False)
    options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, glyph_names=True)
    options.name_IDs = ["*"]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def printable_chars() -> frozenset[str]:
    """The characters DejaVu Sans (regular and bold) can draw, and line breaks."""
    faces = read_faces()
    return frozenset(faces[""].widths) & frozenset(faces["B"].widths) | {"\n", "\r"}


def text_width(value: str, *, bold: bool = False, size: float = 10) -> float:
    """The width of `value` in mm, on one line, in DejaVu Sans (bold) at `size` pt."""
    widths = read_faces()["B" if bold else ""].widths
    return sum(map(widths.__getitem__, value)) * size * MM_PER_PT / 1000


def break_lines(value: str, width: float, *, bold: bool = False, size: float = 10) -> list[str]:
    """`value` as lines no wider than `width` mm: broken at spaces, mid-word only if it must."""
    widths = read_faces()["B" if bold else ""].widths
    room = width * 1000 / (size * MM_PER_PT)  # in thousandths of an em
    measure = widths.__getitem__
    if "\n" not in value and "\r" not in value and sum(map(measure, value)) <= room:
        return [value]  # most cells: one short paragraph
    space = widths[" "]
    out: list[str] = []
    for paragraph in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if sum(map(measure, paragraph)) <= room:
            out.append(paragraph)
            continue
        line, used = "", 0.0
        for word in paragraph.split(" "):
            wide = sum(map(measure, word))
            if line and used + space + wide <= room:
                line, used = f"{line} {word}", used + space + wide
                continue
            if line:
                out.append(line)
            while wide > room:  # a word wider than the line: break it where it must
                cut, taken = 0, 0.0
                while cut < len(word) and taken + measure(word[cut]) <= room:
                    taken += measure(word[cut])
                    cut += 1
                cut = max(cut, 1)
                out.append(word[:cut])
                word = word[cut:]
                wide = sum(map(measure, word))
            line, used = word, wide
        out.append(line)
    return out


# Bytes a PDF string literal escapes with a backslash.
_ESCAPES = {0x5C: "\\\\", 0x28: "\\(", 0x29: "\\)", 0x0D: "\\r"}


class Codes(dict[int, str]):
    """A face's characters (by code point, as `str.translate` asks) and their codes in one
    document's subset, picked on first use, each as it goes into a PDF string literal: two
    bytes big-endian (as latin-1 text), a backslash before `\\`, `(`, `)` and CR."""

    def __init__(self, font: TTFFont) -> None:
        super().__init__()
        self.pick = font.subset.pick

    def __missing__(self, char: int) -> str:
        code = self.pick(char)
        code = 0 if code is None else code
        self[char] = mapped = "".join(
            _ESCAPES.get(byte, chr(byte)) for byte in (code >> 8, code & 0xFF)
        )
        return mapped

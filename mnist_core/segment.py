"""Which ink is the digits: components, clutter, the line of a number, one digit per group.

Works on the ink map of `preprocess` (ink strength in [0, 1] at working resolution) and returns
boolean masks, left to right. Purely geometric, except that touching digits are split where a
caller-supplied `score` (the model's probabilities for a rendered mask) says the pieces read better
than the whole: recognition-driven segmentation, the classic way to cut touching handwriting.

Over 250 lines because it is one pipeline read top to bottom (threshold, components, the line, groups,
joins and cuts); the recognition-driven joins and cuts (~100 lines) are the part to move out if it grows.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .errors import NoInkError

MIN_CONTRAST = 0.06  # ink that differs from the paper by less than this is texture, noise or JPEG artefacts

Box = tuple[int, int, int, int]  # y0, x0, y1, x1 (exclusive)
# the model's (B, 10) digit probabilities for each of a list of B digit masks
Scorer = Callable[[list[np.ndarray]], np.ndarray]

# Splitting touching digits (values chosen with the multi-digit dev sets of bench/real_handwriting.py):
SPLIT_MIN_WIDTH = 0.75  # a group narrower than this x the line height is one digit
SPLIT_SURE = 0.8  # ... and so is a group narrower than the line height that the model reads this surely
SPLIT_MARGIN = 0.3  # log-odds by which the pieces must read better than the whole ...
WIDE, WIDE_MARGIN = 0.9, 0.0  # ... or, for a group wider than WIDE x the line height, this many
SPLIT_DEPTH = 3  # at most 2**3 = 8 digits from one group
MAX_DIGITS = 8  # the longest number read with splits
CUTS = np.linspace(0.2, 0.8, 9)  # candidate cut columns, as fractions of the group's width
# a digit, and each piece of a cut, is at least this x the line height tall (a dot, a dash, a flag or a bar is no digit)
MIN_DIGIT_HEIGHT = 0.5
CUT_LEANS = (0.0, 0.3)  # ... straight down and, for a group wider than WIDE, leaning right as most writing does
TRIPLE_WIDTH = 1.5  # a group wider than this x the line height is also tried in three pieces
# A piece cut from a group and read as a 1 is at least this x the group's height: a shorter stroke is a 1's
# flag, a 4's stem or a 7's bar (any stroke reads as a 1), and counts only as its next best reading
ONE_HEIGHT = 0.85
# Joining two neighbouring groups into one digit (a 4 or a 5 in two strokes that do not meet):
MERGE_GAP = 0.25  # at most this x the line height apart ...
MERGE_WIDTH = 1.0  # ... no wider together than this x the line height, and reading more surely as one by SPLIT_MARGIN


@dataclass(frozen=True)
class Component:
    label: int
    area: int
    mass: float
    box: Box
    touches_border: bool

    @property
    def height(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def width(self) -> int:
        return self.box[3] - self.box[1]


def bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The rows and columns that hold the mask's pixels (None when it has none); cheaper than np.nonzero."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def otsu_threshold(values: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1], on a 64-bin histogram."""
    # np.histogram(values, 64, (0, 1)), counted directly: values * 64 is exact, so its floor is the bin
    hist = np.bincount(np.minimum((values * 64).astype(np.intp), 63), minlength=64)
    edges = np.linspace(0.0, 1.0, 65)
    p = hist.astype(np.float64) / max(1, hist.sum())
    omega = np.cumsum(p)
    centers = (edges[:-1] + edges[1:]) / 2
    mu = np.cumsum(p * centers)
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
    return float(edges[1:][int(np.argmax(between))])


def percentile(values: np.ndarray, q: float) -> float:
    """np.percentile(values, q) (its default, linear method, the same float) without its overhead.
    Where most values are 0 or less (a drawing's background), a high percentile is found among the
    positive values alone, a much smaller partition."""
    flat = values.ravel()
    index = q / 100 * (flat.size - 1)
    lo = int(index)
    if lo + 1 >= flat.size:
        return float(flat.max())
    positive = flat > 0
    below = flat.size - np.count_nonzero(positive)  # values of 0 or less: they sort first
    if lo >= below > flat.size // 2:
        part = np.partition(flat[positive], [lo - below, lo + 1 - below])
        a, b = part[lo - below], part[lo + 1 - below]
    else:
        part = np.partition(flat, [lo, lo + 1])
        a, b = part[lo], part[lo + 1]
    t = index - lo
    return float(b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t)  # numpy's lerp, either side


def ink_labels(ink: np.ndarray, margin: int = 0) -> tuple[np.ndarray, int]:
    """Ink components by hysteresis: pixels above a robust threshold, plus the fainter pixels connected
    to them (thin or light strokes would otherwise break a digit into pieces). Returns an 8-connected
    label image (0: background) and the number of labels.

    `margin`: empty border added around the image (a scan's), left out of the threshold's statistics:
    its zeros would hide the noise floor of noise that fills the frame."""
    own = ink[margin:-margin, margin:-margin] if margin else ink
    sample = own[::2, ::2] if own.size > 40_000 else own
    peak = percentile(sample, 99.9) if own.size > 1000 else float(own.max())
    if peak < MIN_CONTRAST:
        raise NoInkError("no ink found: the image is blank or has too little contrast")
    low = sample < 0.5 * peak
    # Otsu, but never below the noise floor (median + 6 robust sigmas) of a background that is nearly all
    # non-zero texture; none for a drawing's zeros or a scan's zeros beside grey edges: it would cut strokes thin
    noise = 0.0
    background = np.count_nonzero(low)
    if background and np.count_nonzero(low & (sample != 0)) >= 0.75 * background:
        bg = sample[low]
        med = float(np.median(bg))
        noise = med + 6 * 1.4826 * float(np.median(np.abs(bg - med)))
    inked = own[own > 0.02]
    t = max(otsu_threshold(inked) if inked.size else 0.0, noise, MIN_CONTRAST * 0.5)
    t = min(t, 0.5 * peak)
    strong = ink > t
    weak = ink > max(0.5 * t, noise)
    box = bounding_box(weak)  # labelling only the inked part is exact, and much cheaper for a drawing
    if box is None:
        return np.zeros(ink.shape, np.int32), 0
    labels, n = ndimage.label(weak[box], structure=np.ones((3, 3), bool))
    keep = np.zeros(n + 1, np.int32)
    seeds = np.nonzero(np.bincount(labels[strong[box]], minlength=n + 1)[1:])[0] + 1
    keep[seeds] = np.arange(1, seeds.size + 1)
    out = np.zeros(ink.shape, np.int32)
    out[box] = keep[labels]
    return out, int(seeds.size)


MIN_PIECE = 0.02  # components under this share of the biggest one's area are specks, never part of a digit


def components(labels: np.ndarray, n: int, ink: np.ndarray) -> list[Component]:
    """Size, mass and box of each labelled ink component but the specks."""
    if n == 0:
        return []
    box = bounding_box(labels > 0)  # ink is a small part of most images: look only where it is
    assert box is not None  # n > 0
    cropped = labels[box]
    idx = np.flatnonzero(cropped)
    flat = cropped.ravel()[idx]
    areas = np.bincount(flat, minlength=n + 1)[1:]
    masses = np.bincount(flat, weights=ink[box].ravel()[idx], minlength=n + 1)[1:]
    h, w = labels.shape
    # one component (most drawings of one digit) fills the crop: find_objects, a costly call, is not needed
    slices = [(slice(0, cropped.shape[0]), slice(0, cropped.shape[1]))] if n == 1 else ndimage.find_objects(cropped)
    top, left = box[0].start, box[1].start
    out = []
    for i in np.nonzero(areas >= MIN_PIECE * areas.max())[0]:  # a photo's noise can make many specks
        sl = slices[i]
        y0, y1, x0, x1 = sl[0].start + top, sl[0].stop + top, sl[1].start + left, sl[1].stop + left
        border = y0 == 0 or x0 == 0 or y1 == h or x1 == w
        out.append(Component(i + 1, int(areas[i]), float(masses[i]), (y0, x0, y1, x1), border))
    return out


def _is_clutter(c: Component, shape: tuple[int, int]) -> bool:
    """Table edges, shadows and ruling lines: border-touching, long and thin, a band along a whole
    side, or huge."""
    if not c.touches_border:
        return False
    h, w = shape
    long_thin = max(c.height / h, c.width / w) > 0.6 and c.area / max(c.height, c.width) < 0.04 * min(h, w)
    band = (c.height >= 0.9 * h and c.width <= 0.15 * w) or (c.width >= 0.9 * w and c.height <= 0.15 * h)
    return long_thin or band or (c.height * c.width > 0.5 * h * w and c.area < 0.25 * c.height * c.width)


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _gaps(a: Box, b: Box) -> tuple[int, int]:
    """Vertical and horizontal empty space between two boxes (0 where they overlap)."""
    return max(0, a[0] - b[2], b[0] - a[2]), max(0, a[1] - b[3], b[1] - a[3])


def _overlap(a: Box, b: Box, axis: int) -> int:
    """Shared rows (axis 0) or columns (axis 1) of two boxes."""
    return max(0, min(a[axis + 2], b[axis + 2]) - max(a[axis], b[axis]))


def find_line(labels: np.ndarray, comps: list[Component]) -> tuple[list[Component], float]:
    """The components that make up the written digits, and the share of the image's ink they hold
    (low for noise, scribbles or several unrelated things drawn).

    Starts from the strongest component away from the frame (a photo's edges hold the table, shadows
    and the paper's edge; a scan that fills its frame has only border-touching ink, and then that is
    the digit), takes in pieces close to it (broken strokes), then digits beside it on the same line.
    """
    if not comps:
        raise NoInkError("no ink found in the image")
    shape = labels.shape
    candidates = [c for c in comps if not _is_clutter(c, shape)]  # comps holds no specks already
    border_area = max((c.area for c in comps if c.touches_border), default=0)
    inner = [c for c in candidates if not c.touches_border and c.area >= max(20, 0.05 * border_area)]
    pool = inner or candidates or comps
    main = max(pool, key=lambda c: c.mass)
    line, box = [main], main.box
    # Border-touching ink left out of an inner pool may still be a digit drawn up to the canvas edge:
    # it joins only whole, as a digit-sized component beside the others.
    rest = [c for c in (candidates or comps) if c is not main and c.area >= 0.03 * main.area]
    grown = True
    while grown:
        grown = False
        height = max(c.height for c in line)
        for c in list(rest):
            outside = pool is inner and c.touches_border
            gy, gx = _gaps(c.box, box)
            near = max(gy, gx) <= 0.2 * height and not outside  # a piece of a broken stroke
            beside = _overlap(c.box, box, 0) >= 0.5 * min(c.height, box[2] - box[0]) and gx <= 1.2 * height
            if outside:
                beside = beside and 0.6 * height <= c.height <= 1.5 * height
            if near or beside:
                line.append(c)
                box = _union(box, c.box)
                rest.remove(c)
                grown = True
    ink = {c.label: c.mass for c in pool + line}
    kept = sum(c.mass for c in line) / max(1e-9, sum(ink.values()))
    return line, kept


def group_digits(line: list[Component]) -> list[list[Component]]:
    """One group per digit, left to right: a component sharing most of its columns with a bigger one
    (a 4 in two strokes, a 7's crossbar) belongs to it, as does a short piece sharing any columns
    (a 5's flag, a stroke broken where the pen lifted); a piece between two digits joins the one it
    shares more with. Slanted neighbours share a few columns and stay apart."""
    height = max(c.box[2] for c in line) - min(c.box[0] for c in line)  # the line's band
    groups: list[tuple[Box, list[Component]]] = []
    for c in sorted(line, key=lambda c: -c.area):
        shares = [_overlap(c.box, box, 1) / max(1, min(c.width, box[3] - box[1])) for box, _ in groups]
        best = int(np.argmax(shares)) if shares else -1
        if best >= 0 and (shares[best] >= 0.6 or (c.height < 0.6 * height and shares[best] > 0)):
            box, members = groups[best]
            groups[best] = (_union(box, c.box), members + [c])
        else:
            groups.append((c.box, [c]))
    return [members for _, members in sorted(groups, key=lambda g: g[0][1])]


def _cuts(mask: np.ndarray, line_height: float, leans: tuple[float, ...], three: bool = False
          ) -> list[list[np.ndarray]]:  # fmt: skip
    """Cuts of a group into a left and a right piece (and with `three`, into three pieces: pairs of
    CUTS at least a fifth of the width apart), each tall enough to be a digit, at each of CUTS and
    `leans` (columns per row; > 0: the cut's top further right, as forward-slanted writing leans the
    gap between neighbours). Cuts share their pieces: the same piece is the same array."""
    rows, cols = bounding_box(mask)  # type: ignore[misc]
    x0, width = cols.start, cols.stop - cols.start
    y = np.arange(mask.shape[0])[:, None] - (rows.start + rows.stop - 1) / 2  # rows, from the group's middle
    x = np.arange(mask.shape[1])[None, :]
    total = mask.sum()
    places = [(f,) for f in CUTS] + ([(f, g) for f in CUTS for g in CUTS if g - f >= 0.2] if three else [])
    out = []
    for lean in leans:
        shifted = x + lean * y
        pieces: dict[tuple[float, float], np.ndarray] = {}
        for fs in places:
            bounds = [-np.inf, *(x0 + f * width for f in fs), np.inf]
            parts = [pieces.setdefault((lo, hi), mask & (shifted >= lo) & (shifted < hi))
                     for lo, hi in itertools.pairwise(bounds)]  # fmt: skip
            if all(_height(m) >= MIN_DIGIT_HEIGHT * line_height and m.sum() >= 0.1 * total for m in parts):
                out.append(parts)
    return out


def _height(mask: np.ndarray) -> int:
    rows = np.nonzero(mask.any(1))[0]
    return int(rows[-1] + 1 - rows[0]) if rows.size else 0


def join_broken(masks: list[np.ndarray], line_height: float, score: Scorer) -> list[np.ndarray]:
    """Neighbouring groups, left to right, joined where the two read more surely as one digit than
    as two (by SPLIT_MARGIN in log-probability): strokes of one digit that share too few columns to
    be grouped, the mirror of `split_touching`."""
    masks = list(masks)
    i = 0
    while i < len(masks) - 1:
        a, b = masks[i], masks[i + 1]
        ca, cb = bounding_box(a)[1], bounding_box(b)[1]  # type: ignore[index]
        if cb.start - ca.stop <= MERGE_GAP * line_height and cb.stop - ca.start <= MERGE_WIDTH * line_height:
            joined = a | b
            pa, pb, pj = np.log(np.maximum(score([a, b, joined]).max(1), 1e-9))
            if pj > pa + pb + SPLIT_MARGIN:
                masks[i : i + 2] = [joined]
                continue
        i += 1
    return masks


def _piece_sureness(probs: np.ndarray, pieces: list[np.ndarray], height: int) -> np.ndarray:
    """How surely each piece cut from a group `height` rows tall reads as a digit: its top probability,
    or its second for a piece read as a 1 but shorter than ONE_HEIGHT x the group."""
    ranked = np.sort(probs, axis=1)
    short_one = (probs.argmax(1) == 1) & (np.array([_height(m) for m in pieces]) < ONE_HEIGHT * height)
    out: np.ndarray = np.where(short_one, ranked[:, -2], ranked[:, -1])
    return out


def split_touching(mask: np.ndarray, line_height: float, score: Scorer, depth: int = 0) -> list[np.ndarray]:
    """A group of ink -> one mask per digit. A wide group is cut where the pieces read more surely
    than the whole (by SPLIT_MARGIN in log-probability), then each piece is tried again. A group as
    wide as three digits is also tried in three pieces at once: two of its halves may each hold a
    digit and a half, which read no better than the whole."""
    xs = np.nonzero(mask.any(0))[0]
    width = xs[-1] + 1 - xs[0]
    if depth >= SPLIT_DEPTH or width < SPLIT_MIN_WIDTH * line_height:
        return [mask]
    whole = float(score([mask])[0].max())
    if whole >= SPLIT_SURE and width < line_height:
        return [mask]
    wide = width >= WIDE * line_height
    cuts = _cuts(mask, line_height, CUT_LEANS if wide else (0.0,), three=width >= TRIPLE_WIDTH * line_height)
    if not cuts:
        return [mask]
    pieces = list({id(m): m for parts in cuts for m in parts}.values())  # each piece read once
    sure = dict(zip(map(id, pieces), _piece_sureness(score(pieces), pieces, _height(mask)), strict=True))
    both = np.array([sum(np.log(max(sure[id(m)], 1e-9)) for m in parts) for parts in cuts])
    best = int(both.argmax())
    if both[best] <= np.log(max(whole, 1e-9)) + (WIDE_MARGIN if wide else SPLIT_MARGIN):
        return [mask]
    return [piece for part in cuts[best] for piece in split_touching(part, line_height, score, depth + 1)]


def digit_masks(ink: np.ndarray, score: Scorer | None = None, margin: int = 0
                ) -> tuple[list[np.ndarray], float, list[bool]]:  # fmt: skip
    """The ink of each written digit, left to right, the share of the ink they hold (`margin`: as
    for ink_labels), and which masks are pieces of a cut (split_touching) rather than whole groups.

    Without `score`, touching digits are not split (and stay one mask); nor are they in a line of
    more than MAX_DIGITS groups (a page of text is not a number, and splitting costs model calls)."""
    labels, n = ink_labels(ink, margin)
    line, kept = find_line(labels, components(labels, n, ink))
    groups = group_digits(line)
    masks = []
    for g in groups:
        if len(g) == n:  # all the ink (one digit, no specks): cheaper than the lookup below
            masks.append(labels > 0)
            continue
        chosen = np.zeros(n + 1, bool)
        chosen[[c.label for c in g]] = True
        masks.append(chosen[labels])
    line_height = float(statistics.median(_height(m) for m in masks))
    if score is not None and len(masks) <= MAX_DIGITS:
        masks = join_broken(masks, line_height, score)
    if len(masks) > 1:  # a speck beside a digit, a decimal point, a dash (never all: the tallest is above the median)
        masks = [m for m in masks if _height(m) >= MIN_DIGIT_HEIGHT * line_height]
    cut = [False] * len(masks)
    if score is not None and len(masks) <= MAX_DIGITS:
        split = [split_touching(m, line_height, score) for m in masks]
        masks = [piece for pieces in split for piece in pieces]
        cut = [len(pieces) > 1 for pieces in split for _ in pieces]
    return masks, kept, cut

"""Write synthetic_strokes.npz: a small SYNTHETIC image set (random strokes, not handwriting) for
the synthetic_strokes_* specs; the Omnigrok specs use the real digits (make_sklearn_digits.py).

Ten classes of 10x10 grey images. Each class is a fixed pattern of a few random strokes
(drawn once from the seed); an example is its class's pattern shifted by up to one pixel,
its strokes thickened or not, scaled in brightness and covered in Gaussian noise, so that
1,000 training images do not cover the class by rote. Deterministic: the same file every time.

    python specs/zoo/make_synthetic_strokes.py    # writes specs/zoo/synthetic_strokes.npz
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SIZE, CLASSES, STROKES = 10, 10, 3
TRAIN, TEST, SEED = 1000, 1000, 0


def patterns(rng: np.random.Generator) -> np.ndarray:
    """(CLASSES, SIZE, SIZE): each class a few straight strokes between random points."""
    out = np.zeros((CLASSES, SIZE, SIZE))
    for c in range(CLASSES):
        for _ in range(STROKES):
            (r0, c0), (r1, c1) = rng.integers(2, SIZE - 2, size=(2, 2))
            for t in np.linspace(0.0, 1.0, 2 * SIZE):
                out[c, round(r0 + t * (r1 - r0)), round(c0 + t * (c1 - c0))] = 1.0
    return out


def examples(rng: np.random.Generator, base: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, CLASSES, size=n)
    images = np.empty((n, SIZE, SIZE))
    for i, c in enumerate(labels):
        image = np.roll(base[c], tuple(rng.integers(-1, 2, size=2)), axis=(0, 1))
        if rng.random() < 0.5:  # a thicker pen
            image = np.maximum(image, np.roll(image, 1, axis=1))
        images[i] = image * rng.uniform(0.6, 1.0) + rng.normal(0.0, 0.15, size=(SIZE, SIZE))
    return images.astype(np.float16), labels.astype(np.uint8)  # half precision: a small file


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    base = patterns(rng)
    x_train, y_train = examples(rng, base, TRAIN)
    x_test, y_test = examples(rng, base, TEST)
    np.savez_compressed(out, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("synthetic_strokes.npz"))

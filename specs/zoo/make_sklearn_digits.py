"""Write sklearn_digits.npz: the real 8x8 handwritten digits for the Omnigrok specs.

scikit-learn ships this set inside its package (`sklearn.datasets.load_digits`: 1,797 images
of 8x8 pixels, grey levels 0..16, ten classes), so nothing is downloaded. scikit-learn is
needed only where this script runs, never by clockspec:

    pip install scikit-learn && python specs/zoo/make_sklearn_digits.py

The file holds the set as scikit-learn gives it, in its order, as one set `x`, `y` (the spec
chooses the split): `x` the images divided by 16 (so in [0, 1]) in half precision, which
holds every k / 16 exactly, and `y` the digits as uint8.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits


def arrays() -> dict[str, np.ndarray]:
    digits = load_digits()
    return {"x": (digits.images / 16.0).astype(np.float16), "y": digits.target.astype(np.uint8)}


def main(out: Path) -> None:
    np.savez_compressed(out, **arrays())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sklearn_digits.npz"))

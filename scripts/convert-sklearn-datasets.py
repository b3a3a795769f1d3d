#!/usr/bin/python3
"""Convert scikit-learn's bundled copies of the UCI digits and iris data sets into the compact
files under data/ that the trainer loads (src/engine/datasets/bundled.ts).

Run ONCE with Debian's python (it has python3-sklearn), not a pyenv python:

    /usr/bin/python3 scripts/convert-sklearn-datasets.py

Each data set becomes <name>.bin (uint8 features, row-major, then uint8 labels) and <name>.json
(shapes, how to scale the bytes back to the original values, class and feature names, source).
"""
import hashlib
import json
import os

import numpy as np
import sklearn
from sklearn.datasets import load_digits, load_iris

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


def write(name, x_u8, y_u8, header):
    os.makedirs(OUT, exist_ok=True)
    assert x_u8.dtype == np.uint8 and y_u8.dtype == np.uint8
    blob = np.ascontiguousarray(x_u8).tobytes() + np.ascontiguousarray(y_u8).tobytes()
    header = dict(header)
    header["file"] = name + ".bin"
    header["bytes"] = len(blob)
    header["sha256"] = hashlib.sha256(blob).hexdigest()
    header["sklearn_version"] = sklearn.__version__
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(header, f, indent=2)
        f.write("\n")
    print(f"{name}: {x_u8.shape} -> {len(blob)} bytes")


def digits():
    d = load_digits()
    x = d.data.astype(np.float64)
    assert x.shape == (1797, 64) and x.min() >= 0 and x.max() <= 16
    assert np.all(x == np.round(x))
    write(
        "digits",
        x.astype(np.uint8),
        d.target.astype(np.uint8),
        {
            "name": "digits",
            "samples": int(x.shape[0]),
            "features": 64,
            "sampleShape": [8, 8],
            # Stored values are the integer counts 0..16; value = byte * scale.
            "scale": 1,
            "range": [0, 16],
            "classes": 10,
            "classNames": [str(c) for c in d.target_names],
            "featureNames": list(d.feature_names),
            "source": "UCI ML Optical Recognition of Handwritten Digits (test set), via scikit-learn load_digits()",
        },
    )


def iris():
    d = load_iris()
    x = d.data.astype(np.float64)
    assert x.shape == (150, 4)
    tenths = np.round(x * 10)
    assert np.allclose(tenths / 10, x) and tenths.max() < 256
    write(
        "iris",
        tenths.astype(np.uint8),
        d.target.astype(np.uint8),
        {
            "name": "iris",
            "samples": int(x.shape[0]),
            "features": 4,
            "sampleShape": [4],
            # Measurements in cm have one decimal: value = byte * 0.1.
            "scale": 0.1,
            "classes": 3,
            "classNames": [str(c) for c in d.target_names],
            "featureNames": list(d.feature_names),
            "source": "Fisher's iris data (UCI ML Iris), via scikit-learn load_iris()",
        },
    )


if __name__ == "__main__":
    digits()
    iris()

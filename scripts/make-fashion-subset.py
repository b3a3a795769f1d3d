#!/usr/bin/python3
"""Cuts the small Fashion-MNIST training set that examples/mlp.dlm and examples/vae.dlm train on.

Source: Debian's `dataset-fashion-mnist` (Zalando SE, MIT/Expat licence), installed at
/usr/share/datasets/fashion-mnist/. Takes the first PER_CLASS images of each class from the
training set, in their original order, and writes them as gzip'd idx files (mtime 0, so the
output is byte-for-byte reproducible) into examples/data/.

    sudo apt-get install dataset-fashion-mnist && /usr/bin/python3 scripts/make-fashion-subset.py

Only the standard library is used.
"""
import gzip
import hashlib
import os
import struct
import sys

SRC = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data")
PER_CLASS = 200
CLASSES = 10


def read(name):
    with gzip.open(os.path.join(SRC, name), "rb") as f:
        return f.read()


def write(name, payload):
    path = os.path.join(OUT, name)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(payload)
    data = open(path, "rb").read()
    print(f"{name}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


def main():
    images = read("train-images-idx3-ubyte.gz")
    labels = read("train-labels-idx1-ubyte.gz")
    magic, n, rows, cols = struct.unpack(">IIII", images[:16])
    lmagic, ln = struct.unpack(">II", labels[:8])
    if magic != 0x803 or lmagic != 0x801 or n != ln:
        sys.exit("unexpected idx headers")
    size = rows * cols
    taken = {c: 0 for c in range(CLASSES)}
    keep = []
    for i in range(n):
        c = labels[8 + i]
        if taken[c] < PER_CLASS:
            taken[c] += 1
            keep.append(i)
        if len(keep) == PER_CLASS * CLASSES:
            break
    m = len(keep)
    img = bytearray(struct.pack(">IIII", 0x803, m, rows, cols))
    lab = bytearray(struct.pack(">II", 0x801, m))
    for i in keep:
        img += images[16 + i * size : 16 + (i + 1) * size]
        lab.append(labels[8 + i])
    os.makedirs(OUT, exist_ok=True)
    write("fashion-2k-images-idx3-ubyte.gz", bytes(img))
    write("fashion-2k-labels-idx1-ubyte.gz", bytes(lab))
    print(f"{m} images of {rows}x{cols}, {PER_CLASS} per class, from the first {keep[-1] + 1} of {n}")


main()

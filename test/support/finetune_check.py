"""Reads a GrainLab fine-tuning export the way micro-sam's loaders do (tifffile, sorted globs of
<split>/images/*.tif and <split>/labels/*.tif) and prints, per pair, what a trainer would see:
image shape and dtype, label dtype, instance ids. Exit 1 with a message when the pairs do not match.
Usage: /usr/bin/python3 test/support/finetune_check.py <dataset>   (needs numpy and tifffile)
"""
import glob
import json
import os
import sys

import numpy as np
import tifffile


def main(root):
    out = {}
    for split in ("train", "val", "test"):
        images = sorted(glob.glob(os.path.join(root, split, "images", "*.tif")))
        labels = sorted(glob.glob(os.path.join(root, split, "labels", "*.tif")))
        if [os.path.basename(p) for p in images] != [os.path.basename(p) for p in labels]:
            sys.exit(f"{split}: image and label names differ")
        for ip, lp in zip(images, labels):
            img = tifffile.imread(ip)
            lab = tifffile.imread(lp)
            if lab.ndim != 2 or lab.dtype not in (np.uint16, np.uint32):
                sys.exit(f"{lp}: labels must be a 2-D uint16/uint32 map, got {lab.dtype} {lab.shape}")
            if img.shape[:2] != lab.shape:
                sys.exit(f"{ip}: image {img.shape} and labels {lab.shape} differ in size")
            ids = np.unique(lab)
            out[f"{split}/{os.path.basename(lp)}"] = {
                "image": [list(img.shape), str(img.dtype)],
                "labels": str(lab.dtype),
                "ids": [int(v) for v in ids if v != 0],
                "sum": int(lab.astype(np.uint64).sum()),
            }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/python3
"""Checks a COCO annotations file the way pycocotools reads it (annToMask + area), independently of
GrainLab's TypeScript: every annotation's mask (RLE string/counts decoded, or polygons rasterised
by the pycocotools re-implementation in app/export/fixtures/gen_coco_fixtures.py) must have exactly
`area` pixels, equal the segment it came from in the truth label map, and overlap no other.

Usage: coco_check.py ANNOTATIONS.json TRUTH_DIR   (TRUTH_DIR/<file_name>.u32: uint32 LE, row-major)
Prints one JSON object: {"annotations": n, "area_mismatch": n, "mask_mismatch": n, "overlap_pixels": n}
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "app", "export", "fixtures"))
from gen_coco_fixtures import decode, fr_poly, merge  # noqa: E402


def from_string(s):
    """pycocotools rleFrString: 5-bit groups + 48, 0x20 = more, sign from 0x10, delta from counts[-2]."""
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def ann_mask(ann, h, w):
    seg = ann["segmentation"]
    if isinstance(seg, list):
        rles = [fr_poly(p, h, w) for p in seg]
        counts = merge(rles, h, w) if len(rles) > 1 else rles[0]
    else:
        counts = from_string(seg["counts"]) if isinstance(seg["counts"], str) else seg["counts"]
    return decode(counts, h, w).astype(bool)


def main():
    coco = json.load(open(sys.argv[1]))
    truth_dir = sys.argv[2]
    out = {"annotations": 0, "area_mismatch": 0, "mask_mismatch": 0, "overlap_pixels": 0}
    by_image = {}
    for a in coco["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    for im in coco["images"]:
        h, w = im["height"], im["width"]
        truth = np.fromfile(os.path.join(truth_dir, im["file_name"] + ".u32"), dtype="<u4").reshape(h, w)
        cover = np.zeros((h, w), dtype=np.int32)
        for a in by_image.get(im["id"], []):
            m = ann_mask(a, h, w)
            out["annotations"] += 1
            if int(m.sum()) != int(round(a["area"])):
                out["area_mismatch"] += 1
            if not np.array_equal(m, truth == a["grainlab"]["segmentId"]):
                out["mask_mismatch"] += 1
            cover += m
        out["overlap_pixels"] += int((cover > 1).sum())
    print(json.dumps(out))


if __name__ == "__main__":
    main()

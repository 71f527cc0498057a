"""Peer for the learn benchmark: scikit-learn's RandomForestClassifier on scikit-image's
multiscale_basic_features, trained on the very same simulated strokes as GrainLab.

Usage: /usr/bin/python3 test/bench/learn_peer.py JOB.json
JOB.json: {"nClasses": C, "train": [{"image": path, "labels": npy}], "test": [{"image": path, "out": npy}]}
labels: uint8 per pixel, 0 = unlabelled, k+1 = class k. Writes float32 (C, H, W) probabilities
to each test "out" and prints one JSON line with timings. Prints {"skipped": why} when
scikit-learn or scikit-image is missing (Debian: python3-sklearn, python3-skimage).
"""
import json
import sys
import time

try:
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from skimage import io
    from skimage.feature import multiscale_basic_features
except ImportError as e:  # pragma: no cover
    print(json.dumps({"skipped": f"{e}; install python3-sklearn and python3-skimage"}))
    sys.exit(0)


def grey(path):
    """The image in 0..1: grey, or its three colour channels when they differ (channel-last)."""
    im = io.imread(path)
    top = 65535.0 if im.dtype == np.uint16 else 255.0
    im = im.astype(np.float32)
    if im.ndim == 3:
        im = im[..., :3]
        if np.array_equal(im[..., 0], im[..., 1]) and np.array_equal(im[..., 0], im[..., 2]):
            im = im[..., 0]
    im = im / top
    # The same per-image contrast normalisation as GrainLab's (0.1th..99.9th percentile to 0..1):
    # super_ni mixes images whose grey ranges differ several-fold (two are 16-bit).
    lo, hi = np.percentile(im, [0.1, 99.9])
    return (im - lo) / max(hi - lo, 1e-6)


def features(im):
    return multiscale_basic_features(im, intensity=True, edges=True, texture=True, sigma_min=1, sigma_max=16, channel_axis=-1 if im.ndim == 3 else None)


def main():
    job = json.load(open(sys.argv[1]))
    C = job["nClasses"]
    t0 = time.perf_counter()
    xs, ys = [], []
    for t in job["train"]:
        f = features(grey(t["image"]))
        lab = np.load(t["labels"]).reshape(f.shape[:2])
        m = lab > 0
        xs.append(f[m])
        ys.append(lab[m].astype(np.int64) - 1)
    X = np.concatenate(xs)
    y = np.concatenate(ys)
    clf = RandomForestClassifier(n_estimators=100, n_jobs=-1, class_weight="balanced", random_state=0)
    clf.fit(X, y)
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    c1 = time.process_time()
    pixels = 0
    for t in job["test"]:
        im = grey(t["image"])
        f = features(im)
        h, w = im.shape[:2]
        p = clf.predict_proba(f.reshape(-1, f.shape[-1]))
        full = np.zeros((h * w, C), np.float32)
        full[:, clf.classes_] = p
        np.save(t["out"], np.ascontiguousarray(full.T.reshape(C, h, w)))
        pixels += h * w
    predict_s = time.perf_counter() - t1
    predict_cpu_s = time.process_time() - c1
    print(json.dumps({"train_s": train_s, "predict_s": predict_s, "predict_cpu_s": predict_cpu_s, "pixels": pixels, "samples": int(len(y))}))


if __name__ == "__main__":
    main()

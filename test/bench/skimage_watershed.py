"""Reference timing for the watershed comparison: scikit-image's watershed on the same relief and
markers GrainLab uses. Reads raw little-endian files, writes the labels, prints the time in ms."""
import sys
import time

import numpy as np
from skimage.segmentation import watershed

relief_path, markers_path, out_path, width, height = sys.argv[1:6]
w, h = int(width), int(height)
relief = np.fromfile(relief_path, dtype=np.uint8).reshape(h, w)
markers = np.fromfile(markers_path, dtype=np.uint32).reshape(h, w).astype(np.int32)
best = float('inf')
for _ in range(3):
    t0 = time.perf_counter()
    labels = watershed(relief, markers)
    best = min(best, (time.perf_counter() - t0) * 1000)
labels.astype(np.uint32).tofile(out_path)
print(f"{best:.3f}")

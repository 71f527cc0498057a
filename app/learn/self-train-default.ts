// Whether training self-trains on unlabelled images (app/learn/self-train.ts) when the caller
// does not say: off, because the learn benchmark (docs/benchmarks.md, section learn, rows
// "self-trained" at K = 3, N = 10) showed no gain on all three sets (uhcs +0.03 IoU but lower
// mIoU, super_ni -0.01, tbm_train ARI -0.02). Its own file so the renderer can read it without
// the pipeline.
export const SELF_TRAIN_DEFAULT = false;

#!/usr/bin/python3
"""Accuracy of the trained Fashion-MNIST model from the platform's h outputs.

  fmnist_accuracy.py H_LAST_LAYER.npy [--data data/fmnist] [--expect]

H_LAST_LAYER.npy is the last layer's h as elstm-vp writes it with outputs.h (shape (sequences,
steps, 128)); its last step goes through the classifier (fc_w, fc_b) and the argmax is compared
with labels_test.npy. With --expect, the accuracy must equal PyTorch's evaluation of the same
fp16 weights under the same h-block rule (accuracy.json, pruned_fp16_thresholds_subset) within
2 images in 1000: both add in fp32 but in another order, which can flip an argmax that is a
near tie; exit 1 otherwise.
"""
import argparse
import json
import os
import sys

import numpy as np


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("h", help="the last layer's h outputs (.npy, sequences x steps x hidden)")
    ap.add_argument("--data", default=os.path.join(here, "..", "data", "fmnist"))
    ap.add_argument("--expect", action="store_true", help="compare with accuracy.json (PyTorch)")
    args = ap.parse_args()
    h = np.load(args.h)
    fc_w = np.load(os.path.join(args.data, "fc_w.npy"))
    fc_b = np.load(os.path.join(args.data, "fc_b.npy"))
    labels = np.load(os.path.join(args.data, "labels_test.npy"))
    if h.ndim != 3 or h.shape[0] != len(labels) or h.shape[2] != fc_w.shape[1]:
        sys.exit(f"fmnist_accuracy.py: {args.h}: shape {h.shape}, expected ({len(labels)}, steps, {fc_w.shape[1]})")
    correct = int(((h[:, -1, :] @ fc_w.T + fc_b).argmax(axis=1) == labels).sum())
    print(f"platform accuracy: {correct}/{len(labels)} = {correct / len(labels):.4f}")
    if args.expect:
        with open(os.path.join(args.data, "accuracy.json")) as f:
            want = json.load(f)["accuracy"]["pruned_fp16_thresholds_subset"]
        want_correct = round(want * len(labels))
        print(f"PyTorch (same fp16 weights, same h-block rule): {want_correct}/{len(labels)} = {want:.4f}")
        if abs(correct - want_correct) > 2:
            sys.exit(f"fmnist_accuracy.py: the platform classifies {correct} images correctly, PyTorch {want_correct}")


if __name__ == "__main__":
    main()

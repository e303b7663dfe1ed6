#!/usr/bin/python3
"""Train the Fashion-MNIST sparse LSTM that configs/trained/fmnist.yaml runs.

The model has the shape of the paper's MNIST benchmark: an image read as 28 rows of 28 pixels
(28 steps), two LSTM layers 28 -> 128 -> 128 and a linear classifier on the last step's h.
Steps:
  1. train dense (fp32);
  2. prune W1, U1, W2, U2 by magnitude to the zero fractions 0.3, 0.5, 0.2, 0.4 and retrain
     with the pruned weights held at zero;
  3. round the weights and biases to fp16 (what the accelerator stores) and evaluate as the
     platform computes: fp32 arithmetic, gate order f, i, c, o, one bias per gate row, and
     optionally the h-block rule (a block of 4 h values takes part in U.h iff the sum of |h| >= th
     or one |h| >= th/2) with the thresholds 0.3 (layer 1) and 0.8 (layer 2).
It writes the layers as .npy (W 4n x m, U 4n x n, bias 4n, fp16), the classifier, a fixed
test subset (the first --subset test images, float16, shape (subset, 28, 28), with their labels)
and accuracy.json, and prints the accuracies.

Data: Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist). Needs python3-torch.
Deterministic for a given --seed on one machine (single-threaded torch).
"""

import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"
ZERO_FRACTIONS = {"w1": 0.3, "u1": 0.5, "w2": 0.2, "u2": 0.4}
THRESHOLDS = (0.3, 0.8)
HIDDEN = 128


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(split):
    images = read_idx(os.path.join(DATA, f"{split}-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    labels = read_idx(os.path.join(DATA, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(images), torch.from_numpy(labels)


class Classifier(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(28, HIDDEN, num_layers=2, batch_first=True)
        self.fc = torch.nn.Linear(HIDDEN, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


def torch_matrices(model):
    """The pruned matrices by the platform's names: W = weight_ih, U = weight_hh."""
    return {"w1": model.lstm.weight_ih_l0, "u1": model.lstm.weight_hh_l0,
            "w2": model.lstm.weight_ih_l1, "u2": model.lstm.weight_hh_l1}


def accuracy(logits, labels):
    return float((logits.argmax(dim=1) == labels).float().mean())


def train(model, images, labels, epochs, masks, rng, log):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(images)))
        total = 0.0
        for start in range(0, len(images), 128):
            idx = order[start:start + 128]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
            loss.backward()
            opt.step()
            if masks:
                with torch.no_grad():
                    for name, p in torch_matrices(model).items():
                        p.mul_(masks[name])
            total += float(loss) * len(idx)
        log(f"  epoch {epoch + 1}/{epochs}: loss {total / len(images):.4f}")


def prune_masks(model):
    masks = {}
    for name, p in torch_matrices(model).items():
        flat = p.detach().abs().flatten()
        k = int(round(ZERO_FRACTIONS[name] * flat.numel()))
        cut = flat.kthvalue(k).values if k > 0 else -1.0
        mask = (p.detach().abs() > cut).float()
        masks[name] = mask
        with torch.no_grad():
            p.mul_(mask)
    return masks


def platform_layers(model):
    """Each layer as the platform stores it: fp16 W, U, bias, rows in gate order f, i, c, o."""
    torch_order = {"i": 0, "f": 1, "g": 2, "o": 3}
    perm = np.concatenate([np.arange(HIDDEN) + HIDDEN * torch_order[g] for g in ("f", "i", "g", "o")])
    layers = []
    for k in range(2):
        w = getattr(model.lstm, f"weight_ih_l{k}").detach().numpy()[perm]
        u = getattr(model.lstm, f"weight_hh_l{k}").detach().numpy()[perm]
        b = (getattr(model.lstm, f"bias_ih_l{k}") + getattr(model.lstm, f"bias_hh_l{k}")).detach().numpy()[perm]
        layers.append(tuple(a.astype(np.float16) for a in (w, u, b)))
    return layers


def keep_blocks(h, threshold):
    """The h-block rule per block of 4: sum |h| >= th or any |h| >= th/2 (n is a multiple of 4)."""
    a = h.abs().reshape(h.shape[0], -1, 4)
    keep = (a.sum(dim=2) >= threshold) | (a >= threshold / 2).any(dim=2)
    return keep.repeat_interleave(4, dim=1).to(h.dtype)


def platform_forward(layers, images, thresholds):
    """The platform's arithmetic in fp32 (fp16 weights), with h-block pruning when thresholds."""
    x = images
    skipped = total = 0
    for k, (w, u, b) in enumerate(layers):
        w, u, b = (torch.from_numpy(a.astype(np.float32)) for a in (w, u, b))
        batch, steps, n = x.shape[0], x.shape[1], u.shape[1]
        h = torch.zeros(batch, n)
        c = torch.zeros(batch, n)
        wx = x @ w.T
        out = []
        for t in range(steps):
            if thresholds:
                keep = keep_blocks(h, thresholds[k])
                skipped += int((keep[:, ::4] == 0).sum())
                total += keep[:, ::4].numel()
                hk = h * keep
            else:
                hk = h
            pre = wx[:, t] + hk @ u.T + b
            f, i, g, o = (pre[:, j * n:(j + 1) * n] for j in range(4))
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            out.append(h)
        x = torch.stack(out, dim=1)
    return x[:, -1, :], (skipped / total if total else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "fmnist"),
                    help="folder for the .npy files and accuracy.json (default: data/fmnist)")
    ap.add_argument("--epochs", type=int, default=4, help="dense training epochs (default 4)")
    ap.add_argument("--retrain", type=int, default=2, help="retraining epochs after pruning (default 2)")
    ap.add_argument("--subset", type=int, default=1000, help="test images saved for the platform (default 1000)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not os.path.isdir(DATA):
        sys.exit(f"train_fmnist.py: {DATA} not found (apt-get install dataset-fashion-mnist)")

    t0 = time.time()
    log = lambda s: print(s, flush=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    train_x, train_y = load("train")
    test_x, test_y = load("t10k")
    model = Classifier()

    log(f"dense training, {args.epochs} epochs on {len(train_x)} images")
    train(model, train_x, train_y, args.epochs, None, rng, log)
    model.eval()
    with torch.no_grad():
        acc = {"dense_fp32": accuracy(model(test_x), test_y)}
    log(f"dense test accuracy {acc['dense_fp32']:.4f}")

    masks = prune_masks(model)
    with torch.no_grad():
        acc["pruned_before_retraining_fp32"] = accuracy(model(test_x), test_y)
    log(f"pruned to zero fractions {ZERO_FRACTIONS}; before retraining {acc['pruned_before_retraining_fp32']:.4f}")
    model.train()
    train(model, train_x, train_y, args.retrain, masks, rng, log)
    model.eval()

    layers = platform_layers(model)
    fc_w = model.fc.weight.detach().numpy().astype(np.float32)
    fc_b = model.fc.bias.detach().numpy().astype(np.float32)
    with torch.no_grad():
        acc["pruned_fp32"] = accuracy(model(test_x), test_y)
        subset = test_x[:args.subset].half().float()
        for name, images, labels in (("test", test_x, test_y), ("subset", subset, test_y[:args.subset])):
            for rule, th in (("pruned_fp16", None), ("pruned_fp16_thresholds", THRESHOLDS)):
                h, skipped = platform_forward(layers, images, th)
                logits = h @ torch.from_numpy(fc_w).T + torch.from_numpy(fc_b)
                key = rule if name == "test" else f"{rule}_subset"
                acc[key] = accuracy(logits, labels)
                if th:
                    acc[f"h_blocks_skipped_{name}"] = skipped

    os.makedirs(args.out, exist_ok=True)
    for k, (w, u, b) in enumerate(layers, start=1):
        np.save(os.path.join(args.out, f"w{k}.npy"), w)
        np.save(os.path.join(args.out, f"u{k}.npy"), u)
        np.save(os.path.join(args.out, f"b{k}.npy"), b)
    np.save(os.path.join(args.out, "fc_w.npy"), fc_w)
    np.save(os.path.join(args.out, "fc_b.npy"), fc_b)
    np.save(os.path.join(args.out, "x_test.npy"), test_x[:args.subset].numpy().astype(np.float16))
    np.save(os.path.join(args.out, "labels_test.npy"), test_y[:args.subset].numpy().astype(np.uint8))
    zeros = {name: float((torch_matrices(model)[name] == 0).float().mean()) for name in ZERO_FRACTIONS}
    report = {"accuracy": acc, "zero_fractions": zeros, "thresholds": list(THRESHOLDS), "seed": args.seed,
              "epochs": args.epochs, "retrain_epochs": args.retrain, "subset": args.subset,
              "train_seconds": round(time.time() - t0, 1), "torch": torch.__version__}
    with open(os.path.join(args.out, "accuracy.json"), "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
        f.write("\n")
    for key in sorted(acc):
        log(f"{key:40s} {acc[key]:.4f}")
    log(f"written to {os.path.normpath(args.out)} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()

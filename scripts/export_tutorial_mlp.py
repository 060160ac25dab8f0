#!/usr/bin/env python3
"""Train the PyTorch tutorial's MLP on Fashion-MNIST and export it as TorchScript for `osprey import`.

The network is the seed tutorial's nn.Sequential(784-400-200-100-10, ReLU between), with an
nn.Flatten in front because Osprey feeds images as N x C x H x W. Pixels are normalised the way
Osprey's trainer does it: (p / 255 - mean) / std, with the mean and standard deviation of the
training images. The last line printed is JSON: PyTorch's own accuracy on the first --eval test
images, and the mean and std to give `osprey import --normalize`.

    /usr/bin/python3 scripts/export_tutorial_mlp.py --out model.pt
    /usr/bin/python3 scripts/export_tutorial_mlp.py --out untrained.pt --epochs 0   # no data needed
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch
from torch import nn

# Debian's dataset-fashion-mnist package, the IDX files as published.
DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
# Osprey's trainer computes these from the training images; they are what it gives for Fashion-MNIST.
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530


def read_idx(path):
    """An IDX file (gzip or not) as a uint8 array of its declared shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(data_dir, prefix):
    def find(kind):
        for name in (f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz",
                     f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"):
            p = os.path.join(data_dir, name)
            if os.path.exists(p):
                return p
        raise FileNotFoundError(f"no {prefix} {kind} IDX file in {data_dir}")
    return read_idx(find("images")), read_idx(find("labels"))


def tutorial_mlp(classes=10):
    return nn.Sequential(
        nn.Linear(784, 400), nn.ReLU(),
        nn.Linear(400, 200), nn.ReLU(),
        nn.Linear(200, 100), nn.ReLU(),
        nn.Linear(100, classes))


def to_inputs(images, mean, std):
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return ((x - mean) / std).unsqueeze(1)  # N x 1 x H x W


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="where to write the TorchScript file")
    ap.add_argument("--data", default=os.environ.get("OSPREY_DATA", DEFAULT_DATA), help="Fashion-MNIST IDX directory")
    ap.add_argument("--epochs", type=int, default=1, help="0 exports the untrained net without reading data")
    ap.add_argument("--train-images", type=int, default=0,
                    help="train on the first N training images only (0: all 60,000); the mean and std still "
                         "come from all of them")
    ap.add_argument("--eval", type=int, default=2000, help="test images to measure accuracy on")
    ap.add_argument("--softmax", action="store_true", help="end with a softmax, so the outputs are probabilities")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    # The build machines have two cores shared with a broker and a JVM.
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    mlp = tutorial_mlp()
    result = {"out": args.out, "epochs": args.epochs, "softmax": args.softmax}
    if args.epochs > 0:
        result["trainImages"] = args.train_images or 60000

    if args.epochs > 0:
        train_x, train_y = load_split(args.data, "train")
        mean = float(train_x.mean() / 255.0)
        std = float(train_x.std() / 255.0)
        if args.train_images > 0:
            train_x, train_y = train_x[:args.train_images], train_y[:args.train_images]
        x, y = to_inputs(train_x, mean, std), torch.from_numpy(train_y.astype(np.int64))
        opt = torch.optim.Adam(mlp.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        mlp.train()
        for epoch in range(args.epochs):
            order = torch.randperm(len(x))
            for i in range(0, len(x), 64):
                idx = order[i:i + 64]
                opt.zero_grad()
                loss = loss_fn(mlp(x[idx].flatten(1)), y[idx])
                loss.backward()
                opt.step()
            print(f"epoch {epoch + 1}: last batch loss {loss.item():.4f}", file=sys.stderr)
        result.update(mean=mean, std=std)
    else:
        result.update(mean=FASHION_MEAN, std=FASHION_STD)

    # The three lines a user needs: flatten in front, trace on a batch of the input shape, save.
    model = nn.Sequential(nn.Flatten(), mlp, *([nn.Softmax(dim=1)] if args.softmax else [])).eval()
    traced = torch.jit.trace(model, torch.zeros(1, 1, 28, 28))
    traced.save(args.out)

    if args.epochs > 0 and args.eval > 0:
        test_x, test_y = load_split(args.data, "t10k")
        n = min(args.eval, len(test_x))
        with torch.no_grad():
            predicted = traced(to_inputs(test_x[:n], result["mean"], result["std"])).argmax(1).numpy()
        result.update(images=n, correct=int((predicted == test_y[:n]).sum()),
                      accuracy=float((predicted == test_y[:n]).mean()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

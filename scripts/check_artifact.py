"""Loads a warm-start artifact the way a user would, with Debian's torch (/usr/bin/python3):
torch.load(weights_only=True), then load_state_dict(strict=True) into the target model, rebuilt from
its TorchScript archive. With --train KEYS, also runs a few SGD steps and checks that the listed
(freshly initialised) parameters changed: they are trainable in the warm-started model.

    /usr/bin/python3 scripts/check_artifact.py ARTIFACT.pt TARGET.jit.pt [--train key1,key2]

Prints OK and exits 0, or prints what is wrong and exits 1.
"""
import argparse
import sys

import torch

p = argparse.ArgumentParser()
p.add_argument("artifact")
p.add_argument("target")
p.add_argument("--train", default="")
a = p.parse_args()

sd = torch.load(a.artifact, weights_only=True)
model = torch.jit.load(a.target)
model.load_state_dict(sd, strict=True)
for k, v in model.state_dict().items():
    if not torch.equal(v, sd[k]):
        print(f"{k}: loaded value differs from the artifact")
        sys.exit(1)

keys = [k for k in a.train.split(",") if k]
if keys:
    params = dict(model.named_parameters())
    before = {k: params[k].detach().clone() for k in keys}
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    # The oracle's models have no forward(); a loss over every trainable parameter shows just as
    # well that the optimizer moves the freshly initialised ones.
    for _ in range(3):
        opt.zero_grad()
        loss = sum(((p.float() - 1.0) ** 2).sum() for p in model.parameters() if p.requires_grad)
        loss.backward()
        opt.step()
    for k in keys:
        if torch.equal(before[k], params[k].detach()):
            print(f"{k}: unchanged by training")
            sys.exit(1)
print("OK")

#!/usr/bin/env python3
"""PyTorch peer of `pnpm bench`: the same ViT training step as flatsparse's bench, written independently.

Model (as packages/core/src/models/vit.ts): 28x28x1 images cut into P x P patches (row, column, channel
order), a linear patch embedding, a learned class token prepended, learned positions; `depth` pre-LN
blocks h += Attn(LN1(h)); h += MLP(LN2(h)) with a fused QKV projection [d, 3d], scaled dot-product
attention over `heads` heads, MLP relu(x K + b_K) V + b_V; a final LayerNorm (eps 1e-6 throughout) and a
linear head on the class token. The MLP's pre-activations p, activations a and outputs z keep their
gradients (retain_grad), as flatsparse's probes give dL/dp, dL/da and dL/dz every step.

Step (as the bench's Trainer): softmax cross-entropy with label smoothing 0.11, backward, gradient
clipping to global norm 1, AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.05 on parameters of
rank >= 2, none on rank <= 1, flatsparse's default groups), batch 64 of uniform-noise images.

Protocol: one JSON request per line on stdin, one JSON answer per line on stdout, so the bench can keep
one process (torch imported once) and alternate it with flatsparse:
  {"patch": 4, "threads": 1, "warmup": 3, "steps": 8}  ->  {"times_ms": [...], "threads": 1, ...}
A first line {"hello": true} answers with the versions and BLAS configuration.
"""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


class Block(torch.nn.Module):
    def __init__(self, d, heads, n):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-6)
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.out = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-6)
        self.key = torch.nn.Linear(d, n)
        self.value = torch.nn.Linear(n, d)
        self.kept = []

    def forward(self, h):
        b, t, d = h.shape
        dh = d // self.heads
        q, k, v = self.qkv(self.ln1(h)).split(d, dim=-1)
        q, k, v = (x.reshape(b, t, self.heads, dh).transpose(1, 2) for x in (q, k, v))
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), dim=-1)
        mixed = (weights @ v).transpose(1, 2).reshape(b, t, d)
        h = h + self.out(mixed)
        p = self.key(self.ln2(h))
        a = torch.relu(p)
        z = self.value(a)
        if self.training:
            for x in (p, a, z):
                x.retain_grad()
            self.kept = [p, a, z]
        return h + z


class Vit(torch.nn.Module):
    def __init__(self, patch, d=64, depth=4, heads=4, n=256, classes=10, size=28):
        super().__init__()
        self.patch = patch
        tokens = 1 + (size // patch) ** 2
        self.embed = torch.nn.Linear(patch * patch, d)
        self.cls = torch.nn.Parameter(torch.randn(d) * 0.02)
        self.pos = torch.nn.Parameter(torch.randn(tokens, d) * 0.02)
        self.blocks = torch.nn.ModuleList(Block(d, heads, n) for _ in range(depth))
        self.final_ln = torch.nn.LayerNorm(d, eps=1e-6)
        self.head = torch.nn.Linear(d, classes)
        for name, param in self.named_parameters():
            if param.dim() >= 2:
                torch.nn.init.trunc_normal_(param, std=0.02, a=-0.04, b=0.04)

    def forward(self, images):  # images [B, H, W, 1]
        b, h, w, c = images.shape
        p = self.patch
        patches = images.reshape(b, h // p, p, w // p, p * c).transpose(2, 3).reshape(b, (h // p) * (w // p), p * p * c)
        x = self.embed(patches)
        x = torch.cat([self.cls.expand(b, 1, -1), x], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.final_ln(x)[:, 0])


def time_steps(request):
    torch.set_num_threads(int(request.get("threads", 1)))
    torch.manual_seed(int(request.get("seed", 0)))
    batch = int(request.get("batch", 64))
    model = Vit(int(request["patch"]))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
    )
    images = torch.rand(batch, 28, 28, 1)
    labels = torch.randint(0, 10, (batch,))
    times = []
    loss_value = math.nan
    for step in range(int(request.get("warmup", 3)) + int(request.get("steps", 8))):
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels, label_smoothing=0.11)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss_value = loss.item()  # the read-back flatsparse's logEvery 1 makes
        if step >= int(request.get("warmup", 3)):
            times.append(1000 * (time.perf_counter() - start))
    return {"times_ms": times, "threads": torch.get_num_threads(), "loss": loss_value}


def blas_library():
    """The BLAS shared library this process mapped (Debian's torch links whichever libblas.so.3 the
    alternatives point at: OpenBLAS with libopenblas0-pthread, else the 20x slower reference BLAS)."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(paths)) or "none mapped (MKL or a static BLAS)"


def hello():
    return {"torch": torch.__version__, "python": sys.version.split()[0], "blas": blas_library(), "default_threads": torch.get_num_threads()}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            answer = hello() if request.get("hello") else time_steps(request)
        except Exception as err:  # reported to the bench, which prints it
            answer = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

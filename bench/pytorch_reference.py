#!/usr/bin/env python3
"""PyTorch reference for `deno task bench:engine --pytorch` (not part of the test suite).

Mirrors, layer for layer, the networks and the training steps that bench/engine.ts times on
TensorFlow.js, so both engines do the same arithmetic:

- UNet: networks/unet.ts with its defaults (channels 16-256, conv biases, 3x3 head, 7 classes,
  batch norm, LeakyReLU 0.01, encoder dropout 0.05/0.1/0.2/0.3/0.5).
- ResUNetGenerator: networks/resunet_generator.ts (GRN's generator, ngf 32, 4 down-samplings,
  3 bottleneck residual blocks).
- ResNetGenerator: networks/resnet_generator.ts (pix2pix resnet_6blocks, ngf 32).
- PatchGAN: networks/patchgan_discriminator.ts (ndf 32, 3 layers, biases on every conv).
- Losses: Dice as losses/dice_loss.ts (softmax, one-hot, per sample and class, smooth 1e-5,
  1 - mean), L1 (mean |a - b|), LSGAN (mean (D - t)^2); lambdas adv 1, seg 100, l1 100.
- Optimizer: Adam lr 2e-4, betas 0.5/0.999, eps 1e-8 (separate optimizers for G, S, D).
- Joint step: GRN.step in "sel" mode with feedback "joint" (trainers/grn.ts): a G update on
  L1 + adversarial + Dice(S(G(x))) whose gradient also reaches S's weights (kept, D frozen),
  a D update on real and detached generated images, then an S update on
  (Dice(S(x)) + Dice(S(G(x).detach()))) / 2 plus the S gradient kept from L_G.

Modes:
  --worker            JSON commands on stdin, JSON replies on stdout (used by bench/engine.ts)
  (default)           standalone: prints parameter counts and median step times

Run with Debian's interpreter (`apt-get install -y python3-torch`, then /usr/bin/python3).
"""

import argparse
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 7


# ---------------------------------------------------------------- networks (NCHW)


class ConvBlock(nn.Module):
    """conv3x3 - BN - LeakyReLU - dropout(p) - conv3x3 - BN - LeakyReLU (SSL4MIS)."""

    def __init__(self, cin, cout, p, slope=0.01, bias=True):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=bias),
            nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
            nn.LeakyReLU(slope),
            nn.Dropout(p) if p > 0 else nn.Identity(),
            nn.Conv2d(cout, cout, 3, padding=1, bias=bias),
            nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
            nn.LeakyReLU(slope),
        )

    def forward(self, x):
        return self.body(x)


class UpBlock(nn.Module):
    """ConvTranspose(k2, s2), concat [skip, up], ConvBlock(p = 0)."""

    def __init__(self, deep, skip, out):
        super().__init__()
        self.up = nn.ConvTranspose2d(deep, skip, 2, stride=2)
        self.block = ConvBlock(2 * skip, out, 0.0)

    def forward(self, deep, skip):
        return self.block(torch.cat([skip, self.up(deep)], 1))


class UNet(nn.Module):
    def __init__(self, cin=1, classes=NUM_CLASSES, channels=(16, 32, 64, 128, 256),
                 dropout=(0.05, 0.1, 0.2, 0.3, 0.5)):
        super().__init__()
        self.enc = nn.ModuleList(
            ConvBlock(cin if i == 0 else channels[i - 1], channels[i], dropout[i])
            for i in range(len(channels))
        )
        self.dec = nn.ModuleList(
            UpBlock(channels[i], channels[i - 1], channels[i - 1])
            for i in range(len(channels) - 1, 0, -1)
        )
        self.head = nn.Conv2d(channels[0], classes, 3, padding=1)

    def forward(self, x):
        skips = []
        y = x
        for i, block in enumerate(self.enc):
            if i > 0:
                y = F.max_pool2d(y, 2, 2)
            y = block(y)
            skips.append(y)
        for i, block in enumerate(self.dec):
            y = block(y, skips[len(skips) - 2 - i])
        return self.head(y)


class ResidualBlock(nn.Module):
    """x + BN(conv3x3(ReLU(BN(conv3x3(x))))), convolutions without bias."""

    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
        )

    def forward(self, x):
        return x + self.body(x)


class ResUNetGenerator(nn.Module):
    """GRN's generator as networks/resunet_generator.ts (ngf 32, 4 down-samplings, 3 blocks)."""

    def __init__(self, channels=1, ngf=32, downsamplings=4, bottleneck=3):
        super().__init__()
        max_c = 8 * ngf

        def width(level):
            return min(ngf * 2 ** level, max_c)

        self.stem = nn.Conv2d(channels, ngf, 4, 2, 1)
        self.enc = nn.ModuleList()
        for i in range(downsamplings - 1):
            self.enc.append(nn.ModuleDict({
                "res": ResidualBlock(width(i)),
                "down": nn.Conv2d(width(i), width(i + 1), 4, 2, 1),
                "norm": nn.BatchNorm2d(width(i + 1)),
            }))
        deepest = width(downsamplings - 1)
        self.bottleneck = nn.Sequential(*[ResidualBlock(deepest) for _ in range(bottleneck)])
        self.dec = nn.ModuleList()
        cin = deepest
        for i in range(downsamplings - 1):
            skip = width(downsamplings - 2 - i)
            self.dec.append(nn.ModuleDict({
                "up": nn.ConvTranspose2d(cin, skip, 4, 2, 1),
                "norm": nn.BatchNorm2d(skip),
            }))
            cin = 2 * skip
        self.final = nn.ConvTranspose2d(cin, channels, 4, 2, 1)

    def forward(self, x):
        y = F.relu(self.stem(x))
        skips = []
        for stage in self.enc:
            skips.append(y)
            y = stage["res"](y)
            y = F.relu(stage["norm"](stage["down"](y)))
        y = self.bottleneck(y)
        for i, stage in enumerate(self.dec):
            up = F.relu(stage["norm"](stage["up"](y)))
            y = torch.cat([up, skips[len(skips) - 1 - i]], 1)
        return torch.tanh(self.final(y))


class ResNetGenerator(nn.Module):
    """pix2pix resnet_6blocks as networks/resnet_generator.ts (ngf 32, biases, batch norm)."""

    def __init__(self, channels=1, ngf=32, downsamplings=2, blocks=6):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7), nn.BatchNorm2d(ngf),
                  nn.ReLU()]
        for i in range(downsamplings):
            c = ngf * 2 ** i
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), nn.BatchNorm2d(2 * c), nn.ReLU()]
        deep = ngf * 2 ** downsamplings
        self.head = nn.Sequential(*layers)
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.ReflectionPad2d(1), nn.Conv2d(deep, deep, 3), nn.BatchNorm2d(deep), nn.ReLU(),
                nn.ReflectionPad2d(1), nn.Conv2d(deep, deep, 3), nn.BatchNorm2d(deep),
            )
            for _ in range(blocks)
        )
        tail = []
        for i in range(downsamplings):
            c = deep // 2 ** i
            tail += [nn.ConvTranspose2d(c, c // 2, 3, 2, padding=1, output_padding=1),
                     nn.BatchNorm2d(c // 2), nn.ReLU()]
        tail += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels, 7), nn.Tanh()]
        self.tail = nn.Sequential(*tail)

    def forward(self, x):
        y = self.head(x)
        for block in self.blocks:
            y = y + block(y)
        return self.tail(y)


class PatchGAN(nn.Module):
    """pix2pix NLayer PatchGAN as networks/patchgan_discriminator.ts (ndf 32, 3 layers)."""

    def __init__(self, channels=1, ndf=32, n_layers=3, slope=0.2):
        super().__init__()

        def width(n):
            return ndf * min(2 ** n, 8)

        layers = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(slope)]
        for n in range(1, n_layers + 1):
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(width(n - 1), width(n), 4, stride, 1), nn.BatchNorm2d(width(n)),
                       nn.LeakyReLU(slope)]
        layers += [nn.Conv2d(width(n_layers), 1, 4, 1, 1)]
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x)


def count_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


# ---------------------------------------------------------------- losses


def dice_loss(logits, labels):
    """losses/dice_loss.ts defaults: softmax, background included, per sample, smooth 1e-5."""
    p = torch.softmax(logits, 1)
    g = F.one_hot(labels, logits.shape[1]).permute(0, 3, 1, 2).float()
    inter = (p * g).sum((2, 3))
    den = p.sum((2, 3)) + g.sum((2, 3))
    dice = (2 * inter + 1e-5) / (den + 1e-5)
    return 1 - dice.mean()


def l1_loss(a, b):
    return (a - b).abs().mean()


def lsgan_loss(scores, target):
    return ((scores - target) ** 2).mean()


def adam(module):
    return torch.optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)


# ---------------------------------------------------------------- benches


class Bench:
    """One bench (unet-step, unet-inference, joint-step) with its models and data."""

    def __init__(self, name, generator, batch, size, seed=1):
        torch.manual_seed(seed)
        self.name = name
        self.x = torch.rand(batch, 1, size, size) * 2 - 1
        self.y = torch.randint(0, NUM_CLASSES, (batch, size, size))
        self.S = UNet()
        self.params = {"S": count_params(self.S)}
        self.opt_s = adam(self.S)
        self.G = self.D = None
        if name == "joint-step":
            self.G = ResNetGenerator() if generator == "resnet" else ResUNetGenerator()
            self.D = PatchGAN()
            self.opt_g = adam(self.G)
            self.opt_d = adam(self.D)
            self.params["G"] = count_params(self.G)
            self.params["D"] = count_params(self.D)
            self.G.train()
            self.D.train()
        if name == "unet-inference":
            self.S.eval()
        else:
            self.S.train()

    def step(self):
        if self.name == "unet-step":
            self.unet_step()
        elif self.name == "unet-inference":
            with torch.inference_mode():
                self.S(self.x)
        else:
            self.joint_step()

    def unet_step(self):
        self.opt_s.zero_grad(set_to_none=True)
        loss = dice_loss(self.S(self.x), self.y)
        loss.backward()
        loss.item()
        self.opt_s.step()

    def joint_step(self):
        x, y, G, S, D = self.x, self.y, self.G, self.S, self.D
        # G update: L1 + adversarial + Dice through S; D's weights get no gradient, S's are kept.
        for p in D.parameters():
            p.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        self.opt_s.zero_grad(set_to_none=True)
        fake = G(x)
        l1 = l1_loss(fake, x)
        l1.item()
        total = l1 * 100
        adv = lsgan_loss(D(fake), 1.0)
        adv.item()
        total = total + adv * 1
        seg = dice_loss(S(fake), y)
        seg.item()
        total = total + seg * 100
        total.backward()
        total.item()
        self.opt_g.step()
        for p in D.parameters():
            p.requires_grad_(True)
        fake = fake.detach()
        # D update on real and generated images.
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = (lsgan_loss(D(x), 1.0) + lsgan_loss(D(fake), 0.0)) / 2
        loss_d.backward()
        loss_d.item()
        self.opt_d.step()
        # S update on real + generated, plus the S gradient of L_G (accumulated, not zeroed).
        real = dice_loss(S(x), y)
        real.item()
        on_fake = dice_loss(S(fake), y)
        on_fake.item()
        loss_s = (real + on_fake) / 2
        loss_s.backward()
        loss_s.item()
        self.opt_s.step()


# ---------------------------------------------------------------- memory


def peak_rss_mb():
    """Peak resident set size of this process (getrusage max RSS, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- modes


def profile_steps(bench, n, top):
    """Self CPU time per operator, per step over n steps (torch.autograd.profiler)."""
    t0 = time.perf_counter()
    with torch.autograd.profiler.profile() as prof:
        for _ in range(n):
            bench.step()
    step_ms = (time.perf_counter() - t0) * 1000 / n
    rows = []
    for e in prof.key_averages():
        rows.append({"name": e.key, "ms": e.self_cpu_time_total / 1000 / n, "count": e.count / n})
    rows.sort(key=lambda r: -r["ms"])
    return {"stepMs": step_ms, "kernelMs": sum(r["ms"] for r in rows), "kernels": rows[:top]}


def worker(threads):
    bench = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        cmd = msg["cmd"]
        reply = {"reply": cmd}
        try:
            if cmd == "setup":
                bench = Bench(msg["bench"], msg.get("generator", "resunet"), msg["batch"],
                              msg["size"])
                warm = []
                for _ in range(msg.get("warmup", 1)):
                    t0 = time.perf_counter()
                    bench.step()
                    warm.append((time.perf_counter() - t0) * 1000)
                reply.update(params=bench.params, warmupMs=warm)
            elif cmd == "run":
                ms, cpu_ms = [], []
                for _ in range(msg["steps"]):
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    bench.step()
                    ms.append((time.perf_counter() - t0) * 1000)
                    cpu_ms.append((time.process_time() - c0) * 1000)
                reply.update(ms=ms, cpuMs=cpu_ms, peakRssMB=peak_rss_mb(), tensors=None)
            elif cmd == "profile":
                reply.update(profile_steps(bench, msg.get("steps", 1), msg.get("top", 25)))
            elif cmd == "info":
                reply.update(engine="pytorch", version=torch.__version__, threads=torch.get_num_threads(),
                             onednn=torch.backends.mkldnn.is_available())
            elif cmd == "exit":
                print(json.dumps(reply), flush=True)
                return
            else:
                raise ValueError(f"unknown command {cmd!r}")
        except Exception as error:  # reported to the orchestrator, which stops the run
            reply["error"] = f"{type(error).__name__}: {error}"
        print(json.dumps(reply), flush=True)


def standalone(args):
    for name in ["unet-step", "unet-inference", "joint-step"]:
        for gen in (args.generator.split(",") if name == "joint-step" else ["-"]):
            bench = Bench(name, gen, args.batch, args.size)
            bench.step()
            ms = []
            for _ in range(args.steps):
                t0 = time.perf_counter()
                bench.step()
                ms.append((time.perf_counter() - t0) * 1000)
            ms.sort()
            med = ms[len(ms) // 2] if len(ms) % 2 else (ms[len(ms) // 2 - 1] + ms[len(ms) // 2]) / 2
            print(f"{name:15s} {gen:8s} threads {torch.get_num_threads()} median {med:7.0f} ms "
                  f"min {ms[0]:7.0f} ms params {bench.params} peak RSS {peak_rss_mb():.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--generator", default="resunet")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    if args.worker:
        worker(args.threads)
    else:
        standalone(args)


if __name__ == "__main__":
    main()

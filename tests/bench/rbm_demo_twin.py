"""rbm_demo_twin.py: the training of `make rbm-demo` in PyTorch, for `make bench-train`.

The twin of `cadenza train` on the bundled corpus (pipelines/rbm_music.cpp, engine/models/rbm.cpp),
setting for setting, on the very examples Cadenza trains on (`cadenza train --save-examples F.npy`:
one row per window of 16 note-state steps, 2 x 78 keys each, with the recipe's transpositions):
  model  an RBM, 2496 visible and 192 hidden units; W ~ N(0, 0.01), hidden biases 0, visible
         biases the log-odds of each unit's mean on the examples (clamped to [1e-3, 1 - 1e-3])
  update CD-1: p(h|x); h ~ Bernoulli; v ~ Bernoulli(p(v|h)); the statistics from the
         probabilities p(h|x) and p(h|v) (not samples); grad W = v'p(h|v)/B - x'p(h|x)/B
  optim  SGD(lr 0.01, momentum 0.5), batches of 64 examples, reshuffled every epoch
  probe  after every epoch, the pseudo-log-likelihood of the first 256 examples from 64 random
         units each (the progress bar's figure), and the mean reconstruction error of the epoch
Usage: PEER_THREADS=1 /usr/bin/python3 rbm_demo_twin.py EXAMPLES.npy EPOCHS [SEED]
Prints one line: peer=torch bench=train_rbm_demo epochs=N threads=T seconds=S recon=R pll=P
"""
import os
import sys
import time

import numpy
import torch

H, BATCH, LR, MOMENTUM, WINDOW = 192, 64, 0.01, 0.5, 16


def pseudo_ll(x, W, bv, bh, g, units=64):
    # log p(v_i | v_-i) from the free-energy gap of flipping unit i, for `units` random units of each row
    B, V = x.shape
    a = x @ W + bh                                           # (B, H)
    i = torch.randint(V, (B, units), generator=g)            # (B, n)
    xi = torch.gather(x, 1, i)                               # (B, n)
    s = torch.where(xi > 0.5, -1.0, 1.0)
    Wi = W[i]                                                # (B, n, H)
    sp = torch.nn.functional.softplus
    gap = -s * bv[i] - (sp(a.unsqueeze(1) + s.unsqueeze(-1) * Wi) - sp(a).unsqueeze(1)).sum(-1)
    return float((torch.nn.functional.logsigmoid(gap).sum(1) * V / units).mean())


def main():
    path, epochs = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    torch.set_num_threads(int(os.environ.get("PEER_THREADS", "1")))
    g = torch.Generator().manual_seed(seed)
    t0 = time.time()
    x_all = torch.from_numpy(numpy.load(path).astype(numpy.float32))
    N, V = x_all.shape
    W = torch.randn(V, H, generator=g) * 0.01
    bh = torch.zeros(H)
    p = x_all.mean(0).clamp(1e-3, 1 - 1e-3)
    bv = torch.log(p / (1 - p))
    params = [W, bv, bh]
    for q in params:
        q.requires_grad_(True)
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    probe = x_all[:256]
    recon = pll = 0.0
    with torch.no_grad():
        for epoch in range(1, epochs + 1):
            order = torch.randperm(N, generator=g)
            total, batches = 0.0, 0
            for s in range(0, N, BATCH):
                x = x_all[order[s:s + BATCH]]
                B = x.shape[0]
                ph = torch.sigmoid(x @ W + bh)
                v = torch.bernoulli(torch.sigmoid(torch.bernoulli(ph, generator=g) @ W.t() + bv), generator=g)
                nh = torch.sigmoid(v @ W + bh)
                W.grad = (v.t() @ nh - x.t() @ ph) / B
                bv.grad = (v.sum(0) - x.sum(0)) / B
                bh.grad = (nh.sum(0) - ph.sum(0)) / B
                d = x - torch.sigmoid(ph @ W.t() + bv)  # before the step, as Cadenza's monitor
                total, batches = total + float((d * d).mean()), batches + 1
                opt.step()
            recon = total / batches
            pll = pseudo_ll(probe, W, bv, bh, g) / WINDOW
            print(f"epoch {epoch}: recon {recon:.4f} pseudo-LL/step {pll:.2f}", file=sys.stderr, flush=True)
    seconds = time.time() - t0
    print(f"peer=torch bench=train_rbm_demo epochs={epochs} threads={torch.get_num_threads()} "
          f"seconds={seconds:.1f} recon={recon:.4f} pll={pll:.2f}", flush=True)


if __name__ == "__main__":
    main()

"""jsb_lstm_twin.py: the JSB LSTM recipe of chapter 8 in PyTorch, for `make bench-train`.

The twin of `cadenza train --model lstm --data DATA/jsb_chorales` (pipelines/poly.cpp and
poly_train.cpp), setting for setting, so that the two wall times compare the same work:
  data   the benchmark's text files (one line per step: the sounding MIDI pitches, '-' for none,
         '===' between pieces), keys 21..108; x = the frame before (zeros at t = 0), y = the frame
  model  LSTM(88 -> 200, 2 layers, dropout 0.3 between them, batch_first) -> Dropout(0.3) ->
         Linear(200 -> 88); PyTorch's default initialisation (Cadenza's is the same rule), the
         output bias the log-odds of each key's frequency on train (add-0.5 smoothing)
  loss   binary cross-entropy summed over keys and real steps, divided by the real steps
  optim  Adam(lr 2e-3), gradients clipped to norm 1.0; batches of 8 whole pieces, shuffled each
         epoch; each epoch every piece moves by a random number of semitones within +-3 that keeps
         it on the keyboard
  kept   an exponential moving average of the weights, decay min(0.99, (1+t)/(10+t)) after step t
         (optim::ema_update_), validated after every epoch; the learning rate divided by 4 after
         every 3 epochs without a better valid NLL, a stop after 10; the best-on-valid average is
         tested: NLL per step over every test step.
Usage: PEER_THREADS=1 /usr/bin/python3 jsb_lstm_twin.py DATA/jsb_chorales EPOCHS [SEED [PATIENCE]]
(PATIENCE 0: never stop early, so that both sides train exactly EPOCHS epochs; bench_train.sh)
Prints one line: peer=torch bench=train_jsb_lstm epochs=N threads=T seconds=S test_nll=X best_epoch=E
"""
import math
import os
import random
import sys
import time

import torch
import torch.nn as nn

KEYS, LOW = 88, 21


def read_split(path):
    pieces, cur = [], []
    for line in open(path):
        line = line.strip()
        if line == "===":
            pieces.append(cur)
            cur = []
            continue
        frame = [0.0] * KEYS
        if line != "-":
            for p in line.split():
                frame[int(p) - LOW] = 1.0
        cur.append(frame)
    if cur:
        pieces.append(cur)
    return [torch.tensor(p) for p in pieces]  # each (T, 88)


def room(roll, limit):
    on = roll.sum(0).nonzero()
    if len(on) == 0:
        return 0, 0
    return min(limit, int(on.min())), min(limit, KEYS - 1 - int(on.max()))


def transpose(roll, k):
    out = torch.zeros_like(roll)
    if k >= 0:
        out[:, k:] = roll[:, :KEYS - k]
    else:
        out[:, :KEYS + k] = roll[:, -k:]
    return out


def batch(rolls):
    T = max(len(r) for r in rolls)
    x = torch.zeros(len(rolls), T, KEYS)
    y = torch.zeros(len(rolls), T, KEYS)
    mask = torch.zeros(len(rolls), T, 1)
    for b, r in enumerate(rolls):
        y[b, :len(r)] = r
        x[b, 1:len(r)] = r[:-1]
        mask[b, :len(r)] = 1
    return x, y, mask


class FrameLSTM(nn.Module):
    def __init__(self, hidden=200, layers=2, dropout=0.3):
        super().__init__()
        self.rnn = nn.LSTM(KEYS, hidden, num_layers=layers, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, KEYS)

    def forward(self, x):
        return self.out(self.drop(self.rnn(x)[0]))


def nll_sum(model, x, y, mask):
    per_key = nn.functional.binary_cross_entropy_with_logits(model(x), y, reduction="none")
    return (per_key * mask).sum(), int(mask.sum())


def nll_per_step(model, rolls, size=16):
    model.eval()
    total, steps = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(rolls), size):
            s, n = nll_sum(model, *batch(rolls[i:i + size]))
            total, steps = total + float(s), steps + n
    model.train()
    return total / steps


def main():
    data, epochs = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    patience = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    torch.set_num_threads(int(os.environ.get("PEER_THREADS", "1")))
    torch.manual_seed(seed)
    rng = random.Random(seed)
    train, valid, test = (read_split(os.path.join(data, f + ".txt")) for f in ("train", "valid", "test"))
    t0 = time.time()
    model = FrameLSTM()
    steps_total = sum(len(r) for r in train)
    with torch.no_grad():
        p = (sum(r.sum(0) for r in train) + 0.5) / (steps_total + 1.0)
        p = p.clamp(1e-6, 1 - 1e-6)
        model.out.bias.copy_(torch.log(p / (1 - p)))
    avg = FrameLSTM()
    avg.load_state_dict(model.state_dict())
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rooms = [room(r, 3) for r in train]
    best, best_epoch, bad, kept, t = math.inf, 0, 0, None, 0
    for epoch in range(1, epochs + 1):
        pieces = [transpose(r, rng.randint(-d, u)) for r, (d, u) in zip(train, rooms)]
        order = list(range(len(pieces)))
        rng.shuffle(order)
        for i in range(0, len(order), 8):
            x, y, mask = batch([pieces[j] for j in order[i:i + 8]])
            s, n = nll_sum(model, x, y, mask)
            opt.zero_grad(set_to_none=True)
            (s / n).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            t += 1
            d = min(0.99, (1 + t) / (10 + t))
            with torch.no_grad():
                for a, w in zip(avg.parameters(), model.parameters()):
                    a.mul_(d).add_(w, alpha=1 - d)
        v = nll_per_step(avg, valid)
        if v < best - 1e-4:
            best, best_epoch, bad = v, epoch, 0
            kept = {k: w.clone() for k, w in avg.state_dict().items()}
        else:
            bad += 1
            if patience and bad >= patience:
                break
            if bad % 3 == 0:
                for g in opt.param_groups:
                    g["lr"] /= 4
        print(f"epoch {epoch}: valid NLL {v:.4f}", file=sys.stderr, flush=True)
    avg.load_state_dict(kept)
    test_nll = nll_per_step(avg, test)
    seconds = time.time() - t0
    print(f"peer=torch bench=train_jsb_lstm epochs={epochs} threads={torch.get_num_threads()} "
          f"seconds={seconds:.1f} test_nll={test_nll:.4f} best_epoch={best_epoch}", flush=True)


if __name__ == "__main__":
    main()

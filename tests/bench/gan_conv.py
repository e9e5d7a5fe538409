"""gan_conv.py: the PyTorch twin of bench.cpp's gan_conv cases, for `make bench`.

The MuseGAN-style pair of chapter 12 (engine/models/gan.{h,cpp}), layer for layer:
  G  z = [z_shared (64), z_time (64)]
     temporal  z_time as (B, 64, 1): ConvTranspose1d(64, 32, 2), BN, ReLU,
               ConvTranspose1d(32, 64, 3), BN, ReLU -> (B, 64, 4): one latent per bar
     bar       [z_shared, bar latent] (B*4, 128): Linear -> 64 x 2 x 6, BN, ReLU, then
               ConvTranspose2d(kernel 4, stride 2, padding 1) 64 -> 32 -> 16 -> 2 with BN and
               ReLU between, and a sigmoid: (B*4, 2, 16, 48)
     phrase    the 4 bars side by side in time: (B, 2, 64, 48)
  D  Conv2d(kernel 4, stride 2, padding 1) 2 -> 16 -> 32 -> 64 with LeakyReLU(0.2) after each,
     then Linear(64 * 8 * 6, 1)
B=64; real = one fixed batch of (64, 2, 64, 48) cells, each on with p=0.05. One timed step = one
D update + one G update, each with Adam:
  nonsat   BCE-with-logits on D, the non-saturating loss on G; lr 2e-4, betas (0.5, 0.999)
  wgan_gp  the critic's loss E[D(fake)] - E[D(real)] plus 10 E[(||grad_x D(x_hat)|| - 1)^2] at
           x_hat = eps real + (1 - eps) fake (torch.autograd.grad with create_graph: a double
           backward); G's loss -E[D(G(z))]; lr 1e-4, betas (0.5, 0.9)
Run from a copy of ../shared/peers (it imports harness.py), as run_bench.sh does:
  PEER_THREADS=2 python3 gan_conv.py --case wgan_gp
Output line:
  peer=torch bench=gan_conv_step variant=wgan_gp B=64 phrase=2x64x48 threads=2 ms_per_step=...
"""
import sys

import harness

torch = harness.setup_torch()
nn = torch.nn

B, LATENT, C, TRACKS, BARS, STEPS, KEYS = 64, 64, 16, 2, 4, 16, 48


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.temporal = nn.Sequential(
            nn.ConvTranspose1d(LATENT, 2 * C, 2), nn.BatchNorm1d(2 * C), nn.ReLU(),
            nn.ConvTranspose1d(2 * C, LATENT, 3), nn.BatchNorm1d(LATENT), nn.ReLU())
        t0, k0 = STEPS // 8, KEYS // 8
        self.bar_in = nn.Sequential(nn.Linear(2 * LATENT, 4 * C * t0 * k0), nn.BatchNorm1d(4 * C * t0 * k0), nn.ReLU())
        self.bar = nn.Sequential(
            nn.ConvTranspose2d(4 * C, 2 * C, 4, 2, 1), nn.BatchNorm2d(2 * C), nn.ReLU(),
            nn.ConvTranspose2d(2 * C, C, 4, 2, 1), nn.BatchNorm2d(C), nn.ReLU(),
            nn.ConvTranspose2d(C, TRACKS, 4, 2, 1), nn.Sigmoid())

    def forward(self, z):
        n = z.shape[0]
        z_shared, z_time = z[:, :LATENT], z[:, LATENT:]
        per_bar = self.temporal(z_time.reshape(n, LATENT, 1))                     # (n, latent, bars)
        bar_z = torch.cat([z_shared.unsqueeze(1).expand(n, BARS, LATENT), per_bar.permute(0, 2, 1)], 2)
        h = self.bar_in(bar_z.reshape(n * BARS, 2 * LATENT)).reshape(n * BARS, 4 * C, STEPS // 8, KEYS // 8)
        bars = self.bar(h)                                                          # (n*bars, tracks, steps, keys)
        return bars.reshape(n, BARS, TRACKS, STEPS, KEYS).permute(0, 2, 1, 3, 4).reshape(n, TRACKS, BARS * STEPS, KEYS)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(TRACKS, C, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(C, 2 * C, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * C, 4 * C, 4, 2, 1), nn.LeakyReLU(0.2))
        self.out = nn.Linear(4 * C * (BARS * STEPS // 8) * (KEYS // 8), 1)

    def forward(self, x):
        return self.out(self.convs(x).flatten(1))


def run(wgan):
    g = torch.Generator().manual_seed(harness.SEED)
    real = (torch.rand(B, TRACKS, BARS * STEPS, KEYS, generator=g) < 0.05).float()
    G, D = Generator(), Discriminator()
    lr, betas = (1e-4, (0.5, 0.9)) if wgan else (2e-4, (0.5, 0.999))
    optG = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    optD = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(B, 1), torch.zeros(B, 1)

    def penalty(fake):
        eps = torch.rand(B, 1, 1, 1, generator=g)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_()
        d = D(x_hat)
        (grad,) = torch.autograd.grad(d, x_hat, torch.ones_like(d), create_graph=True)
        norm = torch.sqrt((grad.reshape(B, -1) ** 2).sum(1) + 1e-12)
        return 10 * ((norm - 1) ** 2).mean()

    def step():
        optD.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = G(torch.randn(B, 2 * LATENT, generator=g))
        if wgan:
            loss_d = D(fake).mean() - D(real).mean() + penalty(fake)
        else:
            loss_d = bce(D(real), ones) + bce(D(fake), zeros)
        loss_d.backward()
        optD.step()
        optG.zero_grad(set_to_none=True)
        d_fake = D(G(torch.randn(B, 2 * LATENT, generator=g)))
        loss_g = -d_fake.mean() if wgan else bce(d_fake, ones)
        loss_g.backward()
        optG.step()

    samples = harness.time_it(step)
    harness.report("torch", "gan_conv_step", dict(variant="wgan_gp" if wgan else "nonsat", B=B,
                                                  phrase=f"{TRACKS}x{BARS * STEPS}x{KEYS}"),
                   samples, unit="ms_per_step", threads=torch.get_num_threads())


CASES = {"nonsat": lambda: run(False), "wgan_gp": lambda: run(True)}

if __name__ == "__main__":
    sys.exit(harness.main(CASES))

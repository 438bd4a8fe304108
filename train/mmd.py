"""The MMD-MP deep kernel (../docs/model-format.md, Detector section) in PyTorch and NumPy.

k(a,b) = [(1-ε)·exp(-‖φa-φb‖²/σ0) + ε] · exp(-‖xa-xb‖²/σ),  x = mean token feature,
φ = fc2(mean_t LN(GELU_tanh(fc1(H_t)))).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LN_EPS = 1e-5


class DeepKernel(nn.Module):
    def __init__(self, d, hidden=128, out=64, sigma=100.0, sigma0=10.0, epsilon=0.05):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.ln = nn.LayerNorm(hidden, eps=LN_EPS)
        self.fc2 = nn.Linear(hidden, out)
        # stored as square roots / logit, as in the reference code
        self.sigma_sqrt = nn.Parameter(torch.tensor(math.sqrt(sigma)))
        self.sigma0_sqrt = nn.Parameter(torch.tensor(math.sqrt(sigma0)))
        self.eps_logit = nn.Parameter(torch.tensor(math.log(epsilon / (1 - epsilon))))

    @property
    def sigma(self):
        return self.sigma_sqrt ** 2

    @property
    def sigma0(self):
        return self.sigma0_sqrt ** 2

    @property
    def epsilon(self):
        return torch.sigmoid(self.eps_logit)

    def phi(self, H, mask):
        # H: [B, T, d] float, mask: [B, T] (1 = token) → [B, out]
        z = self.ln(F.gelu(self.fc1(H), approximate="tanh"))
        z = (z * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.fc2(z)

    @staticmethod
    def raw(H, mask):
        return (H * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)

    def features(self, H, mask):
        return self.raw(H, mask), self.phi(H, mask)

    def k(self, xa, pa, xb, pb):
        """Kernel matrix between feature sets a [n, ·] and b [m, ·]."""
        dphi = torch.cdist(pa, pb).pow(2)
        draw = torch.cdist(xa, xb).pow(2)
        eps = self.epsilon
        return ((1 - eps) * torch.exp(-dphi / self.sigma0) + eps) * torch.exp(-draw / self.sigma)


def mmd_objective(Kxx, Kyy, Kxy, multi_population=True):
    """Returns (statistic, variance estimate) of the U-statistic on n = m samples.

    multi_population=True is MMD-MP (the MGT–MGT term Kyy dropped); False is plain MMD-D."""
    n = Kxx.shape[0]
    H = Kxx - Kxy - Kxy.t()
    if not multi_population:
        H = H + Kyy
    stat = (H.sum() - torch.diagonal(H).sum()) / (n * (n - 1))
    v1 = (H.sum(1) / n).pow(2).sum() / n
    v2 = H.sum() / (n * n)
    var = 4 * (v1 - v2 * v2)
    return stat, var


def mmd_loss(Kxx, Kyy, Kxy, multi_population=True):
    stat, var = mmd_objective(Kxx, Kyy, Kxy, multi_population)
    return -stat / torch.sqrt(var.clamp(min=0) + 1e-8)


# ---- NumPy mirror of what the C detector computes at test time -------------------------------

def np_kernel(xa, pa, xb, pb, eps, sigma, sigma0):
    def sq(a, b):
        return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0)
    return ((1 - eps) * np.exp(-sq(pa, pb) / sigma0) + eps) * np.exp(-sq(xa, xb) / sigma)

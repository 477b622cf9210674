"""Validation: a small PyTorch regression network trained for a fixed time
on one thread. The planted hotspot is the training step in train: the
forward and the backward pass, on one line. (The backward pass alone was
planted first, but on Debian's torch it takes 1.0-1.5x the forward pass's
time, measured: some runs had the forward line first.)"""
import time

T0 = time.perf_counter()
import torch  # noqa: E402
from torch import nn  # noqa: E402

from calibration import Calibration  # noqa: E402

CAL = Calibration(T0)
IMPORTED = time.perf_counter()


def make_model():
    return nn.Sequential(nn.Linear(64, 384), nn.Tanh(), nn.Linear(384, 384), nn.Tanh(),
                         nn.Linear(384, 1))


def train(model, xb, yb, deadline):
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    loss = None
    while time.perf_counter() < deadline:
        opt.zero_grad()
        t = time.perf_counter()
        (loss := loss_fn(model(xb), yb)).backward()  # PLANTED
        CAL.planted += time.perf_counter() - t
        opt.step()
    return float(loss)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    xb = torch.randn(512, 64)
    yb = xb[:, :1] * 2.0 + 0.1 * torch.randn(512, 1)
    model = make_model()
    loss = train(model, xb, yb, time.perf_counter() + CAL.budget(IMPORTED, 3.0))
    assert loss == loss  # not NaN
    with torch.no_grad():
        assert model(xb).shape == (512, 1)
    CAL.write("torch_train")


main()

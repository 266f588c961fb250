"""N-HiTS (Challu et al., 2023) in plain PyTorch: the forecast job's neural candidate, run by its GPU variant.

Three blocks, each an MLP over the input window max-pooled at its own rate (coarse to fine), emitting a backcast that
the next block's input loses and a few forecast coefficients linearly interpolated to the horizon (the first block's
are the fewest: the trend; the last's are one a step). Each window is scaled by its own mean and spread. Trained per
series with a fixed seed on every window that ends before the last `horizon` steps, early stopping on that last window
(the last fold); its errors there give the interval's spread. Only numpy and torch: the module imports nothing else.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import torch
from torch import nn

POOLING = (4, 2, 1)
HIDDEN = 64
LEARNING_RATE = 1e-3
PATIENCE = 20
SEED = 0


class _Block(nn.Module):
    def __init__(self, input_size: int, horizon: int, pooling: int) -> None:
        super().__init__()
        self.pool = nn.MaxPool1d(pooling, stride=pooling, ceil_mode=True)
        self.horizon = horizon
        self.coefficients = max(1, math.ceil(horizon / pooling))
        self.mlp = nn.Sequential(
            nn.Linear(math.ceil(input_size / pooling), HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, HIDDEN),
            nn.ReLU(),
            nn.Linear(HIDDEN, input_size + self.coefficients),
        )
        self.input_size = input_size

    def forward(self, window: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = self.mlp(self.pool(window.unsqueeze(1)).squeeze(1))
        backcast, knots = theta[:, : self.input_size], theta[:, self.input_size :]
        forecast = nn.functional.interpolate(knots.unsqueeze(1), size=self.horizon, mode="linear", align_corners=True)
        return backcast, forecast.squeeze(1)


class NHiTS(nn.Module):
    def __init__(self, input_size: int, horizon: int) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(_Block(input_size, horizon, pooling) for pooling in POOLING)

    def forward(self, window: torch.Tensor) -> torch.Tensor:
        centre = window.mean(dim=1, keepdim=True)
        scale = window.std(dim=1, keepdim=True).clamp_min(1e-6)
        residual = (window - centre) / scale
        forecast = torch.zeros(window.shape[0], self.blocks[0].horizon, dtype=window.dtype, device=window.device)
        for block in self.blocks:
            backcast, block_forecast = block(residual)
            residual = residual - backcast
            forecast = forecast + block_forecast
        return forecast * scale + centre


def input_size(history_length: int, horizon: int, season_length: int) -> int:
    """The window the model reads: two horizons or two seasons, shortened to leave a dozen training windows."""
    wanted = max(2 * horizon, 2 * season_length)
    return min(wanted, history_length - 2 * horizon - 12)


def forecast(
    history: np.ndarray, horizon: int, season_length: int, interval_level: float, epochs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, lower, upper) for the `horizon` steps after `history`; ValueError when the history is too short."""
    size = input_size(len(history), horizon, season_length)
    if size < horizon // 2:
        raise ValueError(f"N-HiTS needs at least {2 * horizon + 12 + horizon // 2} points, got {len(history)}")
    torch.manual_seed(SEED)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    values = torch.as_tensor(np.asarray(history, dtype=np.float32), device=device)
    windows = values.unfold(0, size + horizon, 1)
    train, validation = windows[:-horizon], windows[-1:]
    model = NHiTS(size, horizon).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    best_loss, best_state, since_best = math.inf, model.state_dict(), 0
    for _ in range(epochs):
        model.train()
        optimiser.zero_grad()
        loss = (model(train[:, :size]) - train[:, size:]).abs().mean()
        loss.backward()
        optimiser.step()
        model.eval()
        with torch.no_grad():
            validation_loss = float((model(validation[:, :size]) - validation[:, size:]).abs().mean())
        if validation_loss < best_loss:
            best_loss, since_best = validation_loss, 0
            best_state = {name: tensor.clone() for name, tensor in model.state_dict().items()}
        else:
            since_best += 1
            if since_best >= PATIENCE:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        errors = (model(validation[:, :size]) - validation[:, size:]).squeeze(0).cpu().numpy()
        mean = model(values[-size:].unsqueeze(0)).squeeze(0).cpu().numpy().astype(float)
    spread = NormalDist().inv_cdf(0.5 + interval_level / 2) * float(np.sqrt(np.mean(errors**2)))
    return mean, mean - spread, mean + spread

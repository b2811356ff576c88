"""Statistical building blocks of the generator: AR(1) series, Gaussianisation, Weibull fits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import signal, special

__all__ = ["ar1", "lag_corr", "normal_scores", "mean_of_block_var", "harmonic_cycle",
           "weibull_moments", "weibull_truncated_mle", "fit_two_ar1"]


def ar1(rng: np.random.Generator, n: int, lag1: float) -> np.ndarray:
    """Stationary unit-variance Gaussian AR(1) series ``x_t = ρ x_{t-1} + √(1−ρ²) ε_t``.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Length.
    lag1 : float
        ρ, lag-1 autocorrelation, in (-1, 1).

    Returns
    -------
    numpy.ndarray
    """
    e = rng.standard_normal(n)
    rho = float(np.clip(lag1, -0.9999, 0.9999))
    c = math.sqrt(1.0 - rho * rho)
    y, _ = signal.lfilter([c], [1.0, -rho], e, zi=[e[0] * (1.0 - c)])
    return y


def lag_corr(x: np.ndarray, lag: int = 1, valid: np.ndarray | None = None) -> float:
    """Pearson correlation of ``x[t]`` and ``x[t+lag]`` over pairs where both are valid."""
    a, b = x[:-lag], x[lag:]
    ok = np.isfinite(a) & np.isfinite(b)
    if valid is not None:
        ok &= valid[:-lag] & valid[lag:]
    if ok.sum() < 3:
        return 0.0
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def normal_scores(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Gaussianise ``x`` by ranks within each group (mid-ranks for ties): Φ⁻¹((r − ½)/n)."""
    out = np.full(x.shape, np.nan)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        ranks = pd.Series(x[idx]).rank(method="average").to_numpy()
        out[idx] = special.ndtri((ranks - 0.5) / idx.size)
    return out


def mean_of_block_var(rho: float, n: int = 24) -> tuple[float, float]:
    """Variance of the mean of ``n`` consecutive values of a unit AR(1).

    Also its lag-1 block autocorrelation.
    """
    i = np.arange(n)
    var = float((rho ** np.abs(i[:, None] - i[None, :])).sum()) / n**2
    cov = float((rho ** (n + i[None, :] - i[:, None])).sum()) / n**2
    return var, cov / var


def harmonic_cycle(values: np.ndarray, n_harm: int = 2) -> np.ndarray:
    """Least-squares fit of ``n_harm`` daily harmonics to 24 hourly values (keeps their mean)."""
    h = np.arange(24) * 2 * np.pi / 24
    cols = [np.ones(24)]
    for j in range(1, n_harm + 1):
        cols += [np.cos(j * h), np.sin(j * h)]
    x = np.stack(cols, axis=1)
    coef, *_ = np.linalg.lstsq(x, values, rcond=None)
    return x @ coef


def weibull_moments(u: np.ndarray) -> tuple[float, float]:
    """Weibull shape and scale [m s-1] with the sample's mean and coefficient of variation."""
    mean, cv = float(np.mean(u)), float(np.std(u) / np.mean(u))
    ks = np.linspace(0.8, 6.0, 2601)
    g1, g2 = special.gamma(1 + 1 / ks), special.gamma(1 + 2 / ks)
    k = float(ks[np.argmin(np.abs(np.sqrt(g2 / g1**2 - 1) - cv))])
    return k, mean / float(special.gamma(1 + 1 / k))


def weibull_truncated_mle(u: np.ndarray, u_min: np.ndarray) -> tuple[float, float]:
    """Weibull shape and scale by maximum likelihood of values known to be ≥ ``u_min``.

    The values are left-truncated at ``u_min``.

    ``log L = Σ [log f(u_i) − log S(u_min,i)]``, f the Weibull density and S
    its survival function; with ``u_min = 0`` the plain Weibull MLE. Started
    from the moment estimates.
    """
    from scipy import optimize

    x = np.asarray(u, float)
    xm = np.asarray(u_min, float)
    k0, c0 = weibull_moments(x)

    def nll(theta):
        k, c = np.exp(theta)
        z = x / c
        ll = np.sum(np.log(k / c) + (k - 1) * np.log(np.maximum(z, 1e-12)) - z**k + (xm / c) ** k)
        return -ll

    res = optimize.minimize(nll, np.log([k0, c0]), method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 2000})
    k, c = np.exp(res.x)
    return float(k), float(c)


def fit_two_ar1(acf: np.ndarray, lags: np.ndarray) -> tuple[float, float, float]:
    """Least-squares fit of ``λ ρs^k + (1−λ) ρf^k`` to an autocorrelation function (grid search)."""
    best = (np.inf, 0.5, 0.99, 0.8)
    rs = 1.0 - np.geomspace(1e-3, 0.1, 60)     # slow: e-folding 10 h .. 1000 h
    rf = np.linspace(0.3, 0.95, 66)
    lam = np.linspace(0.0, 1.0, 101)
    for s in rs:
        ps = s ** lags
        for f in rf:
            pf = f ** lags
            # for fixed (s, f) the model is linear in λ: closed-form least squares, clipped
            d = ps - pf
            lam_opt = float(np.clip(np.dot(acf - pf, d) / max(np.dot(d, d), 1e-12), 0, 1))
            lam_opt = float(lam[np.argmin(np.abs(lam - lam_opt))])
            err = float(np.sum((lam_opt * ps + (1 - lam_opt) * pf - acf) ** 2))
            if err < best[0]:
                best = (err, lam_opt, float(s), float(f))
    return best[1], best[2], best[3]

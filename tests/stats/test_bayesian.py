"""Gaussian Bayesian comparison: chance to win, credible interval, expected loss, priors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from orgloop.stats import GaussianPrior, SampleStats, StatsError, bayesian_test, welch_test
from tests.stats.builders import conversions

CONTROL = SampleStats(n=3407, sum=1396.87, sum_squares=52377.9767)
TREATMENT = SampleStats(n=3461, sum=2422.7, sum_squares=134698.29)


def test_flat_prior_chance_to_win_is_one_minus_the_one_sided_z_p_value() -> None:
    bayes = bayesian_test(CONTROL, TREATMENT, relative=True)
    freq = welch_test(CONTROL, TREATMENT, relative=True)
    assert bayes.chance_to_win == pytest.approx(sps.norm.cdf(freq.lift / freq.se))
    assert bayes.posterior_mean == pytest.approx(0.70732, abs=5e-6)
    assert bayes.ci_low == pytest.approx(freq.lift - 1.959964 * freq.se, rel=1e-6)


def test_expected_losses_match_monte_carlo_draws_of_the_posterior() -> None:
    result = bayesian_test(conversions(2000, 200), conversions(2000, 215), relative=True)
    draws = np.random.default_rng(1).normal(result.posterior_mean, result.posterior_sd, 400_000)
    assert result.expected_loss_treatment == pytest.approx(np.maximum(-draws, 0).mean(), rel=0.02)
    assert result.expected_loss_control == pytest.approx(np.maximum(draws, 0).mean(), rel=0.02)
    # E[max(0, x)] - E[max(0, -x)] = E[x]: the two risks differ by the posterior mean.
    assert result.expected_loss_control - result.expected_loss_treatment == pytest.approx(
        result.posterior_mean
    )


def test_a_proper_prior_shrinks_a_noisy_lift_towards_zero() -> None:
    a, b = conversions(40, 4), conversions(40, 9)
    flat = bayesian_test(a, b)
    shrunk = bayesian_test(a, b, prior=GaussianPrior(mean=0.0, variance=0.1**2))
    assert 0 < shrunk.posterior_mean < flat.posterior_mean
    assert shrunk.posterior_sd < flat.posterior_sd
    assert 0.5 < shrunk.chance_to_win < flat.chance_to_win


def test_swapping_arms_mirrors_the_chance_to_win() -> None:
    forward = bayesian_test(CONTROL, TREATMENT, relative=False)
    backward = bayesian_test(TREATMENT, CONTROL, relative=False)
    assert forward.chance_to_win + backward.chance_to_win == pytest.approx(1.0)


def test_degenerate_data_has_an_error_code() -> None:
    result = bayesian_test(SampleStats(n=0, sum=0, sum_squares=0), CONTROL)
    assert result.error_code == "no_units"
    assert math.isnan(result.chance_to_win)


def test_an_improper_variance_for_a_proper_prior_raises() -> None:
    with pytest.raises(StatsError, match="proper=False"):
        GaussianPrior(variance=0.0)

"""Pure statistics for experiments, over addable sufficient statistics aggregated upstream.

Depends on numpy and scipy only.  See README.md in this package for the vocabulary, formulas and
error codes.
"""

from __future__ import annotations

from orgloop.stats.bayesian import GaussianPrior, bayesian_test
from orgloop.stats.cuped import cuped_test, ratio_cuped_test
from orgloop.stats.errors import RESULT_ERROR_CODES, ResultErrorCode, StatsError
from orgloop.stats.frequentist import proportion_test, ratio_test, welch_test
from orgloop.stats.multiple import benjamini_hochberg, holm
from orgloop.stats.power import (
    mde_mean,
    mde_proportion,
    power_mean,
    power_proportion,
    sample_size_mean,
    sample_size_proportion,
)
from orgloop.stats.quantiles import QuantileEstimate, quantile_test
from orgloop.stats.results import BayesianResult, CupedResult, SrmResult, TestResult
from orgloop.stats.sequential import sequential_test
from orgloop.stats.srm import srm_test
from orgloop.stats.sufficient import (
    RatioRegressionStats,
    RatioStats,
    RegressionStats,
    SampleStats,
)

__all__ = [
    "RESULT_ERROR_CODES",
    "BayesianResult",
    "CupedResult",
    "GaussianPrior",
    "QuantileEstimate",
    "RatioRegressionStats",
    "RatioStats",
    "RegressionStats",
    "ResultErrorCode",
    "SampleStats",
    "SrmResult",
    "StatsError",
    "TestResult",
    "bayesian_test",
    "benjamini_hochberg",
    "cuped_test",
    "holm",
    "mde_mean",
    "mde_proportion",
    "power_mean",
    "power_proportion",
    "proportion_test",
    "quantile_test",
    "ratio_cuped_test",
    "ratio_test",
    "sample_size_mean",
    "sample_size_proportion",
    "sequential_test",
    "srm_test",
    "welch_test",
]

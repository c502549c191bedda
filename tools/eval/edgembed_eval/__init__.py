"""edgembed_eval: evaluation of edgembed models on the shared data (STS-B, SciFact, Linux man pages, QMSum,
passkey / needle), per document-length bucket, with length-collapse statistics; and the TempScale study
(python -m edgembed_eval.study, or scripts/tempscale_study.sh)."""

from . import collapse, data, metrics, runner, synthetic, tasks  # noqa: F401
from .runner import Policy, Runner, Setting  # noqa: F401

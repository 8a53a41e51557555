"""Benchmarks of autodiff against its peers, measured side by side in one run.

Run them all with ``python -m benchmarks`` (``make bench`` installs the peers first);
``python -m benchmarks --help`` lists the options. README.md beside this file explains
the method.

Importing this package pins the thread count of every math library (OpenBLAS, MKL,
OpenMP, and later PyTorch) to the same number, BENCH_THREADS (default 1), so no engine
gets more cores than another. That only works if NumPy was not imported before, which is
why it happens here, before any benchmark module imports NumPy.
"""

from __future__ import annotations

import os
import sys

#: the thread count every engine runs with (BLAS, OpenMP and torch.set_num_threads)
THREADS = int(os.environ.get("BENCH_THREADS", "1"))

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

#: True if NumPy was loaded before the thread variables could be set (then they may not
#: apply to its BLAS; the report says so)
NUMPY_WAS_PRELOADED = "numpy" in sys.modules

for _name in THREAD_VARIABLES:
    os.environ[_name] = str(THREADS)

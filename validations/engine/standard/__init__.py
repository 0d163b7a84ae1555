"""Standard tier: the checks that run after every quick check (see runner.py).

Memory: unlike the quick tier (streaming aggregates plus 8 bytes per row for duplicate hashes),
these checks hold some columns in memory: the text column (near-duplicates, text quality,
collapse), the numeric columns as float64 (outliers), and up to 10,000 sampled rows (label
noise, two-sample tests). Budget roughly the size of the text column plus 8 bytes per numeric cell.
"""

from __future__ import annotations

from validations.engine.prediction.stage import run_label_noise
from validations.engine.standard import (
    collapse,
    conflicts,
    near_duplicates,
    outliers,
    pii,
    text_quality,
)

STANDARD_CHECKS = [
    ("near_duplicates", near_duplicates.run),
    ("outliers", outliers.run),
    ("conflicting_labels", conflicts.run),
    ("label_noise", run_label_noise),
    ("text_quality", text_quality.run),
    ("pii", pii.run),
    ("collapse", collapse.run),
]

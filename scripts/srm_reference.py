#!/usr/bin/python3
"""Reference sample-ratio-mismatch tests, computed with scipy, independently of segrun (TestSRMMatchesScipy).

For each case (control count, treatment count, declared control share) writes scipy.stats.chisquare's
statistic and p-value of the counts against the declared split to algorithms/testdata/golden/srm.json.

Run from the repository's root: /usr/bin/python3 scripts/srm_reference.py
"""
import json

from scipy import stats

CASES = [
    (100, 900, 0.1),
    (110, 890, 0.1),
    (130, 870, 0.1),
    (4, 6, 0.3),
    (5, 5, 0.3),
    (0, 50, 0.2),
    (50, 0, 0.2),
    (1, 1, 0.5),
    (9_950, 90_050, 0.1),
    (10_600, 89_400, 0.1),
    (49_000, 51_000, 0.5),
    (333, 667, 1 / 3),
    (1, 999_999, 0.000001),
    (2_500, 997_500, 0.0025),
]

out = []
for control, treatment, share in CASES:
    n = control + treatment
    chi2, p = stats.chisquare([control, treatment], f_exp=[n * share, n * (1 - share)])
    out.append({"control": control, "treatment": treatment, "share": share, "chi_square": float(chi2), "p_value": float(p)})

with open("algorithms/testdata/golden/srm.json", "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")

"""Ranking metrics against graded expert lists (plain Python, no Django).

- Gain of a cluster graded g: 2**g - 1 (exponential gain: grade 3 = 7, 2 = 3, 1 = 1, unlisted 0),
  so placing a must-meet cluster first matters more than two acceptable ones.
- DCG@k = sum over ranks i = 1..k of gain_i / log2(i + 1); nDCG@k = DCG@k / the DCG@k of the
  expert's own ordering. An empty expert list (the honest answer is "none") scores 1.0 when
  nothing is suggested and 0.0 otherwise.
- P@k = the clusters graded 1 or more among the first k, divided by k (also when fewer than k
  are suggested, or fewer than k deserve it: ``ideal_precision_at_k`` is that ceiling).
"""

from collections.abc import Mapping, Sequence
from math import log2

K = 5


def gain(grade: int) -> int:
    return 2**grade - 1


def dcg(grades: Sequence[int], k: int = K) -> float:
    return sum(gain(grade) / log2(rank + 2) for rank, grade in enumerate(grades[:k]))


def ndcg_at_k(ranked: Sequence[str], expected: Mapping[str, int], k: int = K) -> float:
    """``ranked``: cluster ids best first; ``expected``: id -> grade (unlisted = 0)."""
    ideal = dcg(sorted(expected.values(), reverse=True), k)
    if ideal == 0:
        return 0.0 if ranked else 1.0
    return dcg([expected.get(cluster, 0) for cluster in ranked], k) / ideal


def precision_at_k(ranked: Sequence[str], expected: Mapping[str, int], k: int = K) -> float:
    return sum(1 for cluster in ranked[:k] if expected.get(cluster, 0) >= 1) / k


def ideal_precision_at_k(expected: Mapping[str, int], k: int = K) -> float:
    return min(k, sum(1 for grade in expected.values() if grade >= 1)) / k

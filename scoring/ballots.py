"""民主测评: tallies of graded ballots per cadre, turnout, quorum and the programme's flags.

A ballot put to every eligible voter is a census of that electorate: the shares are exact
counts, so no standard error is invented, and a threshold such as "不称职 ≥ 1/3" is an exact
count test (``3 · count >= eligible``, with fractions, never floats). Only when the ballots
are a sample of a larger electorate (``is_sample=True``) do the shares get intervals
(Clopper-Pearson, with the finite population noted in ``note``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from scipy import stats

from scoring.results import ConfidenceInterval, check_confidence_level


@dataclass(frozen=True, slots=True)
class GradeShare:
    grade: str
    count: int
    share: float
    ci: ConfidenceInterval | None  # None for a census: the share is exact


@dataclass(frozen=True, slots=True)
class BallotTally:
    """The tally of one cadre's ballots.

    ``turnout`` is ballots cast / eligible voters (None when the electorate is unknown);
    ``quorum_met`` is None when either is unknown. ``flags`` lists the flags whose threshold
    the valid ballots reach, tested exactly on counts.
    """

    subject: str
    grades: tuple[GradeShare, ...]
    valid: int
    blank: int
    eligible: int | None
    turnout: float | None
    quorum_met: bool | None
    flags: tuple[str, ...]
    is_census: bool
    note: str


def tally_ballots(
    subject: str,
    votes: Sequence[str | None],
    grades: Sequence[str],
    *,
    eligible: int | None = None,
    quorum: str | None = None,
    flags: Sequence[Mapping[str, str]] = (),
    is_sample: bool = False,
    confidence_level: float = 0.95,
) -> BallotTally:
    """Tally ballots for one cadre.

    Parameters
    ----------
    subject : str
        Who the ballots are about.
    votes : sequence of str or None
        One grade per ballot; None (or a label not in ``grades``) is a blank ballot.
    grades : sequence of str
        The grades in order, best first (``indices.yaml`` ``ballot`` grades).
    eligible : int, optional
        Voters entitled to vote; turnout and the quorum need it.
    quorum : str, optional
        Share of eligible voters who must vote, as a fraction string ("2/3").
    flags : sequence of mapping
        ``{"grade", "share_at_least", "flag"}`` as parsed from ``indices.yaml``; the share is
        of valid ballots.
    is_sample : bool
        The ballots are a sample of the electorate: shares then get intervals.

    Examples
    --------
    >>> grades = ["优秀", "称职", "基本称职", "不称职"]
    >>> rule = {"grade": "不称职", "share_at_least": "1/3", "flag": "需组织考察"}
    >>> t = tally_ballots("张三", ["称职"] * 4 + ["不称职"] * 2, grades, eligible=7,
    ...                   quorum="2/3", flags=[rule])
    >>> t.flags, t.quorum_met, t.is_census, t.grades[3].ci
    (('需组织考察',), True, True, None)
    """
    level = check_confidence_level(confidence_level)
    counts = {g: 0 for g in grades}
    blank = 0
    for vote in votes:
        if vote in counts:
            counts[vote] += 1
        else:
            blank += 1
    valid = sum(counts.values())
    cast = valid + blank
    if eligible is not None and eligible < cast:
        raise ValueError(f"ballots for {subject!r}: {cast} ballots but only {eligible} eligible")
    shares = tuple(
        GradeShare(
            g,
            c,
            c / valid if valid else float("nan"),
            _clopper_pearson(c, valid, level) if is_sample and valid else None,
        )
        for g, c in counts.items()
    )
    raised = tuple(
        rule["flag"]
        for rule in flags
        if valid
        and Fraction(counts.get(rule["grade"], 0), valid) >= Fraction(rule["share_at_least"])
    )
    turnout = cast / eligible if eligible else None
    quorum_met = None
    if eligible and quorum is not None:
        quorum_met = Fraction(cast, eligible) >= Fraction(quorum)
    note = (
        "抽样测评：比例附置信区间"
        if is_sample
        else "全体有投票权人员参加的测评是普查：比例为实际票数之比，没有抽样误差"
    )
    return BallotTally(
        subject, shares, valid, blank, eligible, turnout, quorum_met, raised, not is_sample, note
    )


def _clopper_pearson(k: int, n: int, level: float) -> ConfidenceInterval:
    alpha = 1 - level
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return ConfidenceInterval(low, high)

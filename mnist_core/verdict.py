"""When an answer is "not sure" rather than a digit: the bars, and the rule that applies them.

The probabilities come from the models (predict.Predictor); this module only decides what they mean.
"""

from __future__ import annotations

# Below this probability for the top digit the answer is "not sure" rather than a digit. (Label smoothing
# keeps confident answers near 0.9, well above it.) Chosen with NO_DIGIT_ABOVE below.
UNCERTAIN_BELOW = 0.45
# "Not sure" above this probability that the ink is no digit: the mean of the reading model's own
# "no digit" output (models.split_outputs) and the detector's (predict.DETECTOR), or the detector's
# alone for a model without that output. One bar for a digit read alone, one for a digit of a number
# written apart from its neighbours, one for a digit cut from touching ink (segment.split_touching).
# A number is "not sure" when any of its digits is, so each of its digits gets the higher bar: a real
# number has more digits to trip on, and a drawing that is no digit seldom falls into several
# separate digit-like pieces. A letter drawn in one stroke is often cut into pieces that each read as
# a digit, hence the lowest bar for a cut. The bars were chosen together on the dev sets' trade-off
# (docs/not_digit_tradeoff.md): fewer non-digits read for as few real digits held back, on each half.
NO_DIGIT_ABOVE = 0.75
NUMBER_NO_DIGIT_ABOVE = 0.9
CUT_NO_DIGIT_ABOVE = 0.6


def no_digit_bar(cut: bool, alone: bool = True) -> float:
    """The "no digit" probability above which a digit's answer is "not sure": `alone` when the
    answer is this one digit, `cut` when it was cut from touching ink (a part of a number)."""
    if cut:
        return CUT_NO_DIGIT_ABOVE
    return NO_DIGIT_ABOVE if alone else NUMBER_NO_DIGIT_ABOVE


def needs_second_opinion(own: float | None, cut: bool, alone: bool = True) -> bool:
    """Whether the detector's opinion can change the answer: always for a model without a "no digit"
    output of its own (`own` None); else only when the mean of the two can pass the bar, which needs
    `own` over 2 * bar - 1 (the detector's at most 1). Below that, the model's own output answers
    alone: the same decision, and the detector's time saved on nearly every digit."""
    return own is None or own > 2 * no_digit_bar(cut, alone) - 1


def is_uncertain(confidence: float, plausible: bool, no_digit: float, cut: bool, alone: bool = True) -> bool:
    """Whether one digit's answer is "not sure": its top probability below UNCERTAIN_BELOW, ink that
    does not look like one digit, or a "no digit" probability over its bar (no_digit_bar)."""
    return confidence < UNCERTAIN_BELOW or not plausible or no_digit > no_digit_bar(cut, alone)

"""When an answer is "not sure" rather than a digit: the bars, and the rule that applies them.

The probabilities come from the models (predict.Predictor); this module only decides what they mean.
"""

from __future__ import annotations

# Below this probability for the top digit the answer is "not sure" rather than a digit. (Label smoothing
# keeps confident answers near 0.9, well above it.) Chosen with NO_DIGIT_ABOVE below.
UNCERTAIN_BELOW = 0.45
# "Not sure" above this probability that the ink is no digit: the mean of the reading model's own
# "no digit" output (models.split_outputs) and the detector's (predict.DETECTOR), or the detector's
# alone for a model without that output. Above CUT_NO_DIGIT_ABOVE for a digit cut from touching ink
# (segment.split_touching): a letter drawn in one stroke is often cut into pieces that each read as a
# digit. The two single-digit bars were chosen together on the dev sets' trade-off (docs/not_digit_tradeoff.md):
# fewer non-digits read and fewer real digits held back than the bars before, on each half of the sets.
NO_DIGIT_ABOVE = 0.85
CUT_NO_DIGIT_ABOVE = 0.6


def no_digit_bar(cut: bool) -> float:
    """The "no digit" probability above which a digit's answer is "not sure"."""
    return CUT_NO_DIGIT_ABOVE if cut else NO_DIGIT_ABOVE


def needs_second_opinion(own: float | None, cut: bool) -> bool:
    """Whether the detector's opinion can change the answer: always for a model without a "no digit"
    output of its own (`own` None); else only when the mean of the two can pass the bar, which needs
    `own` over 2 * bar - 1 (the detector's at most 1). Below that, the model's own output answers
    alone: the same decision, and the detector's time saved on nearly every digit."""
    return own is None or own > 2 * no_digit_bar(cut) - 1


def is_uncertain(confidence: float, plausible: bool, no_digit: float, cut: bool) -> bool:
    """Whether one digit's answer is "not sure": its top probability below UNCERTAIN_BELOW, ink that
    does not look like one digit, or a "no digit" probability over its bar (no_digit_bar)."""
    return confidence < UNCERTAIN_BELOW or not plausible or no_digit > no_digit_bar(cut)

"""First Moderator: masks profanity from better-profanity's word list.

A placeholder for nothing: it is the real filter until the moderation pipeline
replaces it behind the same port.
"""

from __future__ import annotations

from better_profanity import Profanity

from ..ports import ModerationContext, Verdict


class ProfanityMasker:
    def __init__(self) -> None:
        self._profanity = Profanity()
        self._profanity.load_censor_words()

    def check(self, text: str, context: ModerationContext) -> Verdict:
        masked = self._profanity.censor(text, "*")
        if masked == text:
            return Verdict("allow", text)
        return Verdict("mask", masked, ("profanity",))

"""Transcripts written for these tests (no real episode text is used)."""

from __future__ import annotations

SHORT = """\
Welcome back to the show. Today we are talking about the week open weights caught up.
Meta released Llama 4 with open weights on Monday, and developers downloaded it within hours.
Sam Altman said OpenAI would answer with GPT-5 soon, and the model will stay proprietary.
DeepSeek R1 showed that a small lab can match the frontier labs on reasoning benchmarks.
Critics argue that closed models like Claude and Gemini still lead on the hardest coding tasks.
"Open weights are the only way to know what runs on your own machine," said Yann LeCun on stage.
Nvidia shares rose five percent after the announcement, as data center demand kept growing.
Is open source going to beat closed models this year? Our guess is not yet, but the gap is closing.
"""

_SUBJECTS = [
    ("Meta", "Llama 4", "open weights"),
    ("OpenAI", "GPT-5", "a closed API"),
    ("Anthropic", "Claude Opus", "a proprietary model"),
    ("DeepSeek", "DeepSeek R1", "an open-source release"),
    ("Google", "Gemini 2.5 Pro", "a closed model"),
    ("Mistral AI", "Mixtral", "open weights"),
    ("Alibaba", "Qwen 3", "an open model"),
    ("Microsoft", "Copilot", "an enterprise product"),
]
_TEMPLATES = [
    "{company} shipped {model} this week as {mode}, and the reaction from developers was loud.",
    "The pricing of {model} matters because enterprise buyers compare it with every rival on cost.",
    "Several listeners wrote in to ask whether {model} is good enough for coding agents in production.",
    "Analysts note that {company} is spending billions on data centers to keep {model} competitive.",
    "Regulators in Europe want to know how {company} tested the safety of {model} before launch.",
    "On benchmarks, {model} scored well on reasoning, though benchmark numbers rarely tell the whole story.",
    "The debate about {mode} keeps coming back, since trust and control depend on who holds the weights.",
    "For small startups, {model} changes the math of building a product on top of somebody else's model.",
    "Some researchers warned that {company} may be overstating what {model} can do on real tasks.",
    "Our take is that {company} made a smart bet with {model}, even if the rollout was messy at first.",
    "Chips remain the bottleneck, and Nvidia still sells most of the hardware that trained {model}.",
    "Jobs came up too, because companies adopting {model} say they need fewer people for routine support.",
]


def hour_transcript(words: int = 10_000) -> str:
    """About `words` words of varied, deterministic talk-show prose in paragraphs (one hour ≈ 10,000)."""
    paragraphs: list[str] = []
    count = 0
    turn = 0
    while count < words:
        company, model, mode = _SUBJECTS[turn % len(_SUBJECTS)]
        sentences = []
        for offset in range(6):
            template = _TEMPLATES[(turn * 5 + offset * 7) % len(_TEMPLATES)]
            sentence = template.format(company=company, model=model, mode=mode)
            sentences.append(
                f"In segment {turn + 1}, {sentence[0].lower()}{sentence[1:]}" if offset == 0 else sentence
            )
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
        turn += 1
    return "\n\n".join(paragraphs)


def as_vtt(text: str) -> str:
    """`text` as WebVTT cues of about eight words, with ids, timings and a voice tag."""
    words = text.split()
    cues = ["WEBVTT", "", "NOTE written for the tests", ""]
    for n, start in enumerate(range(0, len(words), 8), start=1):
        chunk = " ".join(words[start : start + 8])
        cues += [str(n), f"00:{n // 60 % 60:02d}:{n % 60:02d}.000 --> 00:{n // 60 % 60:02d}:{n % 60:02d}.900"]
        cues += [f"<v Host>{chunk}", ""]
    return "\n".join(cues)


def as_srt(text: str) -> str:
    words = text.split()
    cues = []
    for n, start in enumerate(range(0, len(words), 8), start=1):
        chunk = " ".join(words[start : start + 8])
        cues += [str(n), f"00:00:{n % 60:02d},000 --> 00:00:{n % 60:02d},900", chunk, ""]
    return "\n".join(cues)

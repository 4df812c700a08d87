"""Three episodes for the real-server lane, written for these tests in the shapes publishers use.

Each carries sponsor reads the way the show does them (a mid-roll "brought to you by" read, and a show-notes
sponsor list); the sponsor names are made up, and `SPONSORS` lists them so a test can check that no digest
repeats an ad.
"""

from __future__ import annotations

from tests.digest.transcripts import hour_transcript

SPONSORS = ("Vantora", "Brightwell Cloud", "Quillstack")

_READ = (
    "Today's episode is brought to you by Vantora. Vantora helps enterprise teams put AI agents into "
    "production safely, with audit trails your compliance team will love. Go to vantora dot com slash brief "
    "to get started. "
)

_NOTES_FOOTER = """
Brought to you by:
Brightwell Cloud - The GPU cloud for builders - https://brightwell.example/brief
Quillstack - Ship docs your developers read - https://quillstack.example
Vantora - Agents in production, safely - https://vantora.example/brief
Subscribe to the newsletter: https://example.com/newsletter
"""


def _transcript() -> str:
    body = hour_transcript(1400)
    cut = body.index(". ", len(body) // 3) + 2
    return (
        "Welcome back to The AI Daily Brief. Today we look at the week in open models. "
        + body[:cut]
        + _READ
        + body[cut:]
    )


EPISODES: list[tuple[str, str]] = [
    ("The week open models caught up", _transcript()),
    (
        "Is DeepSeek R1 a Sputnik moment?",
        "DeepSeek released R1, a reasoning model with open weights, and it matched OpenAI's o1 on several "
        "math and coding benchmarks. The lab says training cost a fraction of what American labs spend. "
        "Nvidia shares fell sharply as investors asked whether the chip boom would last. Sam Altman called "
        "R1 impressive and promised better models soon. Critics point out that the true cost of the work "
        "behind R1 is unknown. Developers downloaded the weights within hours and ran distilled versions on "
        "laptops. Meta's Yann LeCun said the lesson is that open research wins. "
        + _READ
        + "We close with the question for the week: will open models set the pace in 2025?\n"
        + _NOTES_FOOTER,
    ),
    (
        "Anthropic ships Claude 3.7 Sonnet",
        "Anthropic released Claude 3.7 Sonnet, a hybrid model that can answer quickly or think step by step. "
        "It leads coding benchmarks, and Anthropic also previewed Claude Code, an agent that works in the "
        "terminal. The model stays closed and is sold through an API and the Claude app. Open-source "
        "developers argue that Qwen and DeepSeek models are close behind at a fraction of the price. "
        "Enterprise buyers say reliability matters more than benchmark scores. Google answered with a "
        "cheaper Gemini 2.0 Flash. "
        + _READ
        + "Our take: closed models still lead at the frontier, but the gap is months, not years.\n"
        + _NOTES_FOOTER,
    ),
]

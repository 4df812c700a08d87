"""The `/ask` evaluation set: six fixture episodes with timed transcripts and questions with known answers.

Written for this project (the events are paraphrased news of 2025, the wording is ours). Each episode is a
list of segments `(start seconds, lines)`; a line is one caption cue, about eight seconds apart within a
segment. The episodes come as WebVTT, SubRip and Podcasting 2.0 JSON, two of each, and go through the same
parser and passage cutting as real transcripts. Each question names the episode and the minute that answer
it. Used by `bench/ask.py` (recall@3, offline citation accuracy) and `tests/ask/`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.announce.models import ChannelKind
from bot.digest.cues import timed_cues
from bot.digest.source import to_clean_text
from bot.feeds.models import ParsedItem
from bot.store.feeds import NewItem
from bot.timeutil import utcnow

if TYPE_CHECKING:
    from bot.feeds.models import StoredItem
    from bot.store import Store

INTRO = "Welcome back to The AI Daily Brief, your daily look at the most important news in AI."
CUE_SECONDS = 8.0


@dataclass(frozen=True, slots=True)
class EvalEpisode:
    key: str
    title: str
    published: datetime
    format: str  # "vtt", "srt" or "json"
    segments: tuple[tuple[float, tuple[str, ...]], ...]

    def cues(self) -> list[tuple[float, str]]:
        timed = []
        for start, lines in self.segments:
            for index, line in enumerate(lines):
                timed.append((start + index * CUE_SECONDS, line))
        return timed

    def transcript(self) -> tuple[str, str]:
        """The transcript file (body, MIME type) in the episode's format."""
        cues = self.cues()
        if self.format == "json":
            segments = [
                {"speaker": "Host", "startTime": start, "endTime": start + CUE_SECONDS - 0.5, "body": text}
                for start, text in cues
            ]
            return json.dumps({"version": "1.0.0", "segments": segments}), "application/json"
        blocks = []
        for number, (start, text) in enumerate(cues, start=1):
            end = start + CUE_SECONDS - 0.5
            if self.format == "srt":
                blocks.append(f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{text}")
            else:
                blocks.append(f"{_clock(start, '.')} --> {_clock(end, '.')}\n{text}")
        if self.format == "srt":
            return "\n\n".join(blocks) + "\n", "application/x-subrip"
        return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n", "text/vtt"


def _clock(seconds: float, mark: str) -> str:
    whole = int(seconds)
    millis = round((seconds - whole) * 1000)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}{mark}{millis:03d}"


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(hour=6, tzinfo=UTC)


EPISODES: tuple[EvalEpisode, ...] = (
    EvalEpisode("deepseek", "A Chinese lab surprises everyone", _day("2025-01-27"), "vtt", (
        (5, (INTRO, "Today we look at the release that sent markets into a spin.")),
        (130, (
            "DeepSeek released R1, an open reasoning model, under the MIT license.",
            "The lab says the final training run cost under six million dollars in compute.",
        )),
        (330, (
            "Nvidia stock fell seventeen percent in a single day as investors worried about cheaper "
            "training.",
            "That wiped out close to six hundred billion dollars of market value.",
        )),
        (540, (
            "Our take is that efficiency gains will increase demand for chips rather than reduce it.",
            "Economists call that the Jevons paradox, and hyperscalers quoted it all week.",
        )),
        (735, (
            "Listeners asked whether the DeepSeek app is safe to use.",
            "Its privacy policy says user data is stored on servers in China.",
        )),
    )),
    EvalEpisode("ai-act", "Europe's AI Act starts to bite", _day("2025-02-14"), "srt", (
        (4, (INTRO, "It is a regulation day, so stay with us.")),
        (110, (
            "The first obligations of the European AI Act took effect on February second.",
            "From now on the law bans social scoring systems and some kinds of emotion recognition at work.",
        )),
        (280, (
            "Companies also have to train their staff in AI literacy.",
            "Many lawyers call the literacy requirement vague, and fines are not yet defined.",
        )),
        (500, (
            "France hosted the AI Action Summit in Paris this week.",
            "The United States and Britain declined to sign the final declaration.",
        )),
        (665, (
            "Mistral announced a data center project near Paris.",
            "The build is backed by an investment of around one billion euros.",
        )),
    )),
    EvalEpisode("llama-4", "Llama 4 and the open weights debate", _day("2025-04-07"), "json", (
        (3, (INTRO, "A big weekend for open models.")),
        (150, (
            "Meta released Llama 4 Scout and Llama 4 Maverick with open weights over the weekend.",
            "Both use a mixture of experts design.",
        )),
        (370, (
            "Scout has a context window of ten million tokens.",
            "That is the longest context of any open model so far.",
        )),
        (645, (
            "Critics said the benchmark results came from an experimental version tuned for chat arenas.",
            "Meta denied training on the test sets.",
        )),
        (860, (
            "Yann LeCun argued again that open source is the safest path for AI.",
            "His point is that anyone can inspect open weights, while closed models ask for trust.",
        )),
    )),
    EvalEpisode("coding-agents", "Coding agents go mainstream", _day("2025-05-20"), "vtt", (
        (4, (INTRO, "Developers, this one is for you.")),
        (195, (
            "OpenAI launched Codex, a cloud coding agent that works on many tasks in parallel.",
            "Each task runs inside its own sandbox with a copy of your repository.",
        )),
        (460, (
            "Google answered with Jules, an asynchronous coding agent.",
            "Jules opens pull requests on GitHub when it is done.",
        )),
        (690, (
            "A survey of developers found that two thirds now use an AI assistant every day.",
            "Only a small share trust the generated code without reviewing it.",
        )),
        (965, (
            "Our guess is that junior developer hiring will slow before it recovers.",
            "Companies say they want fewer entry level programmers for routine work.",
        )),
    )),
    EvalEpisode("gpt-5", "GPT-5 arrives", _day("2025-08-08"), "srt", (
        (5, (INTRO, "The model everyone waited for is here.")),
        (105, (
            "OpenAI released GPT-5, which routes each prompt between a fast model and a deeper reasoning "
            "model.",
            "The router decides how long to think.",
        )),
        (320, (
            "Free users get GPT-5 too, with lower usage limits.",
            "Pro subscribers get GPT-5 Pro with extended reasoning.",
        )),
        (590, (
            "Many users missed the warmer personality of GPT-4o.",
            "After the backlash OpenAI brought GPT-4o back for paying subscribers.",
        )),
        (815, (
            "OpenAI also released two open-weight models called gpt-oss under the Apache license.",
            "It is the company's first open-weight release since GPT-2.",
        )),
    )),
    EvalEpisode("data-centers", "The data center build-out", _day("2025-11-03"), "json", (
        (4, (INTRO, "Today: concrete, steel and electricity.")),
        (140, (
            "Microsoft, Google, Amazon and Meta will spend roughly four hundred billion dollars on capital "
            "expenditure this year.",
            "Most of it goes into data centers and chips.",
        )),
        (410, (
            "The Stargate project in Abilene, Texas, is the largest AI campus under construction.",
            "Its first buildings are already running training jobs.",
        )),
        (610, (
            "Power is the bottleneck for new data centers.",
            "Utilities report waiting lists of several years for grid connections.",
        )),
        (880, (
            "Some analysts warn of a bubble and compare the spending to the railway boom of the nineteenth "
            "century.",
            "Investors still remember the DeepSeek selloff in January.",
        )),
    )),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    question: str
    episode: str  # the key of the episode that answers it
    minute: int  # the minute of that episode where the answer is said


QUESTIONS: tuple[EvalQuestion, ...] = (
    EvalQuestion("What did DeepSeek release?", "deepseek", 2),
    EvalQuestion("How much did the DeepSeek training run cost?", "deepseek", 2),
    EvalQuestion("How far did Nvidia stock fall?", "deepseek", 5),
    EvalQuestion("What is the Jevons paradox argument about chips?", "deepseek", 9),
    EvalQuestion("Where does the DeepSeek app store user data?", "deepseek", 12),
    EvalQuestion("Which systems does the AI Act ban?", "ai-act", 1),
    EvalQuestion("What AI literacy requirement do companies face?", "ai-act", 4),
    EvalQuestion("Who declined to sign the Paris summit declaration?", "ai-act", 8),
    EvalQuestion("How big is the investment behind the Mistral data center?", "ai-act", 11),
    EvalQuestion("Which Llama 4 models did Meta release?", "llama-4", 2),
    EvalQuestion("How long is the context window of Llama 4 Scout?", "llama-4", 6),
    EvalQuestion("What did critics say about the Llama 4 benchmark results?", "llama-4", 10),
    EvalQuestion("What did Yann LeCun argue about open source?", "llama-4", 14),
    EvalQuestion("What is OpenAI Codex?", "coding-agents", 3),
    EvalQuestion("Which coding agent did Google launch?", "coding-agents", 7),
    EvalQuestion("How many developers use an AI assistant every day?", "coding-agents", 11),
    EvalQuestion("What will happen to junior developer hiring?", "coding-agents", 16),
    EvalQuestion("How does GPT-5 route prompts?", "gpt-5", 1),
    EvalQuestion("Do free users get GPT-5?", "gpt-5", 5),
    EvalQuestion("Why did OpenAI bring back GPT-4o?", "gpt-5", 9),
    EvalQuestion("What is gpt-oss and what license does it use?", "gpt-5", 13),
    EvalQuestion("How much will big tech spend on capital expenditure this year?", "data-centers", 2),
    EvalQuestion("Where is the Stargate project being built?", "data-centers", 6),
    EvalQuestion("Why is power a bottleneck for data centers?", "data-centers", 10),
    EvalQuestion("Is the AI spending a bubble like the railway boom?", "data-centers", 14),
    EvalQuestion("When did they first talk about DeepSeek?", "deepseek", 2),
    EvalQuestion("When did the show first mention open weights?", "llama-4", 2),
)

#: Questions the archive cannot answer (nothing in it is about them).
UNANSWERABLE = (
    "What did they say about quantum knitting machines?",
    "Who won the football world cup?",
)


AUDIO_BASE = "https://cdn.example.test/audio"


async def seed(store: Store, guild_id: int | None = None) -> dict[str, StoredItem]:
    """Store the episodes (podcast feed, transcripts with their cues, as the digest handoff stores them),
    followed by `guild_id` when given; returns the stored items by key. Passages are built on the next drain.
    """
    feed = await store.feeds.ensure_builtin("podcast", "https://example.test/eval-podcast.xml", "podcast")
    await store.feeds.update_feed(feed.id, title="The AI Daily Brief", first_fetch_done=1)
    if guild_id is not None:
        await store.announcements.subscribe(guild_id, feed.id, 1, ChannelKind.TEXT)
    new = []
    for episode in EPISODES:
        item = ParsedItem(
            key=episode.key,
            title=episode.title,
            link=f"https://podcasts.example.test/episodes/{episode.key}",
            published=episode.published,
            audio_url=f"{AUDIO_BASE}/{episode.key}.mp3",
            audio_type="audio/mpeg",
            text=f"{episode.title}. Notes of the episode.",
        )
        item.content_hash = hashlib.sha256(episode.key.encode()).hexdigest()
        new.append(NewItem(item, "skipped", "first_run"))
    stored, _ = await store.feeds.save_poll(feed.id, now=utcnow(), feed_fields={}, new=new)
    for episode in EPISODES:
        body, mime = episode.transcript()
        await store.search.store_transcript(
            f"{feed.id}/{episode.key}",
            to_clean_text(body, mime),
            f"https://podcasts.example.test/transcripts/{episode.key}",
            tuple(timed_cues(body, mime)),
        )
    return {item.key: item for item in stored}

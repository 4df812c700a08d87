"""`python -m bot ask "QUESTION" [--json] [--backend auto|llm|offline]`: an answer from the stored archive.

For operators and tests: it answers over every feed in the database (no guild scope), with the same
retrieval, LLM, check and fallback as `/ask`. The LLM's tokens count in the same daily budget.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from bot.ask.render import answer_text
from bot.ask.retrieve import EmptyQuestion
from bot.ask.service import AskBackendChoice, AskError, AskService
from bot.llm import create_llm_client
from bot.store import Store
from bot.store.ask import Filters

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_OK = 0
EXIT_USAGE = 2


async def ask_command(
    settings: Settings, question: str, *, as_json: bool = False, backend: AskBackendChoice = "auto"
) -> int:
    """Answer `question` from the database and print it; exit status 2 for a question that cannot be."""
    store = await Store.open(settings.database_path)
    llm = create_llm_client(settings) if backend != "offline" else None
    try:
        service = AskService.from_settings(settings, store.ask, store.digests, llm)
        try:
            answer = await service.answer(question, Filters(), backend=backend)
        except (EmptyQuestion, AskError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    finally:
        if llm is not None:
            await llm.close()
        await store.close()
    if as_json:
        data = answer.to_json()
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(answer_text(answer))
    return EXIT_OK

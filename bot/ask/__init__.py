"""`/ask`: answers from the show's own archive, cited to the episode and the moment.

- `bot.ask.passages` cuts an item's transcript (timed when it had cues), notes and digest into passages;
  `bot.ask.indexer` keeps them in step with the archive (the queue migration 0010's triggers fill);
- `bot.ask.retrieve` turns a question into ranked passages, one per episode (`bot.ask.words` says which
  words count);
- `bot.ask.extractive` quotes them (the offline answer), `bot.ask.llm` asks a model and checks its answer;
- `bot.ask.service.AskService` decides who may ask, serves the cache, keeps the token budget, falls back;
- `bot.ask.render` shows an answer in Discord or on a terminal, `bot.ask.cli` is `python -m bot ask`.

All SQL is in `bot.store.ask`.
"""

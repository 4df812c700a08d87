"""Discussion-thread tracking: which threads are alive, how busy, and for which episode.

- `models`: the rows and value objects (dataclasses).
- `tracker`: `ThreadTracker`, counting message events in memory and writing them in one transaction per flush.
- `hot`: the documented "hot" score.
- `weekly`: the schedule and the content of the weekly "hot discussions" post.
- `render`: the embeds members see.
- `sources`: the weekly post's episodes (feeds) and poll results (polls), adapted.
"""

from __future__ import annotations

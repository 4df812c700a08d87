"""Running the real entry point, `python -m bot run`, as a subprocess against the doubles."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from tests.conftest import PYTHON, ROOT, bot_subprocess_env


class BotProcess:
    """One `python -m bot run` child process; its stderr (the log) is collected for assertions."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd
        self.proc: asyncio.subprocess.Process | None = None
        self.log = ""
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> BotProcess:
        self.log = ""
        self.proc = await asyncio.create_subprocess_exec(
            PYTHON,
            "-m",
            "bot",
            "run",
            cwd=self.cwd,
            env=bot_subprocess_env(**self.env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.log += line.decode(errors="replace")

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> int:
        """Send `sig` and wait for the exit status (SIGKILL is the crash; SIGTERM the clean stop)."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            await asyncio.wait_for(self._reader, timeout)
        return code

    async def kill_quietly(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)


def project_root() -> Path:
    return ROOT

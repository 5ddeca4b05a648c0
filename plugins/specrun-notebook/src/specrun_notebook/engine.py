"""A Papermill engine whose notebook client hands specrun's messages to the run as they
arrive on the kernel's iopub channel, instead of keeping them as cell outputs."""

from __future__ import annotations

from typing import Any

from jupyter_client.manager import AsyncKernelManager
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from traitlets import CaselessStrEnum

from . import MIME

ENGINE_NAME = "specrun"


class IpcKernelManager(AsyncKernelManager):
    """The kernel's channels as Unix sockets in the run's runtime dir, not TCP ports: nothing
    listens on the network, and the kernel has no "running over TCP without encryption"
    warning to print."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)


class SpecrunNotebookClient(PapermillNotebookClient):
    def __init__(self, nb_man: Any, specrun_events: Any = None, **kw: Any):
        super().__init__(nb_man, **kw)
        self.specrun_events = specrun_events

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        if msg.get("msg_type") == "display_data":
            data = msg.get("content", {}).get("data") or {}
            if MIME in data:
                if self.specrun_events is not None:
                    self.specrun_events(data[MIME])
                return None  # consumed: not an output of the cell
        return super().process_message(msg, cell, cell_index)


class SpecrunEngine(NBClientEngine):
    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        specrun_events: Any = None,
        **kwargs: Any,
    ) -> Any:
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        client = SpecrunNotebookClient(
            nb_man,
            specrun_events=specrun_events,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            kernel_manager_class=IpcKernelManager,
            **kwargs,
        )
        return client.execute()


def register_engine() -> None:
    papermill_engines.register(ENGINE_NAME, SpecrunEngine)

"""An offline OpenAI-compatible server for demos and tests: ``async with Emulator() as emu``."""

from .app import EmulatorState, RecordedRequest, make_app
from .faults import FAULT_HEADER, Fault, FaultQueue
from .server import Emulator

__all__ = ["FAULT_HEADER", "Emulator", "EmulatorState", "Fault", "FaultQueue", "RecordedRequest", "make_app"]

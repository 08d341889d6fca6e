"""An offline OpenAI-compatible server for demos and tests: ``async with Emulator() as emu``."""

from .app import make_app
from .clock import Clock, ManualClock, RealClock
from .faults import FAULT_HEADER, Fault, FaultQueue, SocketFault, StreamFault, TransportFault
from .server import Emulator
from .state import EmbeddingLimits, EmulatorState, RecordedRequest

__all__ = [
    "FAULT_HEADER",
    "Clock",
    "EmbeddingLimits",
    "Emulator",
    "EmulatorState",
    "Fault",
    "FaultQueue",
    "ManualClock",
    "RealClock",
    "RecordedRequest",
    "SocketFault",
    "StreamFault",
    "TransportFault",
    "make_app",
]

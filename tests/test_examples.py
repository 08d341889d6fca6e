"""The examples the docs point to run offline to the end and say what they show."""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True, timeout=180, check=True
    )
    return done.stdout


def test_the_telemetry_example() -> None:
    out = run("telemetry.py")
    assert "stream> chat completion (emulator-1): 3 attempts (429 then" in out and "request id req_" in out
    assert "record> embeddings (2 inputs): status 200, request id req_" in out
    assert "span>   chat emulator-1:" in out and "2 retries" in out
    assert "gen_ai.client.operation.duration" in out and "gen_ai.client.token.usage" in out


def test_the_ray_example() -> None:
    out = run("ray_embed.py")
    assert "ray>    2000 rows in" in out and "ids in order: True" in out
    assert "check>  (2000, 256) equal to the local path's: True" in out


def test_the_live_captions_example() -> None:
    out = run("live_captions.py")
    assert "[speech] What is the weather in Paris?" in out
    assert "caption> 'What is the weather in Paris?' (6 token log-probabilities," in out


def test_the_transcripts_example() -> None:
    out = run("transcripts.py")
    assert "stream> [Where][ is][ the][ nearest][ train][ station?]" in out and "6 log-probabilities" in out
    assert "A: Good morning." in out and "Nina: Hi there!" in out
    assert "words>  Where@" in out and "english> 'Where is the nearest train station?'" in out


def test_the_spoken_chat_example() -> None:
    out = run("spoken_chat.py")
    assert "assistant> You said: Tell me about lighthouses." in out and "sent back by id next turn" in out
    assert "audio> " in out and "at 24000 Hz" in out


def test_the_client_secret_example() -> None:
    out = run("client_secret.py")
    assert "server> minted ek_" in out and "client> You said: Hello from the browser." in out
    assert "a transcription session with gpt-4o-transcribe" in out


def test_the_sound_example() -> None:
    out = run("sound.py")
    assert out.count("sound> ") == 2 and "(2.5 s at" in out

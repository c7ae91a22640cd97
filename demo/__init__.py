"""The mnist-canvas Gradio app. `build_demo()` returns the Blocks; `python -m demo` serves it."""

from .app import AppConfig, build_demo, main

__all__ = ["AppConfig", "build_demo", "main"]

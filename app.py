"""Hugging Face Space entry point: the same demo as `mnist-demo`.

Spaces run `python app.py` with GRADIO_SERVER_NAME / GRADIO_SERVER_PORT and SYSTEM=spaces set;
`mnist-demo` reads all three, so a Space is a public server with retraining locked.
"""

import sys

from demo.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

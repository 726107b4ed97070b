"""vibegrade: say the look you want, get your photo or video colour-graded.

Data flow: request -> teacher/student (``llm``, ``students``) -> tool chain (``schema``) ->
tools (``tools``) -> pixels (``media``).
"""

__version__ = "0.1.0"

"""``python -m questionnaires.pdf.child``: render one HTML document to PDF and exit.

The fallback of ``summary.render`` when a render cannot be timed with a signal (it runs
outside a main thread): the parent sends JSON ``{"html": …, "stylesheets": […]}`` on stdin,
reads the PDF bytes from stdout and kills this process when the time limit is up. Django is
set up before anything imports a model; the renderer is the project's one
(``questionnaires.pdf.rendering.pdf_render``).
"""

import json
import sys


def main() -> None:
    import django

    django.setup()
    # Imported after setup: the renderer reads settings (static files, fonts) at import.
    from questionnaires.pdf.rendering import pdf_render

    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    pdf = pdf_render(
        html=request["html"],
        stylesheets=request["stylesheets"],
        balance_classes=request.get("balance_classes", ()),
    )
    sys.stdout.buffer.write(pdf)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()

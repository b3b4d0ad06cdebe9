"""Second baseline for bench/first_paint.py: the main screen's layout in plain Textual, with fixed text.

The same panes as the workbench's first frame (header, queue, conversation, stepper box, reply box,
customer 360 with two lists, key bar), filled with Chinese text of about the same amount, but no data,
no database and none of the workbench's modules. Its ratio to the bare app is what Textual itself
charges for a screen like ours; the workbench's own cost is the difference to this one.
"""

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static

SAMPLE = "您好，我是客服李娜。看到您的快递三天没有更新，您着急的心情我完全理解，我这就帮您查一下。订单 ¥299 "
MARKER = "LAYOUT-READY"


def lines(count: int, width: int) -> str:
    text = SAMPLE * (count * width // len(SAMPLE) + 1)
    return "\n".join(text[i * width // 2:(i + 1) * width // 2] for i in range(count))


class Layout(App[None]):
    CSS = """
    #body { height: 1fr; }
    #queue { width: 28; border-right: vkey $primary 40%; }
    #center { width: 1fr; }
    #conversation { height: 1fr; padding: 0 1; }
    #stepper { height: auto; max-height: 12; border: round $primary-darken-2; padding: 0 1; }
    #composer { height: 5; border: tall $border-blurred; }
    #customer { width: 38%; max-width: 72; border-left: vkey $primary 40%; padding: 0 1; }
    #customer OptionList { height: auto; max-height: 7; }
    #keys { dock: bottom; height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(lines(1, 120), id="status")
        with Horizontal(id="body"):
            yield Static(lines(38, 26), id="queue")
            with Vertical(id="center"):
                with VerticalScroll(id="conversation"):
                    yield Static(lines(8, 44))
                with Vertical(id="stepper"):
                    yield Static(lines(3, 43))
                    yield Static(lines(3, 43))
                yield Vertical(id="composer")
            with VerticalScroll(id="customer"):
                yield Static(MARKER + "\n" + lines(8, 40))
                yield OptionList(*lines(17, 38).splitlines(), compact=True)
                yield Static(lines(16, 40))
                yield OptionList(*lines(5, 38).splitlines())
                yield Static(lines(6, 40))
        yield Static(lines(1, 120), id="keys")


if __name__ == "__main__":
    Layout().run()

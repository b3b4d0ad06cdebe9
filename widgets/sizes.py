"""Terminal sizes at which the layouts change, shared by the screens and the widgets that adapt to them."""

NARROW_BELOW = 110  # columns: the customer pane gives way to the conversation (ctrl+o brings it back)
WIDE_FROM = 160  # columns: the queue gets more room
SHORT_BELOW = 30  # rows: the stepper and reply box get shorter

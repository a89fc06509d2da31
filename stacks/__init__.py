"""The fleet tool: `python -m stacks` creates, lists, validates, previews and applies tenant stacks."""

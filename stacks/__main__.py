"""Entry point of `python -m stacks`."""

from stacks.cli import main

if __name__ == "__main__":
    main()

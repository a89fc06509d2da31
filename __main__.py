"""The Pulumi program: connect this stack's tenant to its VoIP providers (see README.md)."""

from providers.program import main

main()

"""Trading-partner registry: who sends us X12, and how we answer them."""

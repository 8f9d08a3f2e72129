"""Pages of the review chain. Thin: what a viewer may read comes from ``review.selectors``,
what it may do from ``review.rules``, and every write is a ``review.services`` call."""

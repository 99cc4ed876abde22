"""The LKj document itself: achievements, the draft, the archive."""

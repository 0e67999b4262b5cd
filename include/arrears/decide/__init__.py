"""What each lease gets: per-step decisions, the rules that hold across steps, debtor profiles."""

"""One construct per file; stacks only compose them."""
